import { generateGrainSample, type GrainRecipe } from '../../src/lib/synth/grains/index';
import { datasetFingerprint, sampleHash } from '../../src/lib/synth/dataset';
import { GRAIN_PRESETS } from '../../src/lib/synth/grains/space';
import { gFromDiameter } from '../../src/lib/analysis/scale';
import { expect, test } from './fixtures';

async function fillRecipe(page: import('@playwright/test').Page, size: number, count: number, seed: number) {
  await page.getByLabel('Size (px)').fill(String(size));
  await page.getByLabel('Count').fill(String(count));
  await page.getByLabel('Seed').fill(String(seed));
}

test('generates a dataset through the UI, which survives a reload, with the same bytes as Node', async ({ page }) => {
  await page.goto('./');
  await page.getByLabel('Preset').selectOption('tint-etched');
  await fillRecipe(page, 96, 10, 42);
  await page.getByLabel('Dataset name').fill('tiny tint');
  await expect(page.getByLabel('preview image')).toBeVisible();
  await page.getByRole('button', { name: 'Generate dataset' }).click();
  await expect(page.getByTestId('dataset-status')).toContainText('10 of 10 stored, complete', { timeout: 60_000 });
  await expect(page.getByLabel(/^thumbnail grain_/)).toHaveCount(10);

  // Opening a thumbnail shows the sample full size with its parameter values.
  await page.getByLabel('thumbnail grain_00003').click();
  const dialog = page.getByRole('dialog', { name: 'Sample grain_00003' });
  await expect(dialog.getByTestId('sample-params')).toContainText('grainDiameter');
  await dialog.getByRole('button', { name: 'Close' }).click();

  await page.reload();
  await page.getByRole('button', { name: 'Datasets' }).click();
  const row = page.getByTestId('dataset-row').filter({ hasText: 'tiny tint' });
  await expect(row).toContainText('10 / 10');
  await row.getByRole('button', { name: 'tiny tint' }).click();
  await expect(page.getByLabel(/^thumbnail grain_/)).toHaveCount(10);

  // The browser's workers made exactly the bytes Node makes for the same recipe.
  const preset = GRAIN_PRESETS.find((p) => p.id === 'tint-etched')!;
  const recipe: GrainRecipe = { kind: 'grains', preset: preset.id, settings: preset.settings, size: 96, count: 10, seed: 42 };
  const hashes = Array.from({ length: 10 }, (_, i) => {
    const s = generateGrainSample(recipe, i);
    return sampleHash(s.image, s.mask);
  });
  await expect(row.getByTestId('fingerprint')).toHaveText(datasetFingerprint(hashes));
});

test('a colour-etched dataset is stored and shown in colour, with the same bytes as Node', async ({ page }) => {
  await page.goto('./');
  await page.getByLabel('Preset').selectOption('colour-etched');
  await fillRecipe(page, 64, 4, 11);
  await page.getByLabel('Dataset name').fill('tiny colour');
  await page.getByRole('button', { name: 'Generate dataset' }).click();
  await expect(page.getByTestId('dataset-status')).toContainText('4 of 4 stored, complete', { timeout: 60_000 });
  // The thumbnail is drawn in colour: its pixels differ between red, green and blue.
  const thumb = page.getByLabel('thumbnail grain_00001');
  await expect(thumb).toBeVisible();
  const chroma = await thumb.evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let most = 0;
    for (let i = 0; i < d.length; i += 4) most = Math.max(most, Math.abs(d[i] - d[i + 2]), Math.abs(d[i + 1] - d[i + 2]));
    return most;
  });
  expect(chroma).toBeGreaterThan(20);

  await page.getByRole('button', { name: 'Datasets' }).click();
  const row = page.getByTestId('dataset-row').filter({ hasText: 'tiny colour' });
  await expect(row.getByTestId('channels')).toHaveText('RGB');
  const preset = GRAIN_PRESETS.find((p) => p.id === 'colour-etched')!;
  const recipe: GrainRecipe = { kind: 'grains', preset: preset.id, settings: preset.settings, size: 64, count: 4, seed: 11 };
  const hashes = Array.from({ length: 4 }, (_, i) => {
    const s = generateGrainSample(recipe, i);
    expect(s.image.length).toBe(3 * 64 * 64);
    return sampleHash(s.image, s.mask);
  });
  await expect(row.getByTestId('fingerprint')).toHaveText(datasetFingerprint(hashes));
});

