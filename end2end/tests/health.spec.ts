import { test, expect } from '@playwright/test';

test('health page: node cards with trends, services, and the outage log', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto('/health');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Health', level: 1 })).toBeVisible();

  for (const name of ['spark-1', 'spark-2']) {
    const card = page.getByTestId(`node-${name}`);
    await expect(card.locator('.badge')).toHaveText('up');
    // Sparklines fill in as node probes arrive (every 2 s).
    await expect(card.getByRole('img', { name: 'GPU utilisation over time' })).toBeVisible({ timeout: 20_000 });
    await expect(card.getByRole('img', { name: 'Memory used over time' })).toBeVisible();
  }
  await expect(page.getByTestId('service-spark-1-vllm').locator('.badge')).toHaveText('up');
  // vLLM's queue depth sits in its service's card
  const queue = page.getByTestId('service-spark-1-vllm').getByTestId('queue-spark-1-vllm');
  await expect(queue).toContainText('running');
  await expect(queue).toContainText('waiting');
  await expect(page.getByRole('heading', { name: 'Outages' })).toBeVisible();
  // An empty log is one sentence, not an empty timeline beside an empty list; a log with
  // outages (a probe may have caught a blip) shows its table.
  const outages = page.locator('section', { has: page.getByRole('heading', { name: 'Outages' }) });
  if (await outages.getByTestId('outages-empty').count()) {
    await expect(outages.locator('p')).toHaveCount(1);
  } else {
    await expect(outages.getByTestId('outage-list')).toBeVisible();
  }
  expect(errors).toEqual([]);
});
