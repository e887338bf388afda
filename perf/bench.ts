/**
 * npm run bench: one JSON line per figure, medians over repeated runs.
 *   grains256.node, grains512.node — one thread in Node (a worker thread that holds only the
 *     generators, as the app's synth worker does), per-image times once warm (and a fresh worker's first images, `cold_images_per_s`).
 *   grains512.numpy — the same pipeline in NumPy/SciPy (perf/numpy_grains.py, one thread; for
 *     measuring only), run right after grains512.node, with their ratio (grains512.ratio.numpy):
 *     runs with grains512.node or alone; skipped with a message where python3, NumPy or SciPy is missing.
 *   grains512.workers — the browser's worker pool driven through the UI, storage included.
 *   cracks128.node, cracks128.workers — crack tiles, texture synthesis included, likewise.
 *   train.resnet18.128, train.unet18.256 — training through the Train view on each backend (wasm-1thread: WebAssembly without cross-origin isolation, one thread)
 *     (wasm, webgpu, webgl): images/s and achieved GFLOP/s (forward + backward ≈ 3 × forward);
 *     the median of BENCH_TRAIN_STEPS timed steps (default 3) after the first.
 *   train-native — the same networks, batch and size in PyTorch on this machine's CPU
 *     (../shared/bench/torch_same.py; Debian's python3-torch, for measuring only), and the ratio
 *     of each backend's speed to it. Runs with either training figure, or alone. All cores, or
 *     BENCH_NATIVE_THREADS (1: against single-threaded WebAssembly like for like).
 *   tryit — Try it end to end through the UI: seconds and its figures on NIST (BENCH_TRYIT_REPEATS runs).
 *   experiment.paper.memory — a paper-sized experiment (BENCH_MEMORY_CONFIG, default
 *     experiments/grains-paper.json) started through the Experiments view and cancelled after its
 *     first training steps or BENCH_MEMORY_SECONDS: the peak memory of the tab and of all Chromium.
 * `npm run bench -- FILTER` runs only the figures whose name contains FILTER.
 */
import { chromium } from '@playwright/test';
import { preview } from 'vite';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../src/lib/ml/models';
import { parseExperimentConfig, realFolders } from '../src/lib/experiment/config';
import { DEFAULT_PRESET } from '../src/lib/synth/grains/space';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * The generators in a worker thread holding only them (perf/generatorWorker.mjs), as the app's
 * synth worker does: this process also loads TF.js, Playwright and Vite for the other figures, and
 * with TF.js alone in the same heap a 512² grain sample took 1.09× as long (paired runs, 13.5 against
 * 12.4 ms).
 */
let generators: Worker | null = null;
async function generatorCall(job: { figure: string; from: number; count: number }): Promise<number[]> {
  generators ??= await new Promise<Worker>((ready, fail) => {
    const worker = new Worker(new URL('./generatorWorker.mjs', import.meta.url), { workerData: { root: resolve('.') } });
    worker.once('message', () => ready(worker));
    worker.once('error', fail);
  });
  const worker = generators;
  return new Promise<number[]>((done) => {
    worker.once('message', (t: { each: number[] }) => done(t.each));
    worker.postMessage(job);
  });
}

async function stopGenerators() {
  await generators?.terminate();
  generators = null;
}

/**
 * Median milliseconds per sample of `figure` (grains256, grains512, cracks128) over `images` samples
 * made back to back, once warm (`warm`), and over the first `images` a fresh worker makes (`cold`:
 * V8 compiles the hot loops as they run; a 512² grain sample took 2–4× as long for its first dozen
 * samples, and the app's workers make whole datasets, so the headline is the warm figure).
 */
async function timeGenerator(figure: string, images: number): Promise<{ warm: number; cold: number }> {
  const cold = median(await generatorCall({ figure, from: 100_000, count: images })); // JIT (and the crack dictionaries)
  return { warm: median(await generatorCall({ figure, from: 0, count: images })), cold };
}