test('a bad parameter shows a message naming the field and its range, and blocks generating', async ({ page }) => {
  await page.goto('./');
  await page.getByLabel('Blur sigma', { exact: true }).fill('9');
  await expect(page.getByRole('alert').filter({ hasText: 'Blur sigma (blurSigma) is 9, outside the allowed range 0 to 4 px.' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Generate dataset' })).toBeDisabled();
  await page.getByLabel('Size (px)').fill('2000');
  await expect(page.getByText('Image size must be a whole number from 64 to 1024 px.')).toBeVisible();
  // A dataset too big to store: refused here, and no share link that whoever opens it would refuse.
  await page.getByLabel('Blur sigma', { exact: true }).fill('1');
  await page.getByLabel('Size (px)').fill('512');
  await page.getByLabel('Count').fill('100000');
  await expect(page.getByRole('alert').filter({ hasText: 'keep count × size² under 16 billion pixels' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Share link' })).toBeDisabled();
  await page.getByLabel('Count').fill('10');
  await expect(page.getByRole('button', { name: 'Share link' })).toBeEnabled();
});

test('a pixel size shows the grain design in µm with its E112 G, and sets the grain diameter in µm', async ({ page }) => {
  await page.goto('./');
  await expect(page.getByTestId('scale')).toContainText('unknown');
  await page.getByLabel('Pixel size, µm per px').fill('0.5');
  const lo = page.getByLabel('Grain diameter (µm)', { exact: true });
  await expect(lo).toHaveValue('15'); // the preset's 30 px
  await expect(page.getByLabel('Grain diameter (µm) upper end')).toHaveValue('50');
  const g = (px: number) => gFromDiameter(px, 0.5).toFixed(1);
  await expect(page.getByTestId('grain-size-um')).toContainText(`= 30–100 px; ASTM E112 G ${g(100)} to ${g(30)}`);
  await lo.fill('20');
  await lo.blur();
  await expect(page.locator('tr', { hasText: 'Mean grain diameter' }).locator('input').first()).toHaveValue('40');
  await expect(page.getByTestId('grain-size-um')).toContainText(`= 40–100 px; ASTM E112 G ${g(100)} to ${g(40)}`);
  await page.getByLabel('Pixel size, µm per px').fill('0');
  await expect(page.getByRole('alert').filter({ hasText: 'Pixel size (micronsPerPixel) is 0 µm per pixel, outside the allowed' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Generate dataset' })).toBeDisabled();
});

test('a share link reproduces the same dataset on another machine', async ({ page, browser }) => {
  await page.goto('./');
  await page.getByLabel('Crack tiles (classification)').check();
  await page.getByLabel('Tile size (px)').fill('64');
  await page.getByLabel('Count').fill('6');
  await page.getByLabel('Seed').fill('77');
  await page.getByLabel('Width median').fill('3');
  await page.getByLabel('Width median').press('Tab');
  await page.getByRole('button', { name: 'Share link' }).click();
  const link = await page.getByLabel('Share link').inputValue();
  await page.getByRole('button', { name: 'Generate dataset' }).click();
  await expect(page.getByTestId('dataset-status')).toContainText('6 of 6 stored, complete');
  await page.getByRole('button', { name: 'Datasets' }).click();
  const mine = await page.getByTestId('fingerprint').first().textContent();

  // A collaborator: a fresh browser profile opening the link.
  const other = await (await browser.newContext()).newPage();
  await other.goto(link);
  await expect(other.getByText('Opened from a shared link')).toBeVisible();
  await expect(other.getByLabel('Crack tiles (classification)')).toBeChecked();
  await other.getByRole('button', { name: 'Generate dataset' }).click();
  await expect(other.getByTestId('dataset-status')).toContainText('6 of 6 stored, complete');
  await other.getByRole('button', { name: 'Datasets' }).click();
  await expect(other.getByTestId('fingerprint').first()).toHaveText(mine!);

  await other.goto('about:blank');
  await other.goto(link.slice(0, -12));
  await expect(other.getByRole('alert').filter({ hasText: /This recipe link is (damaged|not valid)/ })).toBeVisible();
});

test('a hostile share link (unknown preset, null recipe, crack recipe without its crack part) gets a message and the app still works', async ({ page }) => {
  const link = (value: unknown) => './#recipe=' + Buffer.from(JSON.stringify(value)).toString('base64url');
  const grains = { kind: 'grains', preset: 'no-such-preset', settings: {}, size: 128, count: 4, seed: 1 };
  const cracks = { kind: 'cracks', size: 64, count: 4, seed: 1, settings: {} };
  for (const [value, message] of [[grains, /Unknown preset "no-such-preset"/], [null, /holds no grain or crack recipe/], [cracks, /This recipe link is not valid: .* is missing/]] as const) {
    await page.goto('about:blank');
    await page.goto(link(value));
    await expect(page.getByRole('alert').filter({ hasText: message })).toBeVisible();
    // Not locked: the default recipe generates.
    await page.getByLabel('Count').fill('2');
    await page.getByRole('button', { name: 'Generate dataset' }).click();
    await expect(page.getByTestId('dataset-status')).toContainText('2 of 2 stored, complete');
  }
});

test('“Match my images” measures a real micrograph off the UI thread, shows it beside a synthetic sample, and sets the ranges from it', async ({ page }) => {
  const { REALDATA } = await import('./realdata');
  await page.goto('./');
  const diameter = page.locator('tr', { hasText: 'Mean grain diameter' }).locator('input').first();
  await expect(diameter).toHaveValue('30'); // the preset's lower end
  await page.getByLabel('Match my images').setInputFiles(`${REALDATA}grains/nist-optical-steel/images/nist-steel.png`);
  const result = page.getByTestId('match-result');
  await expect(result).toContainText('dark lines', { timeout: 30_000 });
  await expect(result.getByRole('img', { name: 'your micrograph' })).toBeVisible();
  await expect(page.getByRole('img', { name: 'your images: grey levels' })).toBeVisible();
  await expect(page.getByRole('img', { name: 'this sample: grey levels' })).toBeVisible();
  // NIST's grains are about 50 px across at 256 px: the range moves there from the preset's 30–100.
  const lo = Number(await diameter.inputValue());
  expect(lo).toBeGreaterThan(30);
  expect(lo).toBeLessThan(60);
  // Dark lines, as the default preset draws them: no other preset is suggested.
  await expect(page.getByTestId('match-preset')).toHaveCount(0);
  await page.getByLabel('Match my images').setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not an image') });
  await expect(page.getByRole('alert').filter({ hasText: 'notes.png is not a PNG, JPEG or TIFF image' })).toBeVisible();
});

test('“Match my images” on colour micrographs measures their grain tints and sets the tint ranges', async ({ page }) => {
  const { REALDATA } = await import('./realdata');
  await page.goto('./');
  const hue = page.locator('tr', { hasText: 'Tint hue centre' }).locator('input');
  const saturation = page.locator('tr', { hasText: 'Tint saturation' }).locator('input');
  const folder = `${REALDATA}grains/mlographypp-tbm/images/`;
  await page.getByLabel('Match my images').setInputFiles(['10-0-768.png', '11-0-0.png', '11-0-256.png'].map((f) => folder + f));
  const result = page.getByTestId('match-result');
  await expect(result).toContainText('tone edges', { timeout: 30_000 });
  await expect(result.locator('tr', { hasText: 'tint hue centre' })).toBeVisible();
  await expect(result).toContainText(/clearly coloured|are coloured/);
  // These crops are amber and blue grains: the hue range sits around amber (about 30–55°), the
  // saturation well above grey.
  const [hueLo, hueHi] = [Number(await hue.nth(0).inputValue()), Number(await hue.nth(1).inputValue())];
  expect(hueLo).toBeGreaterThan(15);
  expect(hueHi).toBeLessThan(70);
  expect(hueHi).toBeGreaterThan(hueLo);
  expect(Number(await saturation.nth(0).inputValue())).toBeGreaterThan(0.15);
  // The default preset draws dark lines; the colour preset is suggested, and taken with the matched ranges.
  const suggestion = page.getByTestId('match-preset');
  await expect(suggestion).toContainText('tone edges between coloured grains');
  await suggestion.getByRole('button', { name: 'Use Colour etched (RGB) with the matched ranges' }).click();
  await expect(page.getByLabel('Preset')).toHaveValue('colour-etched');
  await expect(suggestion).toHaveCount(0);
  expect(Number(await hue.nth(0).inputValue())).toBe(hueLo);
  await expect(page.locator('tr', { hasText: 'Colour (tint etching)' }).locator('input').first()).toHaveValue('1');
});
