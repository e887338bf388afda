/**
 * Training-step speed of our two networks on TF.js' WebGPU backend outside a browser, through
 * Dawn's Node bindings (the `webgpu` npm package, which holds the WebGPU implementation Chromium
 * uses). For a machine with a real GPU but no browser, where `npm run bench -- train` cannot run;
 * the step is the Train view's: forward, the task's default loss, backward, AdamW, loss read back.
 *
 *   npm i --no-save webgpu   (see perf/dawn.ts)
 *   tsx perf/trainStep.ts [--width 1] [--cls-batch 32] [--seg-batch 4] [--steps 10] [--dawn PATH/index.js]
 *     [--filter-grad split|stock|conv] [--fg-threads 1048576] [--fg-min-loop 4096] [--fg-min-segment 256] [--input-grad naive|mm] [--optimizer fused|tfjs]
 *     [--batch-norm kernels|ops] [--bn-threads 64] [--software] [--conv mm|direct] [--channels 1|4] [--reduce tfjs|loops] [--flag WEBGPU_FLAG=VALUE …] [--probe]
 * The defaults are what the app runs (TF.js 4.22's kernels but for the filter gradient and batch
 * norm, the trainer's fused AdamW). `split` is our filter gradient split over rows
 * (src/lib/ml/kernels/conv2dWebgpu.ts, whose settings the `--fg-…` options set), `stock`
 * TF.js' own, `conv` computes it as one convolution (our WASM kernel, conv2dGrad.ts); `mm` turns on
 * TF.js' matrix-product input gradient, and `--optimizer tfjs` steps with what the fused optimiser
 * replaced: TF.js' Adam (a dozen kernels per variable) then the weight decay, one multiply per
 * kernel; `--batch-norm ops` trains batch norm through ops instead of its WGSL kernels
 * (src/lib/ml/kernels/batchNormWebgpu.ts), and `--bn-threads` sets their reductions' workgroup
 * size; `--software` picks the programs the app uses on a software GPU (src/lib/ml/kernels/webgpu.ts),
 * and each of them can be set apart: `--conv direct` runs the forward convolution as a direct loop,
 * `--channels 4` gives our convolution programs four output channels per thread, and `--reduce
 * loops` makes Sum, Mean and Softmax loops (src/lib/ml/kernels/reduceWebgpu.ts). `--probe` says
 * where a step's time goes, for each network: host time to enqueue its kernels against GPU time
 * (timestamp queries), by kernel.
 *
 * Prints one JSON line per network, as ../shared/bench/torch_same.py does, with the median step.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { useDawn } from './dawn';

const { values: args } = parseArgs({ options: {
  width: { type: 'string', default: '1' }, 'cls-batch': { type: 'string', default: '32' }, 'seg-batch': { type: 'string', default: '4' },
  'cls-size': { type: 'string', default: '128' }, 'seg-size': { type: 'string', default: '256' }, steps: { type: 'string', default: '10' },
  dawn: { type: 'string', default: 'webgpu' }, 'filter-grad': { type: 'string', default: 'split' }, 'fg-threads': { type: 'string', default: String(1 << 20) }, 'fg-min-loop': { type: 'string', default: '4096' }, 'fg-min-segment': { type: 'string', default: '256' }, software: { type: 'boolean', default: false }, conv: { type: 'string' }, channels: { type: 'string' }, reduce: { type: 'string' }, 'input-grad': { type: 'string', default: 'naive' },
  optimizer: { type: 'string', default: 'fused' }, 'batch-norm': { type: 'string', default: 'kernels' }, 'bn-threads': { type: 'string', default: '64' },
  flag: { type: 'string', multiple: true, default: [] }, probe: { type: 'boolean', default: false },
} });
if (args.optimizer !== 'fused' && args.optimizer !== 'tfjs') throw new Error(`--optimizer must be fused or tfjs; got ${args.optimizer}.`);
if (args.channels !== undefined && args.channels !== '1' && args.channels !== '4') throw new Error(`--channels must be 1 or 4; got ${args.channels}.`);
if (args['batch-norm'] !== 'kernels' && args['batch-norm'] !== 'ops') throw new Error(`--batch-norm must be kernels or ops; got ${args['batch-norm']}.`);

const gpu = await useDawn(args.dawn);
(await import('../src/lib/ml/kernels/batchNormWebgpu')).batchNormWebgpuSettings.reduceThreads = Number(args['bn-threads']);
(await import('../src/lib/ml/batchNorm')).BatchNormalization.opsOnly = args['batch-norm'] === 'ops';
const convKernels = await import('../src/lib/ml/kernels/conv2dWebgpu');
const { reduceWebgpuSettings } = await import('../src/lib/ml/kernels/reduceWebgpu');
(await import('../src/lib/ml/kernels/webgpu')).useSoftwareGpuKernels(args.software);
if (args.conv !== undefined) convKernels.conv2dWebgpuSettings.direct = args.conv === 'direct';
if (args.channels !== undefined) convKernels.conv2dWebgpuSettings.channelsPerThread = Number(args.channels) as 1 | 4;
if (args.reduce !== undefined) reduceWebgpuSettings.enabled = args.reduce === 'loops';
/** What this run uses, as each JSON line reports it. */
const programs = { conv: convKernels.conv2dWebgpuSettings.direct ? 'direct' : 'mm', channels: convKernels.conv2dWebgpuSettings.channelsPerThread, reduce: reduceWebgpuSettings.enabled ? 'loops' : 'tfjs' };
Object.assign(convKernels.conv2dWebgpuSettings, { parallelThreads: Number(args['fg-threads']), minLoopToSplit: Number(args['fg-min-loop']), minLoopPerThread: Number(args['fg-min-segment']) });
if (!['split', 'stock', 'conv'].includes(args['filter-grad'])) throw new Error(`--filter-grad must be split, stock or conv; got ${args['filter-grad']}.`);
if (args['filter-grad'] !== 'split') tf.unregisterKernel(tf.Conv2DBackpropFilter, 'webgpu');
const stock = convKernels.stockConv2dFilterGrad!;
if (args['filter-grad'] === 'stock') tf.registerKernel(stock);
if (args['filter-grad'] === 'conv') {
  const { conv2dFilterGrad } = await import('../src/lib/ml/kernels/conv2dGrad');
  tf.registerKernel({ ...stock, kernelFunc: ({ inputs, attrs }) => {
    const a = attrs as unknown as { filterShape: [number, number, number, number]; strides: [number, number]; pad: 'same' };
    return conv2dFilterGrad(inputs.x as tf.Tensor4D, inputs.dy as tf.Tensor4D, a.filterShape, a.strides, a.pad);
  } });
}
tf.env().set('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE', args['input-grad'] === 'naive');
for (const f of args.flag) {
  const [name, value] = f.split('=');
  tf.env().set(name, value === 'true' ? true : value === 'false' ? false : Number(value));
}
const { defaultTrainConfig } = await import('../src/lib/ml/config');
const { adamW } = await import('../src/lib/ml/trainer');
const { randomTrainingStep } = await import('./randomStep');
const { decays } = await import('../src/lib/ml/optimizer');
type TrainConfig = ReturnType<typeof defaultTrainConfig>;

