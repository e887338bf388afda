import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { realCrackZip } from './realdata';
import { generateSmall, trainTinyOneEpoch } from './steps';

// Training on SwiftShader's WebGPU is a CPU emulation: tiny images, tiny models, few steps.
test.setTimeout(420_000);

async function generateCracks(page: Page, count: number) {
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await page.getByLabel('Crack tiles (classification)').check();
  await page.getByLabel('Tile size (px)').fill('64');
  await page.getByLabel('Count').fill(String(count));
  // An easy set: wide, dark cracks, and none of the marks or variety that make real sets hard.
  for (const name of ['hardNegatives', 'crackDistractors']) for (const end of ['lo', 'hi']) await page.locator(`input[name="${name}.${end}"]`).fill('0');
  for (const label of ['From the edge (probability)', 'Tapering tips (probability)', 'Halo (probability)']) await page.getByLabel(label).fill('0');
  await page.getByLabel('Intensity from').fill('-0.9');
  await page.getByLabel('Intensity to').fill('-0.7');
  await page.getByLabel('Width median').fill('4');
  await page.getByLabel('Width median').press('Tab');
  await page.getByRole('button', { name: 'Generate dataset' }).click();
  await expect(page.getByTestId('dataset-status')).toContainText(`${count} of ${count} stored, complete`, { timeout: 60_000 });
}

async function tinyModel(page: Page, batch: number) {
  // Auto would pick WebGL on SwiftShader (faster there); these tests are about WebGPU.
  await page.locator('select[name=backend]').selectOption('webgpu');
  await page.locator('select[name=depth]').selectOption('10');
  await page.locator('input[name=width]').fill('0.125');
  await page.locator('input[name=batch]').fill(String(batch));
}

test('a tiny classifier learns crack tiles on WebGPU; tensors stay flat; the UI stays responsive; export → import predicts the same', async ({ page }) => {
  await page.goto('./');
  await generateCracks(page, 64);
  await page.getByRole('button', { name: 'Train', exact: true }).first().click();
  await tinyModel(page, 8);

  // The LR finder plots loss against LR and suggests a value.
  await page.getByRole('button', { name: 'Find learning rate' }).click();
  await expect(page.getByTestId('lr-suggestion')).toContainText('Suggested max LR', { timeout: 240_000 });

  await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[] };
    w.longTasks = [];
    new PerformanceObserver((list) => list.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({ type: 'longtask' });
  });
  await page.locator('input[name="train-seed"]').fill('1');
  await page.getByLabel('Phase 1 learning rate').fill('0.002');
  // Does WebGPU learn? Without augmentation four epochs of 51 tiles are enough to tell.
  await page.getByLabel('augment').uncheck();
  await page.getByRole('button', { name: 'Train', exact: true }).nth(1).click();
  await expect(page.getByTestId('backend')).toContainText('webgpu');
  await expect(page.getByTestId('backend')).toContainText('gradient self-test passed');
  await expect(page.getByTestId('train-progress')).toContainText('images/s', { timeout: 60_000 }); // the first step compiles the optimiser's shaders
  await expect(page.getByText('Training finished.')).toBeVisible({ timeout: 240_000 });
  const error = Number((await page.getByTestId('epochs').textContent())!.match(/error ([\d.]+)/)![1]);
  await expect(page.getByTestId('confusion')).toBeVisible();
  expect(1 - error).toBeGreaterThan(0.9);
  const counts = (await page.getByTestId('tensors').textContent())!.match(/\d+/g)!.map(Number);
  expect(new Set(counts.slice(1)).size).toBe(1); // after the first epoch: flat
  const longest = await page.evaluate(() => Math.max(0, ...(window as unknown as { longTasks: number[] }).longTasks));
  expect(longest).toBeLessThan(200);

  // Export, import, evaluate both: the same outputs.
  const row = page.getByTestId('model-row').first();
  const download = page.waitForEvent('download');
  await row.getByRole('button', { name: 'Export' }).click();
  const file = await (await download).path();
  await page.getByLabel('Import a model file').setInputFiles({ name: 'model.synthscope-model.zip', mimeType: 'application/zip', buffer: readFileSync(file) });
  await expect(page.getByText(/Imported model/)).toBeVisible();
  await expect(page.getByTestId('model-row')).toHaveCount(2);
  const outputs: string[] = [];
  for (const r of [page.getByTestId('model-row').nth(0), page.getByTestId('model-row').nth(1)]) {
    await r.getByRole('button', { name: 'Evaluate' }).click();
    await expect(r.getByTestId('evaluation')).toContainText('outputs', { timeout: 60_000 });
    outputs.push((await r.getByTestId('evaluation').textContent())!);
  }
  expect(outputs[0]).toBe(outputs[1]);

  // A foreign file gets a clear message and nothing is lost.
  await page.getByLabel('Import a model file').setInputFiles({ name: 'notes.zip', mimeType: 'application/zip', buffer: Buffer.from('hello') });
  await expect(page.getByRole('alert').filter({ hasText: 'notes.zip is not a SynthScope model file' })).toBeVisible();
  await expect(page.getByTestId('model-row')).toHaveCount(2);
});

