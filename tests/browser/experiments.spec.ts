import { readFileSync } from 'node:fs';
import { expect, test } from './fixtures';
import { realCrackZip, REALDATA } from './realdata';
import { generateSmall } from './steps';

test.setTimeout(300_000);

function config(name: string, overrides: Record<string, unknown> = {}) {
  return JSON.stringify({ ...JSON.parse(readFileSync(`experiments/${name}.json`, 'utf8')), ...overrides });
}

test('an adaptive experiment in the UI shows the tables, p-values, and the hard samples against the prior', async ({ page }) => {
  await page.goto('./');
  await page.getByRole('button', { name: 'Experiments' }).click();
  await page.getByLabel('Experiment config (JSON)').fill(config('cracks-adaptive-tiny'));
  await page.getByLabel('Real all folder').setInputFiles(`${REALDATA}cracks/ceramic-tile-tiles`);
  await expect(page.getByTestId('real-all')).toHaveText('24 real images read');
  await page.getByRole('button', { name: 'Run experiment' }).click();
  await expect(page.getByTestId('experiment-progress')).toContainText('Run 1 of 2', { timeout: 60_000 });
  await expect(page.getByTestId('summary-error')).toContainText('adaptive-finetune', { timeout: 240_000 });
  await expect(page.getByTestId('experiment-progress')).toHaveCount(0, { timeout: 240_000 });
  await expect(page.getByTestId('p-values')).toContainText('random-finetune');
  await expect(page.getByTestId('hard-samples').getByRole('img', { name: /crackWidth: hard samples against the prior/ })).toBeVisible();
  await expect(page.getByTestId('hard-samples').getByText('crackWidth (moved)')).toBeVisible();
  await page.getByLabel('Hard samples of run and round').selectOption({ index: 1 }); // the second run's round
  await expect(page.getByTestId('hard-samples').getByLabel(/^hard sample tile_/).first()).toBeVisible();
  await page.getByLabel('Hard samples of run and round').selectOption({ index: 0 });
  await expect(page.getByTestId('hard-samples').getByLabel(/^hard sample tile_/).first()).toBeVisible();

  // Results persist across a reload.
  await page.reload();
  await page.getByRole('button', { name: 'Experiments' }).click();
  await expect(page.getByRole('listitem').filter({ hasText: 'complete · 6 run results' })).toBeVisible();
});

test('cancelling an experiment keeps the runs that finished; another tab’s list follows the cancel live', async ({ page }) => {
  await page.goto('./');
  await page.getByRole('button', { name: 'Experiments' }).click();
  // Many runs, so the cancel lands mid-way however fast the engine is.
  await page.getByLabel('Experiment config (JSON)').fill(config('cracks-tiny', { runs: 12 }));
  await page.getByLabel('Real all folder').setInputFiles(`${REALDATA}cracks/ceramic-tile-tiles`);
  await page.getByRole('button', { name: 'Run experiment' }).click();
  // Any run from the second on: a tiny run can pass between two polls.
  await expect(page.getByTestId('experiment-progress')).toContainText(/Run [2-6] of 12/, { timeout: 120_000 });
  // A second tab, opened mid-run, follows the cancel without a reload.
  const other = await page.context().newPage();
  await other.goto('./');
  await other.getByRole('button', { name: 'Experiments' }).click();
  const there = other.getByRole('listitem').filter({ hasText: 'run results' });
  await expect(there).toContainText('running');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('listitem').filter({ hasText: 'cancelled' })).toBeVisible({ timeout: 120_000 });
  const kept = Number((await page.getByRole('listitem').filter({ hasText: 'cancelled' }).textContent())!.match(/(\d+) run results/)![1]);
  expect(kept).toBeGreaterThanOrEqual(3);
  expect(kept).toBeLessThan(36);
  await expect(there).toContainText(`cancelled · ${kept} run results`);
  await other.close();
  await expect(page.getByTestId('summary-error')).toContainText('synthetic');
  // A cancelled experiment resumes like an interrupted one.
  await expect(page.getByRole('listitem').filter({ hasText: 'cancelled' }).getByRole('button', { name: /^Resume experiment/ })).toBeEnabled();
});

