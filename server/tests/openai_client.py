"""The official OpenAI Python client, unmodified, against the spark-control chat gateway.

Usage: openai_client.py BASE_URL   (e.g. http://127.0.0.1:9999/v1)
Run by server/tests/chat_gateway.rs; exits non-zero with the failing check on any mismatch.
"""
import sys

import openai

client = openai.OpenAI(base_url=sys.argv[1], api_key="unused-on-the-lan", max_retries=0, timeout=30)
checks = 0


def check(name, condition, detail=""):
    global checks
    if not condition:
        sys.exit(f"FAILED {name}: {detail}")
    checks += 1
    print(f"ok {name}")


models = [m.id for m in client.models.list()]
check("models.list", models == ["gpt-oss-120b"], models)

reply = client.chat.completions.create(
    model="gpt-oss-120b", messages=[{"role": "user", "content": "Hello"}], max_tokens=8
)
check("chat (whole)", reply.choices[0].message.content and reply.usage.completion_tokens > 0, reply)

deltas, usage = [], None
for chunk in client.chat.completions.create(
    model="gpt-oss-120b",
    messages=[{"role": "user", "content": "Hello"}],
    max_tokens=12,
    stream=True,
    stream_options={"include_usage": True},
):
    if chunk.choices and chunk.choices[0].delta.content:
        deltas.append(chunk.choices[0].delta.content)
    if chunk.usage:
        usage = chunk.usage
check("chat (stream)", len(deltas) > 3 and usage is not None and usage.completion_tokens == len(deltas),
      (deltas, usage))

completion = client.completions.create(model="gpt-oss-120b", prompt="Once upon", max_tokens=5)
check("completions", completion.choices[0].text != "", completion)

try:
    client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "Hi"}])
    check("unknown model", False, "no error raised")
except openai.NotFoundError as e:
    check("unknown model", e.code == "model_not_found" and "gpt-oss-120b" in e.message, e)

print(f"{checks} checks passed")