test('on a software-only WebGPU, automatic choice takes WebAssembly and says why', async ({ page }) => {
  await page.goto('./');
  await generateCracks(page, 16);
  await page.getByRole('button', { name: 'Train', exact: true }).first().click();
  await page.locator('select[name=depth]').selectOption('10');
  await page.locator('input[name=width]').fill('0.125');
  await page.locator('input[name=batch]').fill('4');
  await page.getByRole('button', { name: 'Find learning rate' }).click();
  await expect(page.getByTestId('backend')).toContainText('Backend: wasm');
  await expect(page.getByTestId('backend')).toContainText('gradient self-test passed');
  // Cross-origin isolated (npm start's headers): WebAssembly takes a thread per physical core (half the logical ones).
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  const threads = Math.max(1, Math.floor((await page.evaluate(() => navigator.hardwareConcurrency)) / 2));
  await expect(page.getByTestId('backend')).toContainText(`${threads} thread${threads === 1 ? '' : 's'}`);
  if (threads === 1) await expect(page.getByText(/WebAssembly runs on 1 thread: it takes one per physical core/)).toBeVisible();
  await expect(page.getByText(/Not used: WebGPU: .*software/)).toBeVisible();
  await expect(page.getByTestId('lr-suggestion')).toContainText('Suggested max LR', { timeout: 120_000 });
});

test('a tiny U-Net’s loss falls; its checkpoint survives a reload and training resumes from it', async ({ page }) => {
  await page.goto('./');
  await page.getByLabel('Size (px)').fill('64');
  await page.getByLabel('Count').fill('20');
  await page.getByRole('button', { name: 'Generate dataset' }).click();
  await expect(page.getByTestId('dataset-status')).toContainText('20 of 20 stored, complete');
  await page.getByRole('button', { name: 'Train', exact: true }).first().click();
  await tinyModel(page, 4);
  // One phase at 64² for four epochs.
  while ((await page.getByRole('button', { name: 'remove' }).count()) > 1) await page.getByRole('button', { name: 'remove' }).first().click();
  await page.getByLabel('Phase 1 epochs').fill('4');
  await page.getByLabel('Phase 1 size').fill('64');
  await page.getByLabel('Phase 1 learning rate').fill('0.01');
  await page.getByRole('button', { name: 'Train', exact: true }).nth(1).click();
  await expect(page.getByTestId('epochs')).toContainText('2 epochs', { timeout: 200_000 });

  // Reload mid-run: the model comes back as interrupted with its checkpoint, and resumes.
  await page.reload();
  await page.getByRole('button', { name: 'Train', exact: true }).first().click();
  const row = page.getByTestId('model-row').first();
  await expect(row).toContainText('interrupted');
  const done = Number((await row.textContent())!.match(/(\d+) epochs/)![1]);
  expect(done).toBeGreaterThanOrEqual(2);
  await row.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByText('Training finished.')).toBeVisible({ timeout: 200_000 });
  await expect(row).toContainText('complete · 4 epochs');
  const losses = (await page.getByTestId('train-losses').textContent())!.match(/[\d.]+/g)!.map(Number);
  expect(losses).toHaveLength(4);
  expect(losses[3]).toBeLessThan(0.8 * losses[0]);
});