async function benchNode(size: number, images: number): Promise<number> {
  const { warm, cold } = await timeGenerator(`grains${size}`, images);
  console.log(JSON.stringify({ name: `grains${size}.node`, images_per_s: +(1000 / warm).toFixed(1), median_ms: +warm.toFixed(2), images,
    cold_images_per_s: +(1000 / cold).toFixed(1), preset: DEFAULT_PRESET.id, threads: 1 }));
  return 1000 / warm;
}

/**
 * The NumPy/SciPy peer of benchNode (perf/numpy_grains.py), one thread: images/s, or null when
 * Python, NumPy or SciPy is missing (then it says so and the other figures go on). PYTHON picks
 * the interpreter, else `python3` on the PATH.
 */
function benchNumpy(size: number, images: number): number | null {
  const python = process.env.PYTHON ?? 'python3';
  const oneThread = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  try {
    execFileSync(python, ['-c', 'import numpy, scipy'], { stdio: 'ignore' });
  } catch {
    const reason = `${python} with NumPy and SciPy not found (set PYTHON to an interpreter that has both, e.g. pip install numpy scipy)`;
    console.error(`grains${size}.numpy skipped: ${reason}`);
    console.log(JSON.stringify({ name: `grains${size}.numpy`, skipped: reason }));
    return null;
  }
  const out = execFileSync(python, ['perf/numpy_grains.py', '--size', String(size), '--images', String(images)], { encoding: 'utf8', env: oneThread });
  const line = out.trim().split('\n').pop()!;
  console.log(line);
  return 1000 / (JSON.parse(line) as { median_ms: number }).median_ms; // unrounded, for the ratio
}

/** Crack tiles at 128², texture synthesis included; the generator's patch dictionaries are built once, as in a worker. */
async function benchCracksNode(tiles: number) {
  const { warm, cold } = await timeGenerator('cracks128', tiles);
  console.log(JSON.stringify({ name: 'cracks128.node', images_per_s: +(1000 / warm).toFixed(1), median_ms: +warm.toFixed(3), images: tiles,
    cold_images_per_s: +(1000 / cold).toFixed(1), threads: 1 }));
}

async function benchWorkers(kind: 'grains' | 'cracks', size: number, count: number, repeats: number) {
  const server = await preview({ preview: { port: 4391, host: '127.0.0.1', strictPort: false }, logLevel: 'error' });
  const url = server.resolvedUrls!.local[0];
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
  });
  try {
    const rates: number[] = [];
    let workers = 0;
    for (let r = 0; r < repeats; r++) {
      const page = await browser.newPage();
      await page.goto(url);
      workers = await page.evaluate(() => Math.max(1, navigator.hardwareConcurrency - 1));
      if (kind === 'cracks') {
        await page.getByLabel('Crack tiles (classification)').check();
        await page.getByText(/exemplar images/).waitFor();
      }
      await page.getByLabel(kind === 'grains' ? 'Size (px)' : 'Tile size (px)').fill(String(size));
      await page.getByLabel('Count').fill(String(count));
      await page.getByLabel('Seed').fill(String(r + 1));
      const t = performance.now();
      await page.getByRole('button', { name: 'Generate dataset' }).click();
      await page.getByTestId('dataset-status').filter({ hasText: `${count} of ${count} stored, complete` }).waitFor({ timeout: 600_000 });
      rates.push(count / ((performance.now() - t) / 1000));
      await page.close();
    }
    console.log(JSON.stringify({ name: `${kind}${size}.workers`, images_per_s: +median(rates).toFixed(1), runs: rates.map((x) => +x.toFixed(1)), images: count, workers, includes: 'generation, transfer, IndexedDB storage, gallery' }));
  } finally {
    await browser.close();
    await server.close();
  }
}

/**
 * Floating-point operations of one training step per image: 2 per multiply-accumulate of every
 * convolution and dense layer in the forward pass, times 3 (the backward pass computes the input
 * and the weight gradients, each about as much as the forward). Batch norm, activations and
 * pooling are left out. Output sizes are found by running the model once on the CPU backend.
 */