test('an experiment cut off by a reload resumes: only the missing runs run, the finished ones are kept', async ({ page }) => {
  await page.goto('./');
  await page.getByRole('button', { name: 'Experiments' }).click();
  await page.getByLabel('Experiment config (JSON)').fill(config('cracks-tiny', { name: 'resumed', runs: 8 }));
  await page.getByLabel('Real all folder').setInputFiles(`${REALDATA}cracks/ceramic-tile-tiles`);
  await expect(page.getByTestId('real-all')).toHaveText('24 real images read');
  await page.getByRole('button', { name: 'Run experiment' }).click();
  const item = page.getByRole('listitem').filter({ hasText: 'resumed' }).filter({ hasText: 'run results' }); // not the engine's job list
  await expect(item).toContainText('running');
  // A second tab opened meanwhile sees a live run (its lock is held), not an interrupted one.
  const other = await page.context().newPage();
  await other.goto('./');
  await other.getByRole('button', { name: 'Experiments' }).click();
  const there = other.getByRole('listitem').filter({ hasText: 'resumed' }).filter({ hasText: 'run results' });
  await expect(there).toContainText('running');
  await expect(there.getByRole('button', { name: /^Resume/ })).toHaveCount(0);

  await expect(item).toContainText(/running · [1-9]\d* run results/, { timeout: 120_000 });
  // Rows shown come from the stored record: these are stored.
  const before = await page.getByTestId('per-run').locator('tbody tr').allTextContents();
  expect(before.length).toBeGreaterThan(0);

  await page.reload();
  // The reloaded page marks the run interrupted as it starts, without its Experiments tab opened: the other tab offers Resume.
  await expect(there).toContainText('interrupted');
  await expect(there.getByRole('button', { name: /^Resume/ })).toBeEnabled();
  await other.close();
  await page.getByRole('button', { name: 'Experiments' }).click();
  await expect(item).toContainText('interrupted');
  const kept = Number((await item.textContent())!.match(/(\d+) run results/)![1]);
  expect(kept).toBeGreaterThanOrEqual(before.length);
  expect(kept).toBeLessThan(24);
  await item.getByRole('button', { name: 'Resume experiment resumed' }).click();
  await expect(page.getByTestId('experiment-progress')).toBeVisible();
  await expect(item).toContainText('complete · 24 run results', { timeout: 240_000 });
  await expect(item.getByRole('button', { name: /^Resume/ })).toHaveCount(0);
  const after = await page.getByTestId('per-run').locator('tbody tr').allTextContents();
  expect(after).toHaveLength(24);
  expect(after.slice(0, before.length)).toEqual(before);
  expect(new Set(after.map((row) => row.match(/^\d+\D+/)![0])).size).toBe(24); // every (seed, regime) once
});

test('synthetic.exemplars: crack tiles are synthesised on the texture of a folder of the user’s crack-free images', async ({ page }) => {
  await page.goto('./');
  await page.getByRole('button', { name: 'Experiments' }).click();
  await page.getByLabel('Experiment config (JSON)').fill(config('cracks-tiny', {
    name: 'own texture', runs: 1, regimes: ['synthetic'], synthetic: { count: 24, size: 64, seed: 1, exemplars: 'my-floor' } }));
  await expect(page.getByRole('button', { name: 'Run experiment' })).toBeDisabled(); // the exemplar folder is not picked yet
  await page.getByLabel('Real all folder').setInputFiles(`${REALDATA}cracks/ceramic-tile-tiles`);
  await page.getByLabel('Exemplar folder').setInputFiles(`${REALDATA}cracks/ceramic-tile-tiles/no_crack`);
  await expect(page.getByTestId('exemplar-images')).toHaveText('12 crack-free images for texture');
  await page.getByRole('button', { name: 'Run experiment' }).click();
  await expect(page.getByRole('listitem').filter({ hasText: 'own texture' }).filter({ hasText: 'complete · 1 run results' })).toBeVisible({ timeout: 120_000 });
  // Not with another texture source at once.
  await page.getByLabel('Experiment config (JSON)').fill(config('cracks-tiny', { synthetic: { count: 24, size: 64, seed: 1, exemplars: 'x', texture: 'real-train' } }));
  await expect(page.getByRole('alert').filter({ hasText: 'synthetic.exemplars: names the texture' })).toBeVisible();
});

