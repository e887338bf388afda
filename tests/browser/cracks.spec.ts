import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { encode as encodePng } from 'fast-png';
import { decodeGreyPng } from '../../src/lib/data/png';
import { CrackGenerator } from '../../src/lib/synth/cracks/index';
import { DEFAULT_CRACK_MODEL, DEFAULT_TEXTURE_SETTINGS } from '../../src/lib/synth/cracks/space';
import { datasetFingerprint, sampleHash } from '../../src/lib/synth/dataset';
import { expect, test } from './fixtures';
import { realCrackZip, REALDATA } from './realdata';

test('imports real crack data, labels tiles with keys, undoes, and keeps it all across a reload', async ({ page }) => {
  await page.goto('./');
  await page.getByRole('button', { name: 'Real data' }).click();
  await page.getByLabel('Choose images or zip').setInputFiles({ name: 'cracks.zip', mimeType: 'application/zip', buffer: realCrackZip(2, 3) });
  // 2 wall images of 256² on a 64-px grid (9 tiles each, labelled from the mask) + 6 labelled tiles.
  await expect(page.getByText(/Imported 8 images with 24 tiles/)).toBeVisible();

  // A plain photo: tile it on a grid and label by keyboard.
  await page.getByLabel('Choose images or zip').setInputFiles(`${REALDATA}grains/nist-optical-steel/images/nist-steel.png`);
  await expect(page.getByText(/Imported 1 images with 0 tiles/)).toBeVisible();
  await page.getByRole('button', { name: 'nist-steel.png', exact: true }).click();
  await page.getByLabel('Stride (px)').fill('128');
  await page.getByRole('button', { name: 'Cut 128×128 grid' }).click();
  await expect(page.getByTestId('tile-counts')).toHaveText('35 tiles · 0 crack · 0 no crack · 35 unlabelled');
  const editor = page.getByRole('application');
  await editor.focus();
  await page.keyboard.press('c');
  await page.keyboard.press('n');
  await page.keyboard.press('n');
  await expect(page.getByTestId('tile-counts')).toHaveText('35 tiles · 1 crack · 2 no crack · 32 unlabelled');
  await page.keyboard.press('z');
  await expect(page.getByTestId('tile-counts')).toHaveText('35 tiles · 1 crack · 1 no crack · 33 unlabelled');
  await page.keyboard.press('p');
  await expect(page.getByTestId('current-label')).toContainText('pinned to test');
  // No file stated its pixel size: asked once for the set.
  await expect(page.getByText('9 images without a pixel size:')).toBeVisible();
  await page.getByLabel('Pixel size of the set, µm per px').fill('0.2252');
  await page.getByRole('button', { name: 'Give it to them' }).click();
  await expect(page.getByText('Pixel size 0.2252 µm per px given to 9 images.')).toBeVisible();

  await page.reload();
  await page.getByRole('button', { name: 'Real data' }).click();
  await page.getByRole('button', { name: 'nist-steel.png', exact: true }).click();
  await expect(page.getByTestId('tile-counts')).toHaveText('35 tiles · 1 crack · 1 no crack · 33 unlabelled');
  await expect(page.getByTestId('split-counts')).toBeVisible();
  await expect(page.getByRole('listitem').filter({ hasText: 'nist-steel.png' })).toContainText('800×600 · 0.2252 µm/px');
});

test('exports labelled tiles as crack/ + no_crack/ and imports the export again', async ({ page }) => {
  await page.goto('./');
  await page.getByRole('button', { name: 'Real data' }).click();
  await page.getByLabel('Choose images or zip').setInputFiles({ name: 'cracks.zip', mimeType: 'application/zip', buffer: realCrackZip(1, 2) });
  await expect(page.getByText(/Imported 5 images/)).toBeVisible();
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export labelled tiles (zip)' }).click();
  const path = await (await download).path();
  const entries = unzipSync(readFileSync(path));
  const names = Object.keys(entries);
  expect(names.every((n) => /^(crack|no_crack)\/[^/]+\.png$/.test(n))).toBe(true);
  expect(names.filter((n) => n.startsWith('crack/')).length).toBeGreaterThanOrEqual(2);
  const exported = names.length;

  // Into a clean store: delete everything, import the export, and export again: same tiles.
  const removes = page.getByRole('button', { name: /^Delete / });
  page.on('dialog', (d) => d.accept());
  for (let left = await removes.count(); left > 0; left--) {
    await removes.first().click();
    await expect(removes).toHaveCount(left - 1);
  }
  await page.getByLabel('Choose images or zip').setInputFiles({ name: 'again.zip', mimeType: 'application/zip', buffer: readFileSync(path) });
  await expect(page.getByText(`Imported ${exported} images with ${exported} tiles (${exported} labelled).`)).toBeVisible();
  const again = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export labelled tiles (zip)' }).click();
  const second = unzipSync(readFileSync(await (await again).path()));
  expect(Object.keys(second).sort()).toEqual(names.sort());
  for (const n of names) expect(Buffer.from(second[n]).equals(Buffer.from(entries[n]))).toBe(true);
});