async function trainFlopsPerImage(task: 'classify' | 'segment', size: number, width: number): Promise<number> {
  await tf.setBackend('cpu');
  const model = buildModel({ task, depth: 18, width, classes: 2, seed: 1 });
  const layers = model.layers.filter((l) => l.getClassName() === 'Conv2D' || l.getClassName() === 'Dense');
  const probe = tf.model({ inputs: model.inputs, outputs: layers.map((l) => l.output as tf.SymbolicTensor) });
  const x = tf.zeros([1, size, size, 1]);
  const outs = probe.predict(x) as tf.Tensor[];
  let macs = 0;
  layers.forEach((layer, i) => {
    const kernel = layer.getWeights()[0].shape; // conv [kh, kw, in, out], dense [in, out]
    const outputs = outs[i].size / outs[i].shape[outs[i].shape.length - 1]!; // positions per image
    macs += outputs * kernel.reduce((a, b) => a * b, 1);
  });
  tf.dispose([x, ...outs]);
  model.dispose();
  return 3 * 2 * macs;
}

/**
 * Training speed through the Train view: a dataset is generated, a model trained for a few steps
 * on the chosen backend; reports images/s from the median step time after the first, the achieved
 * GFLOP/s, and the time from pressing Train to the first step (backend start, self-test, shader
 * compilation). Returns images/s per backend actually used.
 */
