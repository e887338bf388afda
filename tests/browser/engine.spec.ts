/**
 * The engine worker through the UI: every long call can be cancelled and ends as cancelled (never
 * as a result or an error) with the UI idle; errors inside the worker reach the page with their
 * message; two tabs' jobs queue instead of running at once; TF.js stays out of the page's own chunk.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { generateSmall } from './steps';

test.setTimeout(300_000);

/** Train view: a tiny one-phase classifier of `epochs` epochs, not started. */
async function tinyForm(page: Page, epochs: number) {
  await page.getByRole('button', { name: 'Train', exact: true }).first().click();
  await page.locator('select[name=depth]').selectOption('10');
  await page.locator('input[name=width]').fill('0.125');
  await page.locator('input[name=batch]').fill('4');
  while ((await page.getByRole('button', { name: 'remove' }).count()) > 1) await page.getByRole('button', { name: 'remove' }).first().click();
  await page.getByLabel('Phase 1 epochs').fill(String(epochs));
  await page.getByLabel('Phase 1 size').fill('64');
}

const trainButton = (page: Page) => page.getByRole('button', { name: 'Train', exact: true }).nth(1);
const jobs = (page: Page) => page.getByTestId('engine-job');

/** The chunks a page load fetches before it runs: `file` and every chunk it imports statically, not those it loads on demand (Analyse, Experiments). */
function firstLoad(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const code = readFileSync(`dist/assets/${file}`, 'utf8');
  for (const [, chunk] of code.matchAll(/(?:^|[;}\n])import[^()"']*["']\.\/([^"']+\.js)["']/g)) firstLoad(chunk, seen);
  return seen;
}

test('the page’s first load holds no TF.js and stays under 450 kB', () => {
  const html = readFileSync('dist/index.html', 'utf8');
  const entry = html.match(/<script type="module"[^>]*src="\.\/assets\/(index-[^"]+\.js)"/)![1];
  const chunks = [...firstLoad(entry)];
  // Vite preloads what the entry imports statically: the reading of imports above finds each of them.
  for (const [, preloaded] of html.matchAll(/<link rel="modulepreload"[^>]*href="\.\/assets\/([^"]+\.js)"/g)) expect(chunks).toContain(preloaded);
  expect(chunks.reduce((bytes, chunk) => bytes + statSync(`dist/assets/${chunk}`).size, 0)).toBeLessThan(450 * 1024);
  for (const chunk of chunks) {
    const code = readFileSync(`dist/assets/${chunk}`, 'utf8');
    expect(code, chunk).not.toContain('tfjs-core');
    expect(code, chunk).not.toMatch(/registerKernel|Conv2DBackpropFilter/);
  }
});

test('train, LR finder and a resume each cancel to an idle UI; an error in the worker reaches the page', async ({ page }) => {
  await page.goto('./');
  await generateSmall(page, 'cracks', 24);
  await tinyForm(page, 50);

  // LR finder: cancelled mid-sweep, no suggestion, nothing running.
  await page.getByRole('button', { name: 'Find learning rate' }).click();
  await expect(jobs(page)).toContainText('Finding the learning rate');
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(page.getByText('LR finder cancelled.')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('lr-suggestion')).toHaveCount(0);
  await expect(jobs(page)).toHaveCount(0);

  // Training: stopped after its first epoch; the record keeps that epoch and can resume.
  await trainButton(page).click();
  // At least one finished epoch (a quick machine may finish the second before the first is seen).
  await expect(page.getByTestId('epochs')).toContainText(/\b[1-9]\d* epochs/, { timeout: 120_000 });
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByText(/^Stopped; the last finished epoch is kept/)).toBeVisible({ timeout: 60_000 });
  await expect(jobs(page)).toHaveCount(0);
  const row = page.getByTestId('model-row').first();
  await expect(row).toContainText(/stopped · \d+ epochs/);
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(trainButton(page)).toBeEnabled();

  // Resume, then abort it from the job list in the header.
  await row.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('train-progress')).toBeVisible({ timeout: 60_000 });
  await page.getByRole('button', { name: /^Abort Training/ }).click();
  await expect(page.getByText(/^Stopped; the last finished epoch is kept/)).toBeVisible({ timeout: 60_000 });
  await expect(row).toContainText('stopped');

  // The dataset goes; resuming is an error raised inside the worker, shown with its message.
  await page.getByRole('button', { name: 'Datasets' }).click();
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: /^Delete/ }).first().click();
  await page.getByRole('button', { name: 'Train', exact: true }).first().click();
  await page.getByTestId('model-row').first().getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByRole('alert')).toContainText('this model trains on was deleted', { timeout: 60_000 });
  await expect(page.getByTestId('model-row').first()).toContainText('failed');
  await expect(jobs(page)).toHaveCount(0);
});

