import { test, expect } from '@playwright/test';

test('privacy: scrub shows placeholders, rehydrate restores a mangled answer', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto('/privacy');
  await expect(page.locator('[data-hydrated="true"]')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Privacy', level: 1 })).toBeVisible();

  const input = page.getByLabel('1. Text with personal data');
  await input.fill('Please call Maria Keller at +49 30 1234567 or write to maria.keller@example.org about card 4111 1111 1111 1111.');
  await page.getByRole('button', { name: 'Scrub' }).click();

  const scrubbed = page.getByTestId('scrubbed');
  await expect(scrubbed).toContainText('[EMAIL_1]');
  await expect(scrubbed).toContainText('[PERSON_1]');
  for (const secret of ['maria.keller@example.org', 'Keller', '1234567', '4111']) {
    await expect(scrubbed).not.toContainText(secret);
  }
  expect(await scrubbed.locator('mark.placeholder').count()).toBeGreaterThanOrEqual(4);

  // A model that changed case and brackets, as models do.
  await page.getByLabel(/3\. A model's answer/).fill('Done: I wrote to **[person_1]** at (EMAIL_1).');
  await page.getByRole('button', { name: 'Rehydrate' }).click();
  await expect(page.getByTestId('restored')).toHaveText('Done: I wrote to **Maria Keller** at maria.keller@example.org.');

  // The same session: a second scrub keeps the numbering.
  await input.fill('Forward it to maria.keller@example.org and tom@example.net.');
  await page.getByRole('button', { name: 'Scrub' }).click();
  await expect(scrubbed).toHaveText('Forward it to [EMAIL_1] and [EMAIL_2].');
  expect(errors).toEqual([]);
});