async function benchTraining(kind: 'cracks' | 'grains', size: number, width: number, batch: number, backends: string[], steps: number): Promise<Record<string, number>> {
  const flops = await trainFlopsPerImage(kind === 'cracks' ? 'classify' : 'segment', size, width);
  const server = await preview({ preview: { port: 4392, host: '127.0.0.1', strictPort: false }, logLevel: 'error' });
  const url = server.resolvedUrls!.local[0];
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update'],
  });
  const name = kind === 'cracks' ? `train.resnet18.${size}` : `train.unet18.${size}`;
  // No service worker, so every response passes the route below.
  const page = await (await browser.newContext({ serviceWorkers: 'block' })).newPage();
  page.setDefaultTimeout(300_000);
  const rates: Record<string, number> = {};
  /**
   * `wasm-1thread`: WebAssembly with the page not cross-origin isolated (the isolation headers
   * stripped), so it runs on one thread: the threaded and single-threaded paths in one run.
   */
  const isolation = async (on: boolean) => {
    await page.unrouteAll();
    if (on) return;
    await page.route('**/*', async (route) => {
      const response = await route.fetch();
      const headers = { ...response.headers() };
      delete headers['cross-origin-opener-policy'];
      delete headers['cross-origin-embedder-policy'];
      await route.fulfill({ response, headers });
    });
  };
  try {
    // One dataset, then one training run per backend on it.
    await page.goto(url);
    if (kind === 'cracks') {
      await page.getByLabel('Crack tiles (classification)').check();
      await page.getByText(/exemplar images/).waitFor();
      await page.getByLabel('Tile size (px)').fill(String(size));
    } else await page.getByLabel('Size (px)').fill(String(size));
    await page.getByLabel('Count').fill(String(batch * (steps + 2) * 2));
    await page.getByRole('button', { name: 'Generate dataset' }).click();
    await page.getByTestId('dataset-status').filter({ hasText: 'complete' }).waitFor({ timeout: 600_000 });
    for (const wanted of backends) {
      const backend = wanted === 'wasm-1thread' ? 'wasm' : wanted;
      await isolation(wanted !== 'wasm-1thread');
      await page.reload();
      await page.getByRole('button', { name: 'Train', exact: true }).first().click();
      await page.locator('select[name=depth]').selectOption('18');
      await page.locator('input[name=width]').fill(String(width));
      await page.locator('input[name=batch]').fill(String(batch));
      const select = page.locator('select[name=backend]');
      // Until the Train view lists a backend, offer it the way a user's choice would arrive.
      if (!(await select.locator(`option[value="${backend}"]`).count())) await select.evaluate((el, value) => el.append(new Option(value, value)), backend);
      await select.selectOption(backend);
      while ((await page.getByRole('button', { name: 'remove' }).count()) > 1) await page.getByRole('button', { name: 'remove' }).first().click();
      await page.getByLabel('Phase 1 size').fill(String(size));
      await page.getByLabel('Phase 1 encoder frozen').uncheck();
      const started = performance.now();
      await page.getByRole('button', { name: 'Train', exact: true }).nth(1).click();
      const seconds: number[] = [];
      let firstStep = 0, lastText = '';
      while (seconds.length < steps + 1) {
        const text = (await page.getByTestId('train-progress').textContent({ timeout: 900_000 })) ?? '';
        if (text !== lastText) {
          lastText = text;
          if (!firstStep) firstStep = (performance.now() - started) / 1000;
          seconds.push(Number(await page.getByTestId('step-seconds').textContent()));
        }
        await page.waitForTimeout(100);
      }
      const line = (await page.getByTestId('backend').textContent()) ?? '';
      const threads = Number(line.match(/(\d+) threads?/)?.[1] ?? 1);
      const used = (line.match(/Backend: (\w+)/)?.[1] ?? backend) + (wanted === 'wasm-1thread' ? '-1thread' : '');
      const isolated = await page.evaluate(() => crossOriginIsolated);
      await page.getByRole('button', { name: 'Stop' }).click();
      await page.getByRole('status').filter({ hasText: /^Stopped;|^Training finished/ }).waitFor({ timeout: 900_000 });
      const m = median(seconds.slice(1));
      rates[used] = batch / m;
      console.log(JSON.stringify({ name: `${name}.${used}`, images_per_s: +(batch / m).toFixed(2), gflops: +((flops * batch) / m / 1e9).toFixed(2),
        median_step_s: +m.toFixed(3), first_step_s: +firstStep.toFixed(1), batch, width, steps: seconds.length - 1, cross_origin_isolated: isolated, threads,
        note: `width ×${width} and batch ${batch} instead of ×1 / ${kind === 'cracks' ? 32 : 4}: full size is too slow to time without a GPU` }));
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return rates;
}

/**
 * The same networks in PyTorch on this machine's CPU (all cores, or BENCH_NATIVE_THREADS: 1 for a
 * like-for-like figure against single-threaded WebAssembly), as the native reference. Needs a
 * python3 with torch (Debian: apt-get install python3-torch); PYTHON overrides the interpreter.
 */
function benchNative(width: number, clsBatch: number, segBatch: number): Record<string, number> {
  const python = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
  const threads = Number(process.env.BENCH_NATIVE_THREADS || availableParallelism());
  const out = execFileSync(python, ['../shared/bench/torch_same.py', '--width', String(width), '--threads', String(threads),
    '--cls-size', '128', '--cls-batch', String(clsBatch), '--seg-size', '256', '--seg-batch', String(segBatch)], { encoding: 'utf8' });
  const rates: Record<string, number> = {};
  for (const line of out.trim().split('\n')) {
    const r = JSON.parse(line) as { name: string; images_per_s: number };
    rates[r.name.replace(/^torch\./, 'train.')] = r.images_per_s;
    console.log(JSON.stringify({ ...r, name: `train-native.${r.name.replace(/^torch\./, '')}` }));
  }
  return rates;
}

/**
 * Try it end to end through the UI, as a user clicks it: total seconds (generation, training to its
 * budget, analysis) and its figures against the NIST micrograph's traced mask.
 */
async function benchTryIt(repeats: number) {
  const server = await preview({ preview: { port: 4392, host: '127.0.0.1', strictPort: false }, logLevel: 'error' });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update'],
  });
  try {
    const runs: { seconds: number; f1: number; count: number; size: number; miou: number }[] = [];
    for (let r = 0; r < repeats; r++) {
      const page = await browser.newPage();
      await page.goto(server.resolvedUrls!.local[0]);
      const started = performance.now();
      await page.getByRole('button', { name: 'Try it', exact: true }).click();
      const comparison = page.getByTestId('try-result').getByTestId('comparison');
      await comparison.waitFor({ timeout: 900_000 });
      const seconds = (performance.now() - started) / 1000;
      const text = await comparison.innerText();
      const number = (label: RegExp) => Number(text.match(label)?.[1]);
      runs.push({ seconds, f1: number(/boundary F1 \(2 px\)\s*([\d.]+)/), count: number(/grain count, relative error\s*([-\d.]+)/),
        size: number(/mean grain size, relative error\s*([-\d.]+)/), miou: number(/mean\s+[\d.]+ \/ [\d.]+ · ([\d.]+)/) });
      await page.close();
    }
    const m = (k: keyof (typeof runs)[number]) => +median(runs.map((x) => x[k])).toFixed(3);
    console.log(JSON.stringify({ name: 'tryit', seconds: m('seconds'), boundary_f1: m('f1'), grain_count_error_pct: m('count'), mean_size_error_pct: m('size'),
      miou: m('miou'), repeats, note: 'NIST optical steel against its traced mask; synthetic-only training to the 120 s budget' }));
  } finally {
    await browser.close();
    await server.close();
  }
}

