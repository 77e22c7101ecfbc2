import { test, expect, type Page } from '@playwright/test';

// The embedded simulated cluster starts with gpt-oss-120b loaded on spark-1 and loads a model
// in SIM_LOAD_SECS (3 s, see playwright.config.ts).

async function openModels(page: Page) {
  await page.goto('/models');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
}

test('cancelling the confirmation changes nothing', async ({ page }) => {
  await openModels(page);
  await expect(page.getByTestId('model-gpt-oss-120b').getByText('Loaded')).toBeVisible();

  await page.getByTestId('model-llama-3.3-70b').getByRole('button', { name: /Switch to/ }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('GPT-OSS 120B will stop on spark-1');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  await expect(page.getByTestId('swap-panel')).toHaveCount(0);
  const api = await (await page.request.get('/api/models')).json();
  expect(api.loaded).toBe('gpt-oss-120b');
  expect(api.swap).toBeNull();
});

test('swap a model: confirm, watch progress, see the new model loaded', async ({ page, browser }) => {
  const consoleErrors: string[] = [];
  page.on('pageerror', (err) => consoleErrors.push(err.message));
  await openModels(page);

  const target = page.getByTestId('model-qwen3-coder-30b');
  await target.getByRole('button', { name: 'Switch to Qwen3 Coder 30B-A3B' }).click();

  // The confirmation says what stops, for how long chat is down, and what keeps running.
  const dialog = page.getByRole('dialog', { name: 'Switch to Qwen3 Coder 30B-A3B?' });
  await expect(dialog).toContainText(
    'GPT-OSS 120B will stop on spark-1, and Qwen3 Coder 30B-A3B will start in its place.');
  await expect(dialog).toContainText('Chat will be unavailable');
  await expect(dialog).toContainText('at most 10 minutes');
  await expect(dialog).toContainText('Unaffected, they keep running: spark-2.');
  // Every value the progress bar takes is recorded in the page as it happens: a busy machine
  // may run the whole load while this test still opens the second browser below.
  await page.evaluate(() => {
    const seen: number[] = [];
    (window as unknown as { progressSeen: number[] }).progressSeen = seen;
    const record = () => {
      const bar = document.querySelector('[role="progressbar"]');
      const value = bar?.getAttribute('aria-valuenow');
      if (value != null && seen[seen.length - 1] !== Number(value)) seen.push(Number(value));
    };
    new MutationObserver(record).observe(document.body, {
      subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'],
    });
  });
  await dialog.getByRole('button', { name: 'Stop and switch' }).click();
  await expect(dialog).toBeHidden();

  const panel = page.getByTestId('swap-panel');
  await expect(panel.getByRole('heading')).toHaveText('Swapping to Qwen3 Coder 30B-A3B on spark-1');

  // A second browser opened mid-swap shows the same swap in progress.
  const other = await browser.newPage();
  await other.goto('/models');
  await expect(other.getByTestId('swap-panel').getByRole('heading'))
    .toHaveText(/Qwen3 Coder 30B-A3B on spark-1/);

  // The progress bar only moves forward, through several steps, to 100.
  const bar = panel.getByRole('progressbar', { name: 'Swap progress' });
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')),
    { timeout: 30_000, intervals: [100] }).toBe(100);
  const seen = await page.evaluate(
    () => (window as unknown as { progressSeen: number[] }).progressSeen);
  expect(seen.length, `progress values seen: ${seen}`).toBeGreaterThanOrEqual(3);
  expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  await expect(page.getByTestId('swap-phase')).toHaveText('Ready');
  await expect(page.getByTestId('swap-times')).toContainText('Took');
  // The history records that the dashboard asked, and from where (this browser; against the
  // StartOS image, the docker bridge's address that the browser's connections arrive from).
  const last = (await (await page.request.get('/api/swap')).json()).swap;
  const from = process.env.E2E_CLIENT_ADDR ?? '127.0.0.1';
  expect([last.requested_by, last.requested_from]).toEqual(['dashboard', from]);

  // The new model is marked loaded, in both browsers, without a reload.
  for (const p of [page, other]) {
    await expect(p.getByTestId('model-qwen3-coder-30b').getByText('Loaded')).toBeVisible();
    await expect(p.getByTestId('model-gpt-oss-120b').getByText('Loaded')).toHaveCount(0);
  }
  await expect(other.getByTestId('swap-phase')).toHaveText('Ready');
  await other.close();
  expect(consoleErrors).toEqual([]);

  // Leave the cluster as the other tests expect it, through the REST API scripts use.
  const back = await page.request.post('/api/swap', { data: { model: 'gpt-oss-120b' } });
  expect(back.status()).toBe(202);
  await expect.poll(async () => (await (await page.request.get('/api/models')).json()).loaded,
    { timeout: 30_000 }).toBe('gpt-oss-120b');
});