test('two tabs queue: a job waits for the other tab’s training, and can be cancelled while it waits', async ({ page, context }) => {
  await page.goto('./');
  await generateSmall(page, 'cracks', 24);
  // Far more epochs than the test lasts: the training is stopped below, and must still be running then.
  await tinyForm(page, 2000);
  await trainButton(page).click();
  await expect(page.getByTestId('train-progress')).toBeVisible({ timeout: 120_000 });

  const other = await context.newPage();
  await other.goto('./');
  // The live training is not marked interrupted in the second tab.
  await other.getByRole('button', { name: 'Train', exact: true }).first().click();
  await expect(other.getByTestId('model-row').first()).toContainText('training');
  await expect(other.getByRole('button', { name: 'Resume' })).toHaveCount(0);
  await tinyForm(other, 1);
  await other.getByRole('button', { name: 'Find learning rate' }).click();
  await expect(other.getByTestId('engine-job')).toContainText('waiting for another tab’s job');
  await page.waitForTimeout(2000);
  await expect(other.getByTestId('engine-job')).toContainText('waiting'); // still: one GPU job at a time
  await other.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(other.getByText('LR finder cancelled.')).toBeVisible();
  await expect(other.getByTestId('engine-job')).toHaveCount(0);

  // Queued again, it runs as soon as the first tab's job ends.
  await other.getByRole('button', { name: 'Find learning rate' }).click();
  await expect(other.getByTestId('engine-job')).toContainText('waiting');
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(other.getByTestId('lr-suggestion')).toContainText('Suggested max LR', { timeout: 120_000 });
  await expect(page.getByText(/^Stopped; the last finished epoch is kept/)).toBeVisible();
  await other.close();
});

test('Try it cancels as cancelled while generating and while training; a cancelled analysis shows no results and stores nothing', async ({ page }) => {
  await page.goto('./');
  await page.getByRole('button', { name: 'Try it', exact: true }).click();
  await expect(page.getByTestId('try-status')).toContainText('1/3');
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(page.getByTestId('try-status')).toHaveText('Cancelled.');
  await expect(page.getByRole('alert')).toHaveCount(0);

  await page.getByRole('button', { name: 'Try it', exact: true }).click();
  await expect(page.getByTestId('try-status')).toContainText('2/3', { timeout: 120_000 });
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(page.getByTestId('try-status')).toHaveText('Cancelled.', { timeout: 60_000 });
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(jobs(page)).toHaveCount(0);

  // The stopped demo model has weights after a short resume; analysing a large image is cancelled.
  await page.getByRole('button', { name: 'Train', exact: true }).first().click();
  const row = page.getByTestId('model-row').filter({ hasText: 'Try it' });
  if (!(await row.textContent())!.match(/[1-9]\d* epochs/)) {
    await row.getByRole('button', { name: 'Resume' }).click();
    await expect(row).toContainText(/[1-9]\d* epochs/, { timeout: 200_000 });
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect(page.getByText(/^Stopped|^Training finished/)).toBeVisible({ timeout: 60_000 });
  }
  await page.getByRole('button', { name: 'Analyse' }).click();
  await page.getByLabel('Micrograph', { exact: true }).setInputFiles('tests/fixtures/realdata/grains/nist-optical-steel/images/nist-steel.png');
  await page.getByRole('button', { name: 'Analyse', exact: true }).nth(1).click();
  await expect(page.getByText(/analysing 0 \/ 1/)).toBeVisible();
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(page.getByText('Analysis cancelled; nothing was measured.')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('analysis')).toHaveCount(0);
  // A cancel is never a result: nothing is stored.
  await expect(page.getByTestId('stored-analyses')).toHaveText('No stored analyses yet: each finished analysis is kept here.');
});

test('a model file with a damaged record imports nothing; a damaged stored record is listed apart with Delete and the Train tab keeps working', async ({ page }) => {
  const { zipSync, strToU8 } = await import('fflate');
  await page.goto('./');
  await page.getByRole('button', { name: 'Train', exact: true }).first().click();
  await expect(page.getByText('No models yet.')).toBeVisible();
  const bundle = zipSync({
    'model.json': strToU8('{}'), 'weights.bin': new Uint8Array(4),
    'metadata.json': strToU8(JSON.stringify({ format: 'synthscope-model', version: 1, record: { name: 'only a name' } })),
  });
  await page.getByLabel('Import a model file').setInputFiles({ name: 'broken.zip', mimeType: 'application/zip', buffer: Buffer.from(bundle) });
  await expect(page.getByRole('alert').filter({ hasText: /broken.zip is damaged: its model record .*Nothing was imported/ })).toBeVisible();
  await expect(page.getByText('No models yet.')).toBeVisible();

  // A record another version (or a hand edit) left in storage.
  await page.evaluate(() => new Promise<void>((done, fail) => {
    const open = indexedDB.open('synthscope');
    open.onsuccess = () => {
      const tx = open.result.transaction('models', 'readwrite');
      tx.objectStore('models').put({ id: 'hand-made', name: 'half a record' });
      tx.oncomplete = () => { open.result.close(); done(); };
      tx.onerror = () => fail(tx.error);
    };
    open.onerror = () => fail(open.error);
  }));
  await page.reload();
  await page.getByRole('button', { name: 'Train', exact: true }).first().click();
  const damaged = page.getByTestId('damaged-models');
  await expect(damaged).toContainText('"half a record": this record has no datasetId');
  await expect(page.getByText('No models yet.')).toBeVisible();
  page.once('dialog', (d) => d.accept());
  await damaged.getByRole('button', { name: 'Delete' }).click();
  await expect(damaged).toHaveCount(0);
});
