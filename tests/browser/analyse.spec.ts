import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { REALDATA } from './realdata';
import { generateSmall, trainTinyOneEpoch } from './steps';

test.setTimeout(300_000);

/** A tiny model, trained briefly with the automatic backend (WebGL on SwiftShader: quicker); grains optionally at a pixel size. */
async function trainTiny(page: Page, kind: 'cracks' | 'grains', micronsPerPixel?: number) {
  await page.goto('./');
  if (micronsPerPixel) await page.getByLabel('Pixel size, µm per px').fill(String(micronsPerPixel));
  await generateSmall(page, kind);
  await trainTinyOneEpoch(page, 4);
  await page.getByRole('button', { name: 'Analyse', exact: true }).click();
}

test('scans chip photos with the classifier: heatmap, verdicts under the user’s rule, a row per image, CSVs', async ({ page }) => {
  // Counts the model's analyse calls, to show that a new rule re-decides verdicts without it.
  await page.addInitScript(() => {
    const post = Worker.prototype.postMessage;
    const counter = window as unknown as { analyseCalls: number };
    counter.analyseCalls = 0;
    Worker.prototype.postMessage = function (this: Worker, message: unknown, ...rest: unknown[]) {
      if ((message as { method?: string } | null)?.method === 'analyse') counter.analyseCalls++;
      return (post as (...a: unknown[]) => void).apply(this, [message, ...rest]);
    };
  });
  const analyseCalls = () => page.evaluate(() => (window as unknown as { analyseCalls: number }).analyseCalls);
  await trainTiny(page, 'cracks');
  const dir = `${REALDATA}cracks/ceramic-tile-arthurflor23/image`;
  await page.getByLabel('Chip images').setInputFiles([`${dir}/001.png`, `${dir}/002.png`]);
  await page.getByRole('button', { name: 'Analyse', exact: true }).last().click();
  const verdicts = page.getByTestId('verdict');
  await expect(verdicts).toHaveCount(2, { timeout: 60_000 });
  for (const v of await verdicts.all()) await expect(v).toHaveText(/^(crack|no crack)$/);
  await expect(page.getByLabel('analysis of 001.png')).toBeVisible();
  const table = page.getByTestId('chips-table');
  await expect(table.locator('tbody tr')).toHaveCount(2);
  await expect(table.locator('tbody tr').first()).toContainText(/^001\.png256×25616\d+[01]\.\d{3}(crack|no crack)$/);
  await expect(page.getByTestId('chips-summary')).toHaveText(/^[0-2] of 2 images called crack \(window crack probability above 0\.5, at least 1 flagged window\)$/);
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export CSV' }).click();
  const rows = readFileSync(await (await download).path(), 'utf8').trim().split('\n');
  expect(rows[0]).toBe('image,x,y,window,crack_probability,flagged');
  expect(rows).toHaveLength(1 + 2 * 16); // 256² images: windows of the training tiles' 64 px on a 64-px stride
  expect(await analyseCalls()).toBe(1);

  // A window probability is never above 1, and no image has more than its 16 windows flagged: no crack anywhere.
  const rule = page.getByTestId('verdict-rule');
  await rule.getByLabel('Verdict threshold').fill('1');
  await expect(verdicts).toHaveText(['no crack', 'no crack']);
  await expect(page.getByTestId('chips-summary')).toContainText('0 of 2 images called crack (window crack probability above 1,');
  await rule.getByRole('button', { name: 'defaults' }).click();
  await rule.getByLabel('Minimum flagged windows').fill('17');
  await expect(verdicts).toHaveText(['no crack', 'no crack']);
  await expect(table.locator('tbody tr').first()).toContainText(/^001\.png256×25616\d+[01]\.\d{3}no crack$/);
  const perImage = page.waitForEvent('download');
  await table.getByRole('button', { name: 'Export per-image CSV' }).click();
  const lines = readFileSync(await (await perImage).path(), 'utf8').trim().split('\n');
  expect(lines).toHaveLength(1 + 2 + 1);
  expect(lines[0]).toBe('image,width,height,windows,flagged_windows,max_crack_probability,verdict');
  expect(lines[3]).toBe('summary,0 of 2 images called crack,"window crack probability above 0.5, at least 17 flagged windows"');
  expect(await analyseCalls()).toBe(1);

  // Stored as it finished (under the default rule), with its window probabilities: opened, another rule re-decides it.
  const item = page.getByTestId('stored-analysis-item');
  await expect(item).toHaveCount(1);
  await expect(item).toContainText(/^2 chip photos \(001\.png, …\) .+ · \d of 2 images called crack \(window crack probability above 0\.5, at least 1 flagged window\)/);
  await item.getByRole('button', { name: /^Open stored analysis/ }).click();
  const opened = page.getByTestId('stored-analysis');
  await expect(opened.locator('tbody tr')).toHaveCount(2);
  await opened.getByLabel('Re-decide: window threshold').fill('1');
  await expect(opened.getByTestId('chips-summary')).toHaveText('0 of 2 images called crack (window crack probability above 1, at least 1 flagged window)');
  const windows = page.waitForEvent('download');
  await opened.getByRole('button', { name: 'Export every window CSV' }).click();
  expect(readFileSync(await (await windows).path(), 'utf8').trim().split('\n')).toHaveLength(1 + 2 * 16);
  expect(await analyseCalls()).toBe(1);
});