test('a file that is not an image gets a clear message and nothing stored is lost', async ({ page }) => {
  await page.goto('./');
  await page.getByRole('button', { name: 'Real data' }).click();
  await page.getByLabel('Choose images or zip').setInputFiles({ name: 'cracks.zip', mimeType: 'application/zip', buffer: realCrackZip(0, 1) });
  await expect(page.getByText(/Imported 2 images/)).toBeVisible();
  await page.getByLabel('Choose images or zip').setInputFiles({ name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('not a png') });
  await expect(page.getByRole('alert').filter({ hasText: 'broken.png is not a PNG, JPEG or TIFF image' })).toBeVisible();
  await page.getByLabel('Choose images or zip').setInputFiles({ name: 'broken.zip', mimeType: 'application/zip', buffer: Buffer.from('PK nonsense') });
  await expect(page.getByRole('alert').filter({ hasText: 'broken.zip is not a readable zip file' })).toBeVisible();
  await expect(page.getByRole('listitem').filter({ hasText: '1 labelled' })).toHaveCount(2);
});

test('traces cracks on real tiles, shows the fitted distributions, and uses them for generation', async ({ page }) => {
  await page.goto('./');
  await page.getByRole('button', { name: 'Real data' }).click();
  await page.getByLabel('Choose images or zip').setInputFiles({ name: 'cracks.zip', mimeType: 'application/zip', buffer: realCrackZip(1, 0) });
  await expect(page.getByText(/Imported 1 images/)).toBeVisible();
  await page.getByRole('button', { name: '001.png', exact: true }).click();
  // Find a crack tile and trace along it twice.
  await page.getByRole('application').focus();
  for (let i = 0; i < 9 && !(await page.getByRole('button', { name: 'Trace crack' }).isVisible()); i++) await page.keyboard.press('ArrowRight');
  for (const trace of [[[20, 20], [60, 50], [100, 110]], [[10, 100], [50, 70], [90, 60], [120, 20]]]) {
    await page.getByRole('button', { name: 'Trace crack' }).click();
    await page.getByLabel('tile to trace').scrollIntoViewIfNeeded();
    const box = (await page.getByLabel('tile to trace').boundingBox())!;
    for (const [x, y] of trace) await page.mouse.click(box.x + x * 3, box.y + y * 3);
    await page.getByRole('button', { name: 'Finish trace' }).click();
  }
  await expect(page.getByTestId('trace-count')).toHaveText('2 traced cracks');
  await expect(page.getByText('Segment length (5 measured, px)')).toBeVisible();
  await expect(page.getByText('Bend angle (3 measured, °)')).toBeVisible();
  await page.getByRole('button', { name: 'Use for generation' }).click();
  await expect(page.getByText(/Generation now uses the fitted segments, segmentLength, bendAngle/)).toBeVisible();
  // The Generate view's crack editor now shows the fitted segment count range (2 to 3).
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await page.getByLabel('Crack tiles (classification)').check();
  await expect(page.getByLabel('Segments from')).toHaveValue('2');
  await expect(page.getByLabel('Segments to')).toHaveValue('3');
  await page.reload();
  await page.getByRole('button', { name: 'Real data' }).click();
  await expect(page.getByTestId('trace-count')).toHaveText('2 traced cracks');
});