if (!(await tf.setBackend('webgpu'))) throw new Error('No WebGPU adapter: is a Vulkan driver installed (libvulkan1 and the GPU\'s ICD)?');
await tf.ready();
const adapter = await gpu.requestAdapter();
const adapterInfo = adapter?.info ? `${adapter.info.vendor} ${adapter.info.architecture} ${adapter.info.description}`.trim() : 'unknown';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * The step's optimiser at the trainer's settings (Adam 0.9/0.99, the config's weight decay, a
 * learning rate set before each step): the trainer's fused AdamW, or TF.js' Adam then the decay
 * of each kernel, as the trainer stepped before it.
 */
function makeOptimizer(model: tf.LayersModel, config: TrainConfig, lr = 1e-3) {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  if (args.optimizer === 'fused') {
    const fused = adamW(variables, lr, config.weightDecay);
    return { minimize: (f: () => tf.Tensor) => { fused.learningRate = lr; return fused.minimize(f); }, dispose: () => fused.dispose() };
  }
  const adam = tf.train.adam(lr, 0.9, 0.99);
  return {
    minimize: (f: () => tf.Tensor) => {
      (adam as unknown as { learningRate: number }).learningRate = lr;
      const cost = adam.minimize(f as () => tf.Scalar, true, variables)!;
      if (config.weightDecay !== 0) tf.tidy(() => {
        for (const v of variables) if (decays(v)) v.assign(tf.mul(v, 1 - lr * config.weightDecay));
      });
      return cost;
    },
    dispose: () => adam.dispose(),
  };
}

