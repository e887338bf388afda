import { expect, test } from './fixtures';
import { REALDATA } from './realdata';

test.setTimeout(300_000);
test.use({ serviceWorkers: 'allow' });

test('after one visit the app works offline: generate, train, and analyse an image with the network off', async ({ page, context }) => {
  await page.goto('./');
  // The service worker has precached everything once it controls the page.
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
  });
  expect(await page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'SynthScope' })).toBeVisible();

  await page.getByLabel('Crack tiles (classification)').check();
  await expect(page.getByText(/4 exemplar images/)).toBeVisible(); // bundled texture, from the cache
  await page.getByLabel('Tile size (px)').fill('64');
  await page.getByLabel('Count').fill('16');
  await page.getByRole('button', { name: 'Generate dataset' }).click();
  await expect(page.getByTestId('dataset-status')).toContainText('16 of 16 stored, complete', { timeout: 60_000 });
  await page.getByRole('button', { name: 'Train', exact: true }).first().click();
  await page.locator('select[name=depth]').selectOption('10');
  await page.locator('input[name=width]').fill('0.125');
  await page.locator('input[name=batch]').fill('8');
  while ((await page.getByRole('button', { name: 'remove' }).count()) > 1) await page.getByRole('button', { name: 'remove' }).first().click();
  await page.getByLabel('Phase 1 epochs').fill('1');
  await page.getByRole('button', { name: 'Train', exact: true }).nth(1).click();
  await expect(page.getByText('Training finished.')).toBeVisible({ timeout: 200_000 });

  await page.getByRole('button', { name: 'Analyse', exact: true }).click();
  await page.getByLabel('Chip images').setInputFiles(`${REALDATA}cracks/ceramic-tile-arthurflor23/image/002.png`);
  await page.getByRole('button', { name: 'Analyse', exact: true }).last().click();
  await expect(page.getByTestId('verdict')).toHaveText(/^(crack|no crack)$/, { timeout: 60_000 });
});