test('segments a real micrograph, measures its grains, and compares with the traced mask; warns of a far scale and rescales', async ({ page }) => {
  await trainTiny(page, 'grains', 1);
  await expect(page.getByTestId('model-scale')).toHaveText('model trained at 1 µm per px');
  await page.getByLabel('Micrograph', { exact: true }).setInputFiles(`${REALDATA}grains/mlographypp-tbm/images/10-0-768.png`);
  await page.getByLabel('Ground-truth mask').setInputFiles(`${REALDATA}grains/mlographypp-tbm/masks/10-0-768.png`);
  await expect(page.getByTestId('scale-warning')).toHaveCount(0);
  await page.getByLabel('Pixel size (µm per px)').fill('0.5');
  await expect(page.getByTestId('scale-warning')).toContainText('This micrograph is at 0.5 µm/px; the model was trained at 1 µm/px');
  await page.getByRole('button', { name: 'Analyse', exact: true }).last().click();
  await expect(page.getByTestId('grain-stats')).toContainText('ASTM E112 G, planimetric', { timeout: 120_000 });
  await expect(page.getByTestId('comparison')).toContainText('boundary F1');
  await expect(page.getByTestId('g-planimetric')).toHaveText(/^-?\d+\.\d\d$/);
  // A briefly trained model may find too few whole grains for a distribution; the “Try it” test checks its figures.
  await expect(page.getByTestId('lognormal')).toHaveText(/median \d+\.\d\d µm, geometric sd ×\/÷ \d+\.\d\d|fewer than 20 whole grains/);
  await expect(page.getByTestId('rescaled')).toHaveCount(0);
  // Segmented at the model's 1 µm/px (128² px), reported on the 256² micrograph in its µm.
  await page.getByLabel(/Rescale to the model's scale \(1 µm per px\)/).check();
  await page.getByRole('button', { name: 'Analyse', exact: true }).last().click();
  await expect(page.getByTestId('rescaled')).toContainText('resampled from 0.5 to 1 µm per px (128×128 px)', { timeout: 120_000 });
  await expect(page.getByTestId('comparison')).toContainText('boundary F1');
});

test('“Try it” generates, trains and segments the bundled NIST micrograph with grain statistics', async ({ page }) => {
  await page.goto('./');
  await page.getByRole('button', { name: 'Try it', exact: true }).click();
  await expect(page.getByTestId('try-status')).toContainText('1/3');
  await expect(page.getByTestId('try-status')).toContainText('2/3', { timeout: 120_000 });
  await expect(page.getByTestId('try-result').getByTestId('grain-stats')).toContainText('ASTM E112 G', { timeout: 280_000 });
  await expect(page.getByTestId('try-result').getByTestId('comparison')).toContainText('boundary F1');
  const tried = page.getByTestId('try-result');
  await expect(tried.getByTestId('lognormal')).toHaveText(/^median \d+\.\d\d µm, geometric sd ×\/÷ \d+\.\d\d \(ln ECD: μ = -?\d+\.\d{3}, σ = \d+\.\d{3}\)$/);
  await expect(tried.getByTestId('ks')).toContainText(/^D = 0\.\d{3}, p = \S+\s+— (the sizes depart from|consistent with) a lognormal/);
  await expect(tried.getByTestId('aspect-ratio')).toHaveText(/^mean \d+\.\d\d, median \d+\.\d\d$/);
  await expect(tried.getByTestId('populations')).toHaveText(/^(one: not duplex|two: duplex)$/);
  await expect(tried.getByRole('img', { name: /Equivalent circle diameter.*histogram/ })).toBeVisible();
  await expect(page.getByLabel('NIST steel with predicted boundaries')).toBeVisible();
});

test('a 16-bit TIFF micrograph with its pixel size in ImageJ metadata: read with a stated window, the pixel size filled in', async ({ page }) => {
  const { tiff } = await import('../tiffWriter');
  const values = Array.from({ length: 96 * 64 }, (_, i) => 30_000 + ((i * 37) % 2000));
  const bytes = tiff(96, 64, values, { bits: 16, resolution: 4, description: 'ImageJ=1.54f\nunit=micron\n' });
  await trainTiny(page, 'grains');
  await page.getByLabel('Micrograph', { exact: true }).setInputFiles({ name: 'scan.tif', mimeType: 'image/tiff', buffer: Buffer.from(bytes) });
  await expect(page.getByTestId('read-note')).toContainText('scan.tif: 16-bit grey TIFF, levels');
  await expect(page.getByTestId('read-note')).toContainText('0.25 µm per pixel from the file');
  await expect(page.getByLabel('Pixel size (µm per px)')).toHaveValue('0.25');
});

test('several micrographs at once: a row per image, G over images with its interval, and a per-image CSV', async ({ page }) => {
  await trainTiny(page, 'grains');
  const dir = `${REALDATA}grains/mlographypp-tbm/images`;
  await page.getByLabel('Micrograph', { exact: true }).setInputFiles([`${dir}/10-0-768.png`, `${dir}/10-256-1024.png`]);
  await page.getByLabel('Pixel size (µm per px)').fill('0.5');
  await page.getByRole('button', { name: 'Analyse', exact: true }).last().click();
  const table = page.getByTestId('images-table');
  await expect(table.locator('tbody tr')).toHaveCount(2, { timeout: 120_000 });
  await expect(page.getByTestId('images-summary')).toContainText(/Over 2 images: G planimetric -?\d+\.\d\d ± \d+\.\d\d \(95 % CI/);
  const download = page.waitForEvent('download');
  await table.getByRole('button', { name: 'Export per-image CSV' }).click();
  const rows = readFileSync(await (await download).path(), 'utf8').trim().split('\n');
  expect(rows[0]).toBe('image,grains,grains_on_border,mean_area_um2,mean_ecd_um,mean_intercept_um,G_planimetric,G_intercept,warning,'
    + 'ecd_lognormal_mu,ecd_lognormal_sigma,ecd_median_um,ecd_geometric_sd,ks_D,ks_p,aspect_ratio_mean,aspect_ratio_median,G_ALA,ALA,duplex');
  expect(rows).toHaveLength(1 + 2 + 2);
});

test('a finished analysis is stored and listed, in other tabs too; a full disk keeps what was stored; after a reload it opens with its table and CSVs, is renamed and deleted', async ({ page }) => {
  // `fullDisk` makes the page's writes of analyses fail as a full disk does.
  await page.addInitScript(() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name === 'analyses' && (window as unknown as { fullDisk?: boolean }).fullDisk) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.apply(this, args);
    };
  });
  const fullDisk = (full: boolean) => page.evaluate((f) => ((window as unknown as { fullDisk?: boolean }).fullDisk = f), full);
  await trainTiny(page, 'grains');
  // Another tab's list follows.
  const other = await page.context().newPage();
  await other.goto('./');
  await other.getByRole('button', { name: 'Analyse', exact: true }).click();
  await expect(other.getByTestId('stored-analyses')).toContainText('No stored analyses yet');
  const dir = `${REALDATA}grains/mlographypp-tbm/images`;
  await page.getByLabel('Micrograph', { exact: true }).setInputFiles([`${dir}/10-0-768.png`, `${dir}/10-256-1024.png`]);
  await page.getByLabel('Pixel size (µm per px)').fill('0.5');
  await page.getByRole('button', { name: 'Analyse', exact: true }).last().click();
  const live = page.getByTestId('images-table');
  await expect(live.locator('tbody tr')).toHaveCount(2, { timeout: 120_000 });
  const rows = await live.locator('tbody tr').allInnerTexts();
  const summary = await live.getByTestId('images-summary').innerText();
  const list = page.getByTestId('stored-analyses');
  const item = list.getByTestId('stored-analysis-item');
  await expect(item).toHaveCount(1);
  await expect(item).toContainText(/^2 micrographs \(10-0-768\.png, …\) .+ · U-Net.+ · G planimetric (-?\d+\.\d\d|—) ± (\d+\.\d\d|—), G intercept (-?\d+\.\d\d|—) ± (\d+\.\d\d|—) over 2 images/);
  await expect(other.getByTestId('stored-analysis-item')).toHaveCount(1);
  await other.close();

  // On a full disk the next analysis is shown, not stored, and the one stored before stays; once there is room it can be stored.
  await fullDisk(true);
  await page.getByLabel('Micrograph', { exact: true }).setInputFiles(`${dir}/10-0-768.png`);
  await page.getByRole('button', { name: 'Analyse', exact: true }).last().click();
  await expect(page.getByTestId('store-message')).toContainText('This analysis is shown but was not stored: No room left: the browser\'s storage for this site is full. Analyses stored before are kept.', { timeout: 120_000 });
  await expect(page.getByTestId('grain-stats')).toBeVisible();
  await expect(item).toHaveCount(1);
  await fullDisk(false);
  await page.getByRole('button', { name: 'Try storing again' }).click();
  await expect(page.getByTestId('store-message')).toHaveCount(0);
  await expect(item).toHaveCount(2);
  await expect(item.first()).toContainText(/^1 micrograph \(10-0-768\.png\) .+ · G planimetric/);
  await item.first().getByRole('button', { name: /^Open stored analysis/ }).click();
  await expect(page.getByTestId('stored-analysis').locator('tbody tr')).toHaveCount(1);
  await expect(page.getByTestId('stored-analysis').getByTestId('images-summary')).toHaveCount(0);
  page.once('dialog', (d) => d.accept());
  await item.first().getByRole('button', { name: 'Delete' }).click();
  await expect(item).toHaveCount(1);
  await expect(page.getByTestId('stored-analysis')).toHaveCount(0);

  await page.reload();
  await page.getByRole('button', { name: 'Analyse', exact: true }).click();
  await expect(item).toHaveCount(1);
  page.once('dialog', (d) => d.accept('  steel batch 1 '));
  await item.getByRole('button', { name: 'Rename' }).click();
  await list.getByRole('button', { name: 'Open stored analysis steel batch 1', exact: true }).click();
  const opened = page.getByTestId('stored-analysis');
  await expect(opened.getByRole('heading')).toHaveText('steel batch 1');
  await expect(opened.getByTestId('stored-analysis-about')).toContainText('0.5 µm per px; boundary above');
  await expect(opened.locator('tbody tr')).toHaveCount(2);
  expect(await opened.locator('tbody tr').allInnerTexts()).toEqual(rows);
  await expect(opened.getByTestId('images-summary')).toHaveText(summary);
  const perImage = page.waitForEvent('download');
  await opened.getByRole('button', { name: 'Export per-image CSV' }).click();
  const lines = readFileSync(await (await perImage).path(), 'utf8').trim().split('\n');
  expect(lines).toHaveLength(1 + 2 + 2);
  expect(lines[1]).toMatch(/^10-0-768\.png,/);
  const perGrain = page.waitForEvent('download');
  await opened.getByRole('button', { name: 'Export per-grain CSV' }).click();
  expect(readFileSync(await (await perGrain).path(), 'utf8').split('\n')[0]).toBe('image,grain,area_um2,ecd_um,aspect_ratio');

  page.once('dialog', (d) => d.accept());
  await item.getByRole('button', { name: 'Delete' }).click();
  await expect(item).toHaveCount(0);
  await expect(opened).toHaveCount(0);
  await page.reload();
  await page.getByRole('button', { name: 'Analyse', exact: true }).click();
  await expect(list).toContainText('No stored analyses yet');
});
