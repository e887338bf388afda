import { expect, test } from './fixtures';
import { REALDATA } from './realdata';
import { generateSmall, trainTinyOneEpoch } from './steps';

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

  await generateSmall(page, 'cracks'); // the bundled texture comes from the cache
  await trainTinyOneEpoch(page, 8);

  await page.getByRole('button', { name: 'Analyse', exact: true }).click();
  await page.getByLabel('Chip images').setInputFiles(`${REALDATA}cracks/ceramic-tile-arthurflor23/image/002.png`);
  await page.getByRole('button', { name: 'Analyse', exact: true }).last().click();
  await expect(page.getByTestId('verdict')).toHaveText(/^(crack|no crack)$/, { timeout: 60_000 });
});