test('synthetic.match true fits the recipe to the real folder\'s own micrographs, and preset "matched" takes the preset they look like', async ({ page }) => {
  await page.goto('./');
  await page.getByRole('button', { name: 'Experiments' }).click();
  await page.getByLabel('Experiment config (JSON)').fill(config('grains-tiny', {
    name: 'fitted', runs: 1, regimes: ['synthetic'], synthetic: { count: 8, size: 64, seed: 1, preset: 'matched', match: true } }));
  await expect(page.getByLabel('Match folder')).toHaveCount(0); // nothing more to pick: the real folder's images are matched
  await page.getByLabel('Real all folder').setInputFiles(`${REALDATA}grains/mlographypp-tbm`);
  await page.getByRole('button', { name: 'Run experiment' }).click();
  await expect(page.getByRole('listitem').filter({ hasText: 'fitted' }).filter({ hasText: 'complete · 1 run results' })).toBeVisible({ timeout: 180_000 });
  const download = page.waitForEvent('download');
  await page.getByTestId('experiment-result').getByRole('button', { name: 'Export JSON' }).click();
  const results = JSON.parse(readFileSync(await (await download).path(), 'utf8'));
  // Tint-etched crops, read grey: tone edges, so the grey tone-edge preset, with the matched look
  // (grain size scaled from the crops' 256 px to the 64 px synthetic images they are resized like).
  expect(results.config.synthetic).toMatchObject({ match: true, preset: 'tint-etched' });
  expect(results.config.synthetic.params.grainDiameter.hi).toBeLessThan(30);
  expect(results.config.synthetic.params.lineDarkness.lo).toBe(0);
});

