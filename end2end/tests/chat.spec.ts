import { test, expect } from '@playwright/test';

// The simulated vLLM echoes the last 16 words of the prompt after a fixed preamble, one token
// per SIM_TOKEN_MS (120 ms here), so an answer takes a few seconds and can be watched and cut.
const PROMPT = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen';

test('chat: tokens stream in, and Stop cuts an answer short', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto('/chat');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Chat', level: 1 })).toBeVisible();
  const model = page.getByRole('combobox', { name: 'Model' });
  await expect(model).toBeVisible();
  const served = await model.inputValue();
  expect(served).not.toEqual('');

  const input = page.getByRole('textbox', { name: 'Message' });
  const answer = page.locator('.chat-message.assistant p').last();

  // 1. A whole answer, watched as it grows.
  await input.fill(PROMPT);
  await input.press('Enter');
  await expect(page.locator('.chat-message.user p')).toHaveText(PROMPT);
  await expect(page.getByRole('button', { name: 'Stop' })).toBeVisible();
  const lengths = new Set<number>();
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const text = (await answer.textContent()) ?? '';
    lengths.add(text.length);
    if (text.endsWith('sixteen')) break;
    await page.waitForTimeout(40);
  }
  await expect(answer).toHaveText(`This is a simulated reply from ${served}. You said: ${PROMPT}`);
  expect(lengths.size, 'the answer was seen growing, token by token').toBeGreaterThan(5);
  await expect(page.getByRole('button', { name: 'Send' })).toBeVisible();
  await expect(page.getByTestId('chat-stats')).toContainText('tokens');

  // 2. Stop midway: the answer stays cut and the conversation can go on.
  await input.fill(PROMPT);
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.locator('.chat-message.assistant')).toHaveCount(2);
  await expect(answer).toContainText('simulated');
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByRole('button', { name: 'Send' })).toBeVisible();
  const cut = (await answer.textContent()) ?? '';
  await page.waitForTimeout(1_000);
  await expect(answer).toHaveText(cut);
  expect(cut).not.toContain('sixteen');

  // 3. A fresh start.
  await page.getByRole('button', { name: 'New conversation' }).click();
  await expect(page.locator('.chat-message')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('chat: Stop works before the model has sent anything', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  // Hold the answer back, as a model still reading a long prompt does: the request stays
  // open, with nothing sent back, until the page gives up on it.
  let held = 0;
  await page.route('**/v1/chat/completions', async () => {
    held += 1;
  });
  await page.goto('/chat');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  const input = page.getByRole('textbox', { name: 'Message' });
  await input.fill('hello there');
  await input.press('Enter');
  await expect.poll(() => held).toBe(1);
  await page.getByRole('button', { name: 'Stop' }).click();
  // Stopped at once: not after a first token that never comes.
  await expect(page.getByRole('button', { name: 'Send' })).toBeVisible({ timeout: 3_000 });
  await expect(page.getByText('The answer failed')).toHaveCount(0);
  // The question stays; the answer that never started is taken back out.
  await expect(page.locator('.chat-message.user p')).toHaveText('hello there');
  await expect(page.locator('.chat-message.assistant')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('chat: leaving the page aborts the answer', async ({ page }) => {
  await page.route('**/v1/chat/completions', async () => {});
  const aborted = page.waitForEvent('requestfailed', (r) => r.url().endsWith('/v1/chat/completions'));
  await page.goto('/chat');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  const input = page.getByRole('textbox', { name: 'Message' });
  await input.fill('hello there');
  await input.press('Enter');
  await expect(page.getByRole('button', { name: 'Stop' })).toBeVisible();
  // Another page of the dashboard, without reloading: the chat page goes away.
  await page.getByRole('link', { name: 'Overview' }).click();
  await expect(page.getByRole('heading', { name: 'Cluster overview' })).toBeVisible();
  expect((await aborted).failure()?.errorText).toContain('ABORTED');
});