/**
 * Memory of the Chromium this process started, in MiB: proportional set size (Pss, so shared pages
 * are counted once across processes) from /proc (Linux). `tab`: the largest renderer, which is the
 * page with its workers (the others are Chromium's own small ones); `gpu`: the GPU process, where
 * WebGPU's buffers live (video memory on a real GPU, CPU memory under SwiftShader); `all`: every process.
 */
function chromiumMemory(): { tab: number; gpu: number; all: number } {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* the process ended meanwhile */ }
  }
  const ours = (pid: number): boolean => {
    for (let p = parent.get(pid); p; p = parent.get(p)) if (p === process.pid) return true;
    return false;
  };
  let tab = 0, gpu = 0, all = 0;
  for (const pid of parent.keys()) {
    if (!ours(pid)) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!/chrom/i.test(cmdline)) continue;
      const kib = Number(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+)/m)?.[1] ?? 0);
      all += kib / 1024;
      if (cmdline.includes('--type=renderer')) tab = Math.max(tab, kib / 1024);
      if (cmdline.includes('--type=gpu-process')) gpu += kib / 1024;
    } catch { /* the process ended meanwhile */ }
  }
  return { tab, gpu, all };
}

/**
 * A paper-sized experiment started as a user would (config pasted, real folder chosen, Run), its
 * memory sampled twice a second until its third training step or `seconds`, then cancelled. Before
 * streaming, the runner made the whole synthetic set first (grains-paper: 4,000 × 512² image and
 * mask, 2 GiB), so the peak came before the first step.
 */
