import { expect, test } from './fixtures';
import { generateSmall, trainTinyOneEpoch } from './steps';
import { REALDATA } from './realdata';
import { tiff } from '../tiffWriter';

test('a colour upload is kept as RGB (and a grey one as grey) across a reload', async ({ page }) => {
  await page.goto('./');
  await page.getByRole('button', { name: 'Real data' }).click();
  await page.getByLabel('Choose images or zip').setInputFiles([`${REALDATA}grains/mlographypp-tbm/images/10-0-768.png`, `${REALDATA}grains/nist-optical-steel/images/nist-steel.png`]);
  await expect(page.getByText(/Imported 2 images/)).toBeVisible();
  await page.reload();
  await page.getByRole('button', { name: 'Real data' }).click();
  await expect(page.getByRole('listitem').filter({ hasText: '10-0-768.png' })).toContainText('256×256 · RGB');
  await expect(page.getByRole('listitem').filter({ hasText: 'nist-steel.png' })).toContainText('800×600');
  await expect(page.getByRole('listitem').filter({ hasText: 'nist-steel.png' })).not.toContainText('RGB');
});

test('an RGB TIFF is kept as RGB in Real data, as an RGB PNG is', async ({ page }) => {
  await page.goto('./');
  await page.getByRole('button', { name: 'Real data' }).click();
  const rgb = Array.from({ length: 3 * 128 * 128 }, (_, i) => (i % 3 === 0 ? 180 : i % 3 === 1 ? 120 : 40) + ((i * 7) % 50));
  await page.getByLabel('Choose images or zip').setInputFiles([
    { name: 'etched16.tif', mimeType: 'image/tiff', buffer: Buffer.from(tiff(128, 128, rgb.map((v) => v * 257), { bits: 16, samples: 3 })) },
    { name: 'grey.tif', mimeType: 'image/tiff', buffer: Buffer.from(tiff(128, 128, rgb.filter((_, i) => i % 3 === 0))) },
  ]);
  await expect(page.getByText(/Imported 2 images/)).toBeVisible();
  await expect(page.getByRole('listitem').filter({ hasText: 'etched16.tif' })).toContainText('128×128 · RGB');
  await expect(page.getByRole('listitem').filter({ hasText: 'grey.tif' })).toContainText('128×128');
  await expect(page.getByRole('listitem').filter({ hasText: 'grey.tif' })).not.toContainText('RGB');
});

test('a colour-etched dataset trains an RGB U-Net in the Train tab', async ({ page }) => {
  await page.goto('./');
  await page.getByLabel('Preset').selectOption('colour-etched');
  await generateSmall(page, 'grains', 8);
  await trainTinyOneEpoch(page, 4);
  await expect(page.getByRole('row').filter({ hasText: 'depth 10 × 0.125, RGB input' })).toBeVisible();
});

test('Analyse reads a colour micrograph in colour for an RGB U-Net and measures its grains', async ({ page }) => {
  test.setTimeout(300_000);
  // Records what the page asks the engine to analyse: the colour must reach an RGB model.
  await page.addInitScript(() => {
    const post = Worker.prototype.postMessage;
    const seen = window as unknown as { analysed: { colour: number; grey: number }[] };
    seen.analysed = [];
    Worker.prototype.postMessage = function (this: Worker, message: unknown, ...rest: unknown[]) {
      const m = message as { method?: string; args?: { images: { image: { pixels: Uint8Array }; colour?: Uint8Array }[] } } | null;
      if (m?.method === 'analyse') for (const im of m.args!.images) seen.analysed.push({ colour: im.colour?.length ?? 0, grey: im.image.pixels.length });
      return (post as (...a: unknown[]) => void).apply(this, [message, ...rest]);
    };
  });
  await page.goto('./');
  await page.getByLabel('Preset').selectOption('colour-etched');
  await generateSmall(page, 'grains', 8);
  await trainTinyOneEpoch(page, 4);
  await page.getByRole('button', { name: 'Analyse', exact: true }).click();
  await page.getByLabel('Micrograph', { exact: true }).setInputFiles(`${REALDATA}grains/mlographypp-tbm/images/10-0-768.png`);
  await expect(page.getByTestId('colour-note')).toHaveText('The image is in colour: this RGB model reads their colour.');
  await page.getByRole('button', { name: 'Analyse', exact: true }).last().click();
  await expect(page.getByTestId('grain-stats')).toContainText('ASTM E112 G, planimetric', { timeout: 120_000 });
  await expect(page.getByLabel('analysis of 10-0-768.png')).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { analysed: unknown[] }).analysed)).toEqual([{ colour: 3 * 256 * 256, grey: 256 * 256 }]);
});
