import { test, expect } from '@playwright/test';

test('overview shows both simulated Sparks with live status', async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
  page.on('pageerror', (err) => consoleErrors.push(err.message));

  await page.goto('/');
  // The WASM took over the server-rendered page (an effect flips this only in the browser).
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();

  for (const name of ['spark-1', 'spark-2']) {
    const card = page.getByTestId(`node-${name}`);
    await expect(card.getByRole('heading', { name })).toBeVisible();
    await expect(card.locator('.badge')).toHaveText('up');
    await expect(card.getByText('NVIDIA GB10')).toBeVisible();
  }
  await expect(page.getByTestId('node-spark-1').getByText('vllm', { exact: true })).toBeVisible();
  const vllm = page.getByTestId('service-spark-1-vllm');
  await expect(vllm.locator('.badge')).toHaveText('up');
  await expect(vllm.getByText('gpt-oss-120b')).toBeVisible();

  // Live: the client polls and re-renders without a reload.
  const updated = page.getByTestId('updated');
  const first = await updated.textContent();
  await expect.poll(async () => updated.textContent(), { timeout: 10_000 }).not.toBe(first);

  expect(consoleErrors).toEqual([]);
});

test('the page is usable by keyboard', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.getByText('Skip to content')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Overview' })).toBeFocused();
});