test('a bad experiment config gets a message naming the field', async ({ page }) => {
  await page.goto('./');
  await page.getByRole('button', { name: 'Experiments' }).click();
  await page.getByLabel('Experiment config (JSON)').fill(config('cracks-tiny', { runs: 0 }));
  await expect(page.getByRole('alert').filter({ hasText: 'runs: must be a whole number from 1 to 1000.' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Run experiment' })).toBeDisabled();
  await page.getByLabel('Experiment config (JSON)').fill('{ "task": ');
  await expect(page.getByRole('alert').filter({ hasText: 'The config is not valid JSON' })).toBeVisible();
});

test('exported results import back into the list with their tables, and a file that is not results gets a message', async ({ page }) => {
  const results = {
    name: 'imported one', task: 'cracks', complete: true, backend: 'wasm',
    config: { name: 'imported one', task: 'cracks', synthetic: { count: 8, size: 64 }, real: { all: 'x' }, regimes: ['synthetic', 'real'], runs: 2 },
    runs: [1, 2].flatMap((seed) => ['synthetic', 'real'].map((regime, k) => ({ seed, regime, metrics: { test: { n: 10, error: 0.2 + 0.1 * k + 0.01 * seed }, all: { n: 30, error: 0.3 } } }))),
  };
  await page.goto('./');
  await page.getByRole('button', { name: 'Experiments' }).click();
  await page.getByLabel('Import results (results.json)').setInputFiles({ name: 'results.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(results)) });
  await expect(page.getByText('Imported from results.json')).toBeVisible();
  await expect(page.getByTestId('summary-error')).toContainText('synthetic');
  await page.getByLabel('Import results (results.json)').setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": 1}') });
  await expect(page.getByRole('alert').filter({ hasText: 'notes.json is not a SynthScope results file' })).toBeVisible();
  await page.reload();
  await page.getByRole('button', { name: 'Experiments' }).click();
  await expect(page.getByText('Imported from results.json')).toBeVisible();
});

test('an experiment built in the form runs on the stored real tiles and a stored dataset’s recipe; JSON edits refill the form', async ({ page }) => {
  await page.goto('./');
  // Real data: 2 wall images (9 tiles each, labelled from their masks) + 6 labelled tiles; a test share that gives a test set.
  await page.getByRole('button', { name: 'Real data' }).click();
  await page.getByLabel('Choose images or zip').setInputFiles({ name: 'cracks.zip', mimeType: 'application/zip', buffer: realCrackZip(2, 3) });
  await expect(page.getByText(/Imported 8 images with 24 tiles/)).toBeVisible();
  await page.locator('.split').getByLabel('test').fill('0.3');
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await generateSmall(page, 'cracks', 16);

  await page.getByRole('button', { name: 'Experiments' }).click();
  const form = page.getByTestId('experiment-form');
  const json = page.getByLabel('Experiment config (JSON)');
  await form.getByLabel('Name', { exact: true }).fill('from the form');
  await form.getByLabel('Recipe').selectOption({ index: 1 });
  await form.getByLabel('stored in the Real data tab').check();
  await expect(form.getByTestId('stored-real')).toContainText('23 tiles (12 crack · 11 no crack)'); // the labelled ones
  await expect(form.getByTestId('stored-real')).toContainText('from 8 images · 0 pinned to test · split by each run\'s seed: validation 0.2, test 0.3');
  await form.getByLabel('real', { exact: true }).uncheck();
  await form.getByLabel('Runs').fill('2');
  await form.getByLabel('Network input (px)').fill('32');
  await form.getByLabel('Time budget (minutes)').fill('0.05');
  await form.getByLabel('Time budget (minutes)').press('Enter'); // number fields apply when committed, as a change event
  const config = JSON.parse(await json.inputValue());
  expect(config).toMatchObject({ name: 'from the form', task: 'cracks', real: { stored: true }, regimes: ['synthetic', 'mixed'], runs: 2,
    input: { size: 32 }, synthetic: { count: 16, size: 64, dataset: expect.any(String) }, train: { budgetMinutes: 0.05 } });
  expect(config.synthetic.crack).toBeTruthy(); // the dataset's crack model came with its recipe

  // JSON → form; JSON that does not parse leaves the form as it was.
  await json.fill(JSON.stringify({ ...config, runs: 3, model: { depth: 18, width: 0.125 } }, null, 2));
  await expect(form.getByLabel('Runs')).toHaveValue('3');
  await expect(form.getByLabel('Model depth')).toHaveValue('18');
  await json.fill('{ "runs": ');
  await expect(page.getByRole('alert').filter({ hasText: 'The config is not valid JSON' })).toBeVisible();
  await expect(form.getByLabel('Runs')).toHaveValue('3');
  await json.fill(JSON.stringify(config, null, 2));
  await expect(form.getByLabel('Runs')).toHaveValue('2');
  await expect(form.getByLabel('Model depth')).toHaveValue('10');

  await page.getByRole('button', { name: 'Run experiment' }).click();
  await expect(page.getByTestId('summary-error')).toContainText('mixed', { timeout: 240_000 });
  await expect(page.getByRole('listitem').filter({ hasText: 'from the form' }).filter({ hasText: 'complete · 4 run results' })).toBeVisible({ timeout: 240_000 });
  // The recorded config says how the stored data were split and how the budget sized the schedule.
  const download = page.waitForEvent('download');
  await page.getByTestId('experiment-result').getByRole('button', { name: 'Export JSON' }).click();
  const results = JSON.parse(readFileSync(await (await download).path(), 'utf8'));
  expect(results.config.real).toMatchObject({ stored: true, split: { val: 0.2, test: 0.3 }, pinTest: [] });
  expect(results.config.train.sized.imagesPerSecond['32']).toBeGreaterThan(0);
  expect(results.runs.every((r: { metrics: { test: { n: number } } }) => r.metrics.test.n > 0)).toBe(true);
});

test('a p-value of 1e-44 survives results.json into the UI (not printed as 0)', async ({ page }) => {
  // 100 paired runs whose errors differ by 0.1 ± 0.04: t ≈ 25 with 99 degrees of freedom, p ≈ 1.5e-44.
  const seeds = Array.from({ length: 100 }, (_, i) => i + 1);
  const runs = seeds.flatMap((seed) => [
    { seed, regime: 'synthetic', metrics: { test: { n: 100, error: 0.4 }, all: { n: 300, error: 0.4 } } },
    { seed, regime: 'mixed', metrics: { test: { n: 100, error: 0.3 + (seed % 2 ? 0.04 : -0.04) }, all: { n: 300, error: 0.3 } } },
  ]);
  const results = { name: 'paper-sized', task: 'cracks', complete: true, runs,
    config: { name: 'paper-sized', task: 'cracks', synthetic: { count: 8, size: 64 }, real: { all: 'x' }, regimes: ['synthetic', 'mixed'], runs: 100, seeds } };
  await page.goto('./');
  await page.getByRole('button', { name: 'Experiments' }).click();
  await page.getByLabel('Import results (results.json)').setInputFiles({ name: 'results.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(results)) });
  const row = page.getByTestId('p-values').getByRole('row').filter({ hasText: 'error' }).filter({ hasText: 'test' });
  await expect(row).toContainText(/[1-9]\.\d\de-44/);
});