test('generates a balanced crack-tile dataset with the same bytes as Node', async ({ page }) => {
  await page.goto('./');
  await page.getByLabel('Crack tiles (classification)').check();
  await expect(page.getByLabel('preview image')).toBeVisible();
  await page.getByLabel('Count').fill('8');
  await page.getByLabel('Seed').fill('5');
  await page.getByLabel('Dataset name').fill('tiny cracks');
  await page.getByRole('button', { name: 'Generate dataset' }).click();
  await expect(page.getByTestId('dataset-status')).toContainText('8 of 8 stored, complete');
  await expect(page.locator('.badge.crack')).toHaveCount(4);
  await expect(page.locator('.badge:not(.crack)')).toHaveCount(4);

  const index = JSON.parse(readFileSync('public/exemplars/index.json', 'utf8'));
  const exemplars = index.files.map((f: string) => decodeGreyPng(readFileSync(`public/exemplars/${f}`)));
  const generator = new CrackGenerator({ kind: 'cracks', size: 128, count: 8, seed: 5, settings: DEFAULT_TEXTURE_SETTINGS,
    crack: DEFAULT_CRACK_MODEL, exemplars, exemplarSource: index.source });
  const hashes = Array.from({ length: 8 }, (_, i) => {
    const s = generator.sample(i);
    return sampleHash(s.image, s.mask);
  });
  await page.getByRole('button', { name: 'Datasets' }).click();
  await expect(page.getByTestId('dataset-row').filter({ hasText: 'tiny cracks' }).getByTestId('fingerprint')).toHaveText(datasetFingerprint(hashes));
});

test('a grid at a tiny stride is refused at once, saying which stride fits', async ({ page }) => {
  await page.goto('./');
  await page.getByRole('button', { name: 'Real data' }).click();
  await page.getByLabel('Choose images or zip').setInputFiles(`${REALDATA}grains/nist-optical-steel/images/nist-steel.png`);
  await page.getByRole('button', { name: 'nist-steel.png', exact: true }).click();
  await page.getByLabel('Stride (px)').fill('1');
  await page.getByRole('button', { name: 'Cut 128×128 grid' }).click();
  await expect(page.getByRole('alert')).toHaveText(/^A stride of 1 px would cut [\d,]+ tiles from this \d+×\d+ image; at most 10,000 are allowed per image\. Raise the stride to \d+ px or more\.$/, { timeout: 5_000 });
  await expect(page.getByTestId('tile-counts')).toHaveText('0 tiles · 0 crack · 0 no crack · 0 unlabelled');
});

test('imports a crack/ + no_crack/ folder, adds a tile by clicking, and synthesises texture from the user’s own tiles', async ({ page }) => {
  await page.goto('./');
  await page.getByRole('button', { name: 'Real data' }).click();
  await page.getByLabel('Choose a folder').setInputFiles(`${REALDATA}cracks/ceramic-tile-tiles`);
  await expect(page.getByText('Imported 24 images with 24 tiles (24 labelled).')).toBeVisible({ timeout: 60_000 });

  await page.getByLabel('Choose images or zip').setInputFiles(`${REALDATA}grains/nist-optical-steel/images/nist-steel.png`);
  await page.getByRole('button', { name: 'nist-steel.png', exact: true }).click();
  const image = page.getByLabel('real image nist-steel.png');
  await image.click({ position: { x: 100, y: 100 } });
  await expect(page.getByTestId('tile-counts')).toHaveText('1 tiles · 0 crack · 0 no crack · 1 unlabelled');

  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await page.getByLabel('Crack tiles (classification)').check();
  await page.getByLabel('Crack-free texture from').selectOption({ label: 'my no-crack tiles (12)' });
  await expect(page.getByText('12 exemplar images · my no-crack tiles (12)')).toBeVisible();
  await page.getByLabel('Count').fill('4');
  await page.getByRole('button', { name: 'Generate dataset' }).click();
  await expect(page.getByTestId('dataset-status')).toContainText('4 of 4 stored, complete');
});

test('a big micrograph and a zip are read off the page’s thread: the page keeps answering while they decode', async ({ page }) => {
  // 9600×9600 grey noise: 92 megapixels, under the 100-megapixel limit, seconds to decode.
  const side = 9600;
  const pixels = new Uint8Array(side * side);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
  const png = Buffer.from(encodePng({ width: side, height: side, data: pixels, channels: 1 }));
  await page.goto('./');
  await page.getByRole('button', { name: 'Real data' }).click();
  // The longest gap between the page's timer ticks while importing.
  await page.evaluate(() => {
    const w = window as unknown as { maxGap: number; last: number };
    w.maxGap = 0; w.last = performance.now();
    const tick = () => { const now = performance.now(); w.maxGap = Math.max(w.maxGap, now - w.last); w.last = now; setTimeout(tick, 20); };
    tick();
  });
  await page.getByLabel('Choose images or zip').setInputFiles([{ name: 'big.png', mimeType: 'image/png', buffer: png },
    { name: 'tiles.zip', mimeType: 'application/zip', buffer: realCrackZip(1, 2) }]);
  await expect(page.getByText(/Imported 6 images/)).toBeVisible({ timeout: 120_000 });
  expect(await page.evaluate(() => (window as unknown as { maxGap: number }).maxGap)).toBeLessThan(2000);
});
