import { expect, type Page } from '@playwright/test';

/** From the Generate view: a small dataset (cracks or grains, 64 px), stored and complete. */
export async function generateSmall(page: Page, kind: 'cracks' | 'grains', count = 16) {
  if (kind === 'cracks') {
    await page.getByLabel('Crack tiles (classification)').check();
    await expect(page.getByText(/exemplar images/)).toBeVisible();
    await page.getByLabel('Tile size (px)').fill('64');
  } else await page.getByLabel('Size (px)').fill('64');
  await page.getByLabel('Count').fill(String(count));
  await page.getByRole('button', { name: 'Generate dataset' }).click();
  await expect(page.getByTestId('dataset-status')).toContainText(`${count} of ${count} stored, complete`, { timeout: 60_000 });
}

/** In the Train view: a tiny one-phase model (ResNet-10 × 0.125) for one epoch, with the automatic backend. */
export async function trainTinyOneEpoch(page: Page, batch: number) {
  await page.getByRole('button', { name: 'Train', exact: true }).first().click();
  await page.locator('select[name=depth]').selectOption('10');
  await page.locator('input[name=width]').fill('0.125');
  await page.locator('input[name=batch]').fill(String(batch));
  while ((await page.getByRole('button', { name: 'remove' }).count()) > 1) await page.getByRole('button', { name: 'remove' }).first().click();
  await page.getByLabel('Phase 1 epochs').fill('1');
  await page.getByLabel('Phase 1 size').fill('64');
  await page.getByRole('button', { name: 'Train', exact: true }).nth(1).click();
  await expect(page.getByText('Training finished.')).toBeVisible({ timeout: 200_000 });
}