async function bench(task: 'classify' | 'segment', size: number, batch: number, width: number, steps: number) {
  const { config, step, dispose } = randomTrainingStep(task, size, batch, width, (model, config) => makeOptimizer(model, config));
  const t0 = performance.now();
  await step(); // shader compilation
  const firstStep = (performance.now() - t0) / 1000;
  await step();
  const seconds: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await step();
    seconds.push((performance.now() - t) / 1000);
  }
  const s = median(seconds);
  console.log(JSON.stringify({ name: `dawn-webgpu.${task === 'classify' ? 'resnet18' : 'unet18'}.${size}`, images_per_s: +(batch / s).toFixed(2),
    step_s: +s.toFixed(4), first_step_s: +firstStep.toFixed(2), batch, size, width, steps, loss: config.loss,
    filter_grad: args['filter-grad'], fg_threads: Number(args['fg-threads']), fg_min_loop: Number(args['fg-min-loop']), fg_min_segment: Number(args['fg-min-segment']), ...programs, input_grad: args['input-grad'], optimizer: args.optimizer, batch_norm: args['batch-norm'], bn_threads: Number(args['bn-threads']), adapter: adapterInfo }));
  dispose();
}

/** Where a step's time goes: per-op cost of a long chain of tiny ops, and one step's kernels (GPU time where the adapter has timestamps). */
async function probe(task: 'classify' | 'segment', width: number, batch: number, size: number) {
  let t = tf.ones([4096]);
  await t.data();
  let t0 = performance.now();
  for (let i = 0; i < 2000; i++) { const u = tf.add(t, 1); t.dispose(); t = u; }
  const enqueueMs = performance.now() - t0;
  await t.data();
  console.log(JSON.stringify({ probe: 'tiny ops', per_op_us: +((performance.now() - t0) * 1000 / 2000).toFixed(1), enqueue_per_op_us: +(enqueueMs * 1000 / 2000).toFixed(1) }));
  t.dispose();
  const { step, minimizeOnce, dispose } = randomTrainingStep(task, size, batch, width, (model, config) => makeOptimizer(model, config));
  for (let i = 0; i < 2; i++) await step();
  t0 = performance.now();
  const c = minimizeOnce();
  const built = performance.now() - t0;
  await c.data();
  const total = performance.now() - t0;
  c.dispose();
  const info = await tf.profile(async () => { await step(); });
  const byKernel = new Map<string, { n: number; ms: number }>();
  let gpuMs = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    gpuMs += ms;
    const e = byKernel.get(k.name) ?? { n: 0, ms: 0 };
    byKernel.set(k.name, { n: e.n + 1, ms: e.ms + ms });
  }
  const top = [...byKernel].sort((a, b) => b[1].ms - a[1].ms || b[1].n - a[1].n).slice(0, 12).map(([k, v]) => `${k}×${v.n}:${v.ms.toFixed(1)}ms`);
  const most = [...byKernel].sort((a, b) => b[1].n - a[1].n).slice(0, 16).map(([k, v]) => `${k}×${v.n}`);
  console.log(JSON.stringify({ probe: task === 'classify' ? 'resnet18' : 'unet18', optimizer: args.optimizer, batch_norm: args['batch-norm'], filter_grad: args['filter-grad'], ...programs,
    width, batch, size, enqueue_ms: +built.toFixed(1), step_ms: +total.toFixed(1), kernels: info.kernels.length, gpu_ms: +gpuMs.toFixed(1), top, most }));
  dispose();
}

const width = Number(args.width), steps = Number(args.steps);
if (args.probe) {
  await probe('classify', width, Number(args['cls-batch']), Number(args['cls-size']));
  await probe('segment', width, Number(args['seg-batch']), Number(args['seg-size']));
  process.exit(0);
}
await bench('classify', Number(args['cls-size']), Number(args['cls-batch']), width, steps);
await bench('segment', Number(args['seg-size']), Number(args['seg-batch']), width, steps);
