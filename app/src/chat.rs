//! The chat playground's wire format: a request body for `/v1/chat/completions` and a decoder
//! for the Server-Sent Events a streamed answer arrives in.
//!
//! Kept apart from the page so the parts that can go wrong — an event split across network
//! chunks, a multi-byte character cut in two, `[DONE]`, an error mid-stream — are unit-tested
//! natively, without a browser.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

/// The body of a streamed chat request, usage included so the page can show token counts.
pub fn request_body(model: &str, messages: &[Message], max_tokens: u32) -> Value {
    serde_json::json!({
        "model": model,
        "messages": messages,
        "max_tokens": max_tokens,
        "stream": true,
        "stream_options": {"include_usage": true},
    })
}

/// One thing a streamed answer said.
#[derive(Clone, Debug, PartialEq)]
pub enum StreamEvent {
    /// Text to append to the answer.
    Content(String),
    /// A reasoning model's thinking (vLLM's `reasoning_content`), shown apart from the answer.
    Reasoning(String),
    /// The final usage report: tokens in the prompt and in the answer.
    Usage { prompt: u64, completion: u64 },
    /// The stream said it failed.
    Error(String),
    /// `data: [DONE]`: the answer is complete.
    Done,
}

/// Turns the bytes of an SSE response, in whatever pieces they arrive, into [`StreamEvent`]s.
#[derive(Default)]
pub struct SseDecoder {
    pending: Vec<u8>,
}

impl SseDecoder {
    /// Feeds the next piece of the body; returns the events it completed.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<StreamEvent> {
        self.pending.extend_from_slice(bytes);
        let mut events = Vec::new();
        // Events end at a blank line; split only there, so a character cut in two by the
        // network is whole again before it is decoded.
        while let Some(end) = find_blank_line(&self.pending) {
            let block: Vec<u8> = self.pending.drain(..end.end).collect();
            let block = String::from_utf8_lossy(&block[..end.start]);
            let data: Vec<&str> = block
                .lines()
                .filter_map(|line| line.strip_prefix("data:"))
                .map(|d| d.strip_prefix(' ').unwrap_or(d))
                .collect();
            if !data.is_empty() {
                events.extend(parse_data(&data.join("\n")));
            }
        }
        events
    }
}

/// Where the first `\n\n` (or `\r\n\r\n`) is: the event before it, and the end of the separator.
fn find_blank_line(bytes: &[u8]) -> Option<std::ops::Range<usize>> {
    let lf = bytes
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|i| i..i + 2);
    let crlf = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i..i + 4);
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.start <= b.start { a } else { b }),
        (a, b) => a.or(b),
    }
}

fn parse_data(data: &str) -> Vec<StreamEvent> {
    if data.trim() == "[DONE]" {
        return vec![StreamEvent::Done];
    }
    let Ok(chunk) = serde_json::from_str::<Value>(data) else {
        return vec![StreamEvent::Error(format!(
            "the stream sent something that is not JSON: {}",
            data.chars().take(80).collect::<String>()
        ))];
    };
    if let Some(error) = chunk.get("error") {
        let message = error["message"].as_str().unwrap_or("unknown error");
        return vec![StreamEvent::Error(message.to_string())];
    }
    let mut events = Vec::new();
    let delta = &chunk["choices"][0]["delta"];
    for (field, wrap) in [
        (
            "reasoning_content",
            StreamEvent::Reasoning as fn(String) -> StreamEvent,
        ),
        ("reasoning", StreamEvent::Reasoning),
        ("content", StreamEvent::Content),
    ] {
        if let Some(text) = delta[field].as_str().filter(|t| !t.is_empty()) {
            events.push(wrap(text.to_string()));
        }
    }
    if let Some(usage) = chunk.get("usage").filter(|u| !u.is_null()) {
        events.push(StreamEvent::Usage {
            prompt: usage["prompt_tokens"].as_u64().unwrap_or(0),
            completion: usage["completion_tokens"].as_u64().unwrap_or(0),
        });
    }
    events
}

/// The message of an OpenAI-shaped error body (`{"error": {"message": …}}`), or the body.
pub fn error_message(status: u16, body: &str) -> String {
    let message = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| body.chars().take(200).collect());
    format!("{status}: {message}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = concat!(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"hm\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Grüße\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\", world\"}}]}\n\n",
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2}}\n\n",
        "data: [DONE]\n\n",
    );

    fn expected() -> Vec<StreamEvent> {
        vec![
            StreamEvent::Reasoning("hm".into()),
            StreamEvent::Content("Grüße".into()),
            StreamEvent::Content(", world".into()),
            StreamEvent::Usage {
                prompt: 7,
                completion: 2,
            },
            StreamEvent::Done,
        ]
    }

    #[test]
    fn a_stream_split_at_every_byte_decodes_the_same() {
        let bytes = STREAM.as_bytes();
        for cut in 0..=bytes.len() {
            let mut decoder = SseDecoder::default();
            let mut events = decoder.push(&bytes[..cut]);
            events.extend(decoder.push(&bytes[cut..]));
            assert_eq!(events, expected(), "split at byte {cut}");
        }
        let mut decoder = SseDecoder::default();
        let one_by_one: Vec<_> = bytes.iter().flat_map(|b| decoder.push(&[*b])).collect();
        assert_eq!(one_by_one, expected());
    }

    #[test]
    fn crlf_separators_and_errors_are_understood() {
        let mut decoder = SseDecoder::default();
        let events = decoder.push(
            b"data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\r\n\r\ndata: {\"error\":{\"message\":\"engine died\"}}\r\n\r\ndata: nonsense\n\n",
        );
        assert_eq!(events[0], StreamEvent::Content("a".into()));
        assert_eq!(events[1], StreamEvent::Error("engine died".into()));
        assert!(matches!(&events[2], StreamEvent::Error(m) if m.contains("nonsense")));
    }

    #[test]
    fn error_bodies_are_read_for_their_message() {
        let body =
            r#"{"error":{"message":"The model `x` does not exist.","code":"model_not_found"}}"#;
        assert_eq!(
            error_message(404, body),
            "404: The model `x` does not exist."
        );
        assert_eq!(error_message(502, "Bad Gateway"), "502: Bad Gateway");
    }

    #[test]
    fn the_request_streams_and_asks_for_usage() {
        let body = request_body(
            "m",
            &[Message {
                role: Role::User,
                content: "Hi".into(),
            }],
            64,
        );
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"]["include_usage"], true);
        assert_eq!(body["messages"][0]["role"], "user");
    }
}