async function benchExperimentMemory(configPath: string, seconds: number) {
  const raw = JSON.parse(readFileSync(configPath, 'utf8'));
  const config = parseExperimentConfig(raw);
  const server = await preview({ preview: { port: 4394, host: '127.0.0.1', strictPort: false }, logLevel: 'error' });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(120_000);
    await page.goto(server.resolvedUrls!.local[0]);
    await page.getByRole('button', { name: 'Experiments' }).click();
    await page.getByLabel('Experiment config (JSON)').fill(JSON.stringify(raw));
    for (const f of realFolders(config)) {
      await page.getByLabel(`Real ${f.set} folder`).setInputFiles(resolve(dirname(configPath), f.path));
      await page.getByTestId(`real-${f.set}`).waitFor();
    }
    const idle = chromiumMemory();
    const peak = { ...idle };
    await page.getByRole('button', { name: 'Run experiment' }).click();
    const started = performance.now();
    let steps = 0, phase = '';
    while ((performance.now() - started) / 1000 < seconds) {
      const now = chromiumMemory();
      for (const k of ['tab', 'gpu', 'all'] as const) peak[k] = Math.max(peak[k], now[k]);
      phase = (await page.getByTestId('experiment-progress').textContent({ timeout: 200 }).catch(() => null)) ?? phase;
      steps = Number(phase.match(/step (\d+)\//)?.[1] ?? 0);
      if (steps >= 3) break;
      await page.waitForTimeout(500);
    }
    const elapsed = (performance.now() - started) / 1000;
    // A cancel lands between training steps, and a first step on SwiftShader takes minutes: the
    // browser is closed after a short wait either way.
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByTestId('experiment-status').filter({ hasText: /cancelled|failed/ }).waitFor({ timeout: 30_000 }).catch(() => undefined);
    const mib = (x: number) => Math.round(x);
    console.log(JSON.stringify({ name: 'experiment.paper.memory', config: configPath, tab_peak_mib: mib(peak.tab), gpu_process_peak_mib: mib(peak.gpu),
      chromium_peak_mib: mib(peak.all), tab_idle_mib: mib(idle.tab), chromium_idle_mib: mib(idle.all), seconds: +elapsed.toFixed(1), training_steps: steps, last_progress: phase,
      note: 'Pss from /proc, sampled every 0.5 s from Run until the third training step or the time limit; then cancelled' }));
  } finally {
    await browser.close();
    await server.close();
  }
}

// `npm run bench -- node` runs only the figures whose name contains "node".
const only = process.argv[2] ?? '';
if ('grains256.node'.includes(only)) await benchNode(256, 60);
const grains512 = 'grains512.node'.includes(only) ? await benchNode(512, 40) : null;
if (grains512 !== null || 'grains512.numpy'.includes(only)) {
  const numpy = benchNumpy(512, 20);
  if (grains512 !== null && numpy !== null) {
    console.log(JSON.stringify({ name: 'grains512.ratio.numpy', node_images_per_s: +grains512.toFixed(1), numpy_images_per_s: +numpy.toFixed(2), node_over_numpy: +(grains512 / numpy).toFixed(2) }));
  }
}
if ('grains512.workers'.includes(only)) await benchWorkers('grains', 512, 60, 3);
if ('cracks128.node'.includes(only)) await benchCracksNode(400);
await stopGenerators();
if ('cracks128.workers'.includes(only)) await benchWorkers('cracks', 128, 400, 3);
if ('tryit'.includes(only)) await benchTryIt(Number(process.env.BENCH_TRYIT_REPEATS ?? 1));
if ('experiment.paper.memory'.includes(only)) {
  await benchExperimentMemory(process.env.BENCH_MEMORY_CONFIG ?? 'experiments/grains-paper.json', Number(process.env.BENCH_MEMORY_SECONDS ?? 180));
}
// Scaled down so that SwiftShader (no GPU) finishes; with a GPU, raise width and batch.
const trainWidth = Number(process.env.BENCH_TRAIN_WIDTH ?? 0.25);
const clsBatch = Number(process.env.BENCH_TRAIN_BATCH ?? 8);
// Timed steps per network and backend (after the first): more steady the median on a shared machine.
const trainSteps = Number(process.env.BENCH_TRAIN_STEPS ?? 3);
const segBatch = Number(process.env.BENCH_UNET_BATCH ?? 2);
const trainBackends = (process.env.BENCH_BACKENDS ?? 'wasm,wasm-1thread,webgpu,webgl').split(',');
const ours: Record<string, Record<string, number>> = {};
if ('train.resnet18.128'.includes(only)) ours['train.resnet18.128'] = await benchTraining('cracks', 128, trainWidth, clsBatch, trainBackends, trainSteps);
if ('train.unet18.256'.includes(only)) ours['train.unet18.256'] = await benchTraining('grains', 256, trainWidth, segBatch, trainBackends, trainSteps);
if ('train-native'.includes(only) || Object.keys(ours).length) {
  const native = benchNative(trainWidth, clsBatch, segBatch);
  for (const [network, rates] of Object.entries(ours)) {
    const torch = native[network];
    const ratio = Object.fromEntries(Object.entries(rates).map(([b, r]) => [b, +(r / torch).toFixed(3)]));
    const slower = Object.fromEntries(Object.entries(rates).map(([b, r]) => [b, +(torch / r).toFixed(1)]));
    console.log(JSON.stringify({ name: `train-native.ratio.${network.replace(/^train\./, '')}`, torch_images_per_s: torch, ours_over_torch: ratio, times_slower: slower }));
  }
}