test('a pretrained encoder loads from a URL, is cached, and then works without that URL', async ({ page, context }) => {
  // The test serves its own tiny "pretrained" TF.js layers model.
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  const tiny = tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [32, 32, 3], filters: 4, kernelSize: 3, strides: 2, activation: 'relu' }),
    tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, activation: 'relu' }),
    tf.layers.flatten(), tf.layers.dense({ units: 5 }),
  ] });
  let artifacts: import('@tensorflow/tfjs').io.ModelArtifacts | undefined;
  await tiny.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  const modelJson = JSON.stringify({ modelTopology: artifacts!.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts!.weightSpecs }] });
  let served = 0;
  await context.route('**/tiny-pretrained/model.json', (r) => { served++; return r.fulfill({ body: modelJson, contentType: 'application/json' }); });
  await context.route('**/tiny-pretrained/weights.bin', (r) => r.fulfill({ body: Buffer.from(artifacts!.weightData as ArrayBuffer) }));

  await page.goto('./');
  await generateCracks(page, 32);
  await page.getByRole('button', { name: 'Train', exact: true }).first().click();
  // About loading and caching the encoder, not a backend: the fast CPU path.
  await page.locator('select[name=backend]').selectOption('wasm');
  await page.locator('input[name=pretrained]').check();
  await page.locator('input[name=batch]').fill('8');
  const url = new URL('tiny-pretrained/model.json', page.url()).href;
  await page.getByLabel('Pretrained model URL').fill(url);
  await page.getByRole('button', { name: 'Train', exact: true }).nth(1).click();
  await expect(page.getByText(/downloaded and cached for offline use/)).toBeVisible({ timeout: 60_000 });
  await expect(page.getByText('Training finished.')).toBeVisible({ timeout: 200_000 });
  expect(served).toBe(1);

  // Without the server's copy, the cached encoder still trains.
  await context.unroute('**/tiny-pretrained/model.json');
  await context.unroute('**/tiny-pretrained/weights.bin');
  await page.getByRole('button', { name: 'Train', exact: true }).nth(1).click();
  await expect(page.getByText(/from the offline cache/)).toBeVisible({ timeout: 60_000 });
  await expect(page.getByText('Training finished.')).toBeVisible({ timeout: 200_000 });
  await expect(page.getByTestId('model-row').filter({ hasText: 'pretrained encoder' })).toHaveCount(2);
});

test('fine-tuning a model on the stored real tiles changes its real test metrics; both compare in one table', async ({ page }) => {
  await page.goto('./');
  await page.getByRole('button', { name: 'Real data' }).click();
  await page.getByLabel('Choose images or zip').setInputFiles({ name: 'cracks.zip', mimeType: 'application/zip', buffer: realCrackZip(2, 8) });
  await expect(page.getByText(/Imported 18 images with 34 tiles/)).toBeVisible();
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await generateSmall(page, 'cracks', 16);
  await page.getByRole('button', { name: 'Train', exact: true }).first().click();
  await page.getByLabel('Model name').fill('synthetic only');
  await trainTinyOneEpoch(page, 8);

  await page.getByRole('row').filter({ hasText: 'synthetic only' }).getByRole('button', { name: 'Fine-tune on real tiles' }).click();
  await expect(page.getByText(/Fine-tuning "synthetic only" on \d+ real training tiles \(\d+ for validation\) at 64 px; the \d+ test tiles stay unseen/)).toBeVisible();
  await expect(page.getByText('Training finished.')).toBeVisible({ timeout: 200_000 });
  const tuned = page.getByRole('row').filter({ hasText: 'synthetic only + real tiles' });
  await expect(tuned).toContainText('real tiles (');
  await expect(tuned).toContainText('complete · 3 epochs');

  await page.getByLabel('Compare synthetic only on real test tiles').check();
  await page.getByLabel('Compare synthetic only + real tiles on real test tiles').check();
  await page.getByRole('button', { name: 'Evaluate ticked models on real test tiles' }).click();
  const rows = page.getByTestId('real-row');
  await expect(rows).toHaveCount(2, { timeout: 120_000 });
  await expect(rows.first()).toContainText(/\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]/); // error with its interval
  const losses = await page.getByTestId('real-loss').allTextContents();
  expect(losses[0]).not.toBe(losses[1]);
  await expect(rows.nth(1)).not.toContainText('not a fair test');
});
