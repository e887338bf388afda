import { expect, test } from './fixtures';
import type { Page } from '@playwright/test';

async function design(page: Page, size: number, count: number, name: string) {
  await page.getByLabel('Size (px)', { exact: true }).fill(String(size));
  await page.getByLabel('Count').fill(String(count));
  await page.getByLabel('Dataset name').fill(name);
}

test('generation shows progress, can be cancelled, keeps what it made, and resumes to the full set', async ({ page }) => {
  await page.goto('./');
  await design(page, 256, 400, 'to cancel');
  await page.getByRole('button', { name: 'Generate dataset' }).click();
  const status = page.getByRole('status');
  await expect(status).toContainText('images/s');
  await expect(page.getByTestId('progress-count')).not.toHaveText(/^0 \//);
  await status.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('dataset-status')).toContainText('cancelled');
  const kept = Number((await page.getByTestId('dataset-status').textContent())!.match(/(\d+) of 400 stored/)![1]);
  expect(kept).toBeGreaterThan(0);
  expect(kept).toBeLessThan(400);

  await page.reload();
  await page.getByRole('button', { name: 'Datasets' }).click();
  const row = page.getByTestId('dataset-row').filter({ hasText: 'to cancel' });
  await expect(row).toContainText(`${kept} / 400`);
  // Resume makes only what is missing; a smaller count keeps the test short.
  await row.getByRole('button', { name: 'Resume' }).click();
  await expect(row).toContainText('400 / 400 complete', { timeout: 90_000 });
  await expect(row.getByTestId('fingerprint')).toHaveText(/^[0-9a-f]{8}$/);
});

test('datasets can be renamed and deleted, and the change survives a reload', async ({ page }) => {
  await page.goto('./');
  await design(page, 64, 3, 'first name');
  await page.getByRole('button', { name: 'Generate dataset' }).click();
  await expect(page.getByTestId('dataset-status')).toContainText('3 of 3 stored, complete');
  await page.getByRole('button', { name: 'Datasets' }).click();
  page.once('dialog', (d) => d.accept('second name'));
  await page.getByTestId('dataset-row').filter({ hasText: 'first name' }).getByRole('button', { name: 'Rename' }).click();
  await expect(page.getByTestId('dataset-row').filter({ hasText: 'second name' })).toHaveCount(1);
  await page.reload();
  await page.getByRole('button', { name: 'Datasets' }).click();
  const row = page.getByTestId('dataset-row').filter({ hasText: 'second name' });
  await expect(row).toHaveCount(1);
  page.once('dialog', (d) => d.accept());
  await row.getByRole('button', { name: 'Delete' }).click();
  await expect(row).toHaveCount(0);
  await page.reload();
  await page.getByRole('button', { name: 'Datasets' }).click();
  await expect(page.getByText('No datasets yet')).toBeVisible();
});

test('a full disk stops generation with a clear message and keeps what was stored', async ({ page, consoleErrors }) => {
  await page.goto('./');
  // Chromium lets a test shrink this origin's quota: about 3 MB holds a few 256² samples, not 200.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(page.url()).origin, quotaSize: 3_000_000 });
  await design(page, 256, 200, 'too big');
  await page.getByRole('button', { name: 'Generate dataset' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'no room left' })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('dataset-status')).toContainText('incomplete');
  const kept = Number((await page.getByTestId('dataset-status').textContent())!.match(/(\d+) of 200 stored/)![1]);
  expect(kept).toBeGreaterThan(0);
  consoleErrors.length = 0; // Chromium itself logs the refused write

  await page.reload();
  await page.getByRole('button', { name: 'Datasets' }).click();
  const row = page.getByTestId('dataset-row').filter({ hasText: 'too big' });
  await expect(row).toContainText(`${kept} / 200`);
  await row.getByRole('button', { name: 'too big' }).click();
  await expect(page.getByLabel(/^thumbnail grain_/)).toHaveCount(Math.min(kept, 48));
});

test('the page stays responsive while generating', async ({ page }) => {
  await page.goto('./');
  await page.evaluate(() => {
    (window as unknown as { longTasks: number[] }).longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) (window as unknown as { longTasks: number[] }).longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: false });
  });
  await design(page, 256, 60, 'responsive');
  await page.getByRole('button', { name: 'Generate dataset' }).click();
  await expect(page.getByTestId('dataset-status')).toContainText('60 of 60 stored, complete', { timeout: 60_000 });
  const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
  // Generation runs in workers; the UI thread only stores batches and draws thumbnails.
  expect(Math.max(0, ...longTasks)).toBeLessThan(200);
});

test('a generation running in one tab shows as generating in another, offers no Resume there, and its end reaches that tab live', async ({ page, context }) => {
  await page.goto('./');
  await design(page, 256, 300, 'owned by tab one');
  await page.getByRole('button', { name: 'Generate dataset' }).click();
  await expect(page.getByTestId('progress-count')).not.toHaveText(/^0 \//);

  const other = await context.newPage();
  await other.goto('./');
  await other.getByRole('button', { name: 'Datasets' }).click();
  const row = other.getByTestId('dataset-row').filter({ hasText: 'owned by tab one' });
  await expect(row).toContainText('generating');
  await expect(row).not.toContainText('interrupted');
  await expect(row.getByRole('button', { name: 'Resume' })).toHaveCount(0);
  // Without a reload, the other tab's list follows the generation to its end.
  await expect(row).toContainText('300 / 300 complete', { timeout: 120_000 });
});

test('a damaged dataset record is listed apart with Delete; the list and generation keep working', async ({ page }) => {
  await page.goto('./');
  await design(page, 64, 2, 'a good one');
  await page.getByRole('button', { name: 'Generate dataset' }).click();
  await expect(page.getByTestId('dataset-status')).toContainText('2 of 2 stored, complete');
  await page.evaluate(() => new Promise<void>((done, fail) => {
    const open = indexedDB.open('synthscope');
    open.onsuccess = () => {
      const tx = open.result.transaction('datasets', 'readwrite');
      tx.objectStore('datasets').put({ id: 'hand-made', name: 'half a dataset', status: 'complete', createdAt: 1 });
      tx.oncomplete = () => { open.result.close(); done(); };
      tx.onerror = () => fail(tx.error);
    };
    open.onerror = () => fail(open.error);
  }));
  await page.reload();
  await page.getByRole('button', { name: 'Datasets' }).click();
  await expect(page.getByTestId('dataset-row').filter({ hasText: 'a good one' })).toBeVisible();
  const damaged = page.getByTestId('damaged-datasets');
  await expect(damaged).toContainText('"half a dataset": this record has no sample counts');
  page.once('dialog', (d) => d.accept());
  await damaged.getByRole('button', { name: 'Delete' }).click();
  await expect(damaged).toHaveCount(0);
});
