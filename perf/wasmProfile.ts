/**
 * Where a WebAssembly training step's time goes, per kernel, in Node (the same tfjs-backend-wasm
 * and our kernels as the app; SIMD, one thread, as on this 2-core machine).
 *
 *   tsx perf/wasmProfile.ts [--task classify|segment] [--size 128] [--batch 8] [--width 0.25] [--steps 5] [--top 15] [--shapes]
 *     [--ab Sum,Mean | --ab BatchNormalization | --ab BatchNormKernels | --ab AdamOnHost | --ab Conv2DLayer]
 *
 * The step is the Train view's: forward, the task's default loss, backward, the trainer's AdamW,
 * loss read back (random inputs). First the median step without instruments; then every wasm
 * kernel is wrapped with a timer and a few more steps are timed per kernel. Our gradient kernels
 * run other kernels inside them, so each kernel's time is *exclusive*: its own work, less the
 * kernels it called. What no kernel covers (the gradient tape, tidy, JavaScript between kernels) is
 * reported as `outside_kernels_ms`. A kernel run inside another is named after both
 * (`Conv2DBackpropFilter>Conv2D`); `--shapes` splits each by its input shapes. One JSON line for
 * the step, then one per kernel, largest first. `--ab NAMES` first times steps with TF.js' own
 * kernels of those names against ours, alternating (stock, ours, ours, stock, …) in this one
 * process so that both see the same machine, and prints both medians: of wall-clock time, of the
 * process's CPU time (steadier where other work shares the machine), and of the time spent inside
 * the compared kernels per step. `BatchNormalization` among the names compares our batch-norm layer's
 * training path with TF.js' own (src/lib/ml/batchNorm.ts) the same way, `BatchNormKernels` that
 * path as ops against its two WASM kernels (src/lib/ml/kernels/batchNormWasm.ts), `AdamOnHost` the
 * optimiser's last stages on kernels against its JavaScript loop (src/lib/ml/optimizer.ts), and `Conv2DLayer` our
 * convolution layer with TF.js' (src/lib/ml/conv2d.ts).
 */
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { BatchNormalization } from '../src/lib/ml/batchNorm';
import { Conv2D } from '../src/lib/ml/conv2d';
import { FusedAdamW } from '../src/lib/ml/optimizer';
import { stockWasmKernel } from '../src/lib/ml/kernels/wasm';
import { adamW } from '../src/lib/ml/trainer';
import { randomTrainingStep } from './randomStep';

const { values: args } = parseArgs({ options: {
  task: { type: 'string', default: 'classify' }, size: { type: 'string', default: '128' }, batch: { type: 'string', default: '8' },
  width: { type: 'string', default: '0.25' }, steps: { type: 'string', default: '5' }, top: { type: 'string', default: '15' },
  shapes: { type: 'boolean', default: false }, ab: { type: 'string', default: '' },
} });
const task = args.task === 'segment' ? 'segment' : 'classify';
const size = Number(args.size), batch = Number(args.batch), width = Number(args.width), steps = Number(args.steps);

tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
setWasmPaths(join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
if (!(await tf.setBackend('wasm'))) throw new Error('The wasm backend did not start.');
await tf.ready();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const { step, dispose } = randomTrainingStep(task, size, batch, width,
  (model, config) => adamW(model.trainableWeights.map((w) => w.read() as tf.Variable), 1e-3, config.weightDecay));
/** Wall-clock ms per step; `cpu` collects the process's CPU ms per step too (steadier where the machine is shared). */
const timeSteps = async (n: number, cpu?: number[]) => {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const c = process.cpuUsage();
    await step();
    ms.push(performance.now() - t);
    const u = process.cpuUsage(c);
    cpu?.push((u.user + u.system) / 1000);
  }
  return ms;
};

await timeSteps(2); // warm-up
if (args.ab) {
  const names = args.ab.split(',');
  const layer = names.includes('BatchNormalization');
  const convLayer = names.includes('Conv2DLayer');
  const bnKernels = names.includes('BatchNormKernels');
  const adamOnHost = names.includes('AdamOnHost');
  const kernelNames = names.filter((n) => !['BatchNormalization', 'Conv2DLayer', 'BatchNormKernels', 'AdamOnHost'].includes(n));
  const ours = kernelNames.map((n) => tf.getKernel(n, 'wasm')!);
  const stock = kernelNames.map((n) => {
    const k = stockWasmKernel(n);
    if (!k) throw new Error(`--ab: ${n} is not one of the kernels we replace.`);
    return k;
  });
  // Each variant's kernels also time themselves (all they run inside included): their share of the step.
  let inKernels = 0;
  const timed = (configs: tf.KernelConfig[]) => configs.map((k): tf.KernelConfig => ({ ...k, kernelFunc: (a) => {
    const t = performance.now();
    const out = k.kernelFunc(a);
    inKernels += performance.now() - t;
    return out;
  } }));
  const variants = { stock: timed(stock), ours: timed(ours) };
  const use = (configs: tf.KernelConfig[]) => configs.forEach((k) => { tf.unregisterKernel(k.kernelName, 'wasm'); tf.registerKernel(k); });
  const ms = { stock: [] as number[], ours: [] as number[] };
  const cpu = { stock: [] as number[], ours: [] as number[] };
  const kernel = { stock: [] as number[], ours: [] as number[] };
  for (let i = 0; i < steps; i++) {
    for (const which of i % 2 ? ['ours', 'stock'] as const : ['stock', 'ours'] as const) {
      use(variants[which]);
      BatchNormalization.useStock = layer && which === 'stock';
      Conv2D.useStock = convLayer && which === 'stock';
      BatchNormalization.opsOnly = bnKernels && which === 'stock';
      FusedAdamW.kernelsOnly = adamOnHost && which === 'stock';
      inKernels = 0;
      ms[which].push(...(await timeSteps(1, cpu[which])));
      kernel[which].push(inKernels);
    }
  }
  use(ours);
  BatchNormalization.useStock = false;
  Conv2D.useStock = false;
  BatchNormalization.opsOnly = false;
  FusedAdamW.kernelsOnly = false;
  const m = (xs: number[]) => +median(xs).toFixed(1);
  console.log(JSON.stringify({ ab: names.join(','), steps, stock_step_ms: m(ms.stock), ours_step_ms: m(ms.ours), speedup: +(median(ms.stock) / median(ms.ours)).toFixed(3),
    stock_cpu_ms: m(cpu.stock), ours_cpu_ms: m(cpu.ours), cpu_speedup: +(median(cpu.stock) / median(cpu.ours)).toFixed(3),
    stock_kernels_ms: m(kernel.stock), ours_kernels_ms: m(kernel.ours) }));
}
const plain = await timeSteps(steps);

// Every wasm kernel behind a timer: a stack of open kernels, so nested time is charged once.
const totals = new Map<string, { calls: number; ms: number }>();
const open: { name: string; nested: number }[] = []; // per open kernel, the time its nested kernels took
for (const kernel of tf.getKernelsForBackend('wasm')) {
  const inner = kernel.kernelFunc;
  tf.unregisterKernel(kernel.kernelName, 'wasm');
  tf.registerKernel({ ...kernel, kernelFunc: (a) => {
    // A kernel run inside another is named after both ("Conv2DBackpropFilter>Conv2D").
    const name = open.length ? `${open[open.length - 1].name}>${kernel.kernelName}` : kernel.kernelName;
    open.push({ name, nested: 0 });
    const t = performance.now();
    const out = inner(a);
    const ms = performance.now() - t;
    const { nested } = open.pop()!;
    if (open.length) open[open.length - 1].nested += ms;
    const key = args.shapes ? `${name} ${Object.values(a.inputs).filter(Boolean).map((i) => (i as tf.TensorInfo).shape.join('x')).join(' ')}` : name;
    const e = totals.get(key) ?? { calls: 0, ms: 0 };
    totals.set(key, { calls: e.calls + 1, ms: e.ms + ms - nested });
    return out;
  } });
}
const timed = await timeSteps(steps);
const perStep = (v: number) => v / steps;
const kernelMs = [...totals.values()].reduce((s, v) => s + v.ms, 0);
const stepMs = timed.reduce((s, v) => s + v, 0) / steps;
console.log(JSON.stringify({ name: `wasm-profile.${task === 'classify' ? 'resnet18' : 'unet18'}.${size}`, width, batch, steps,
  step_ms: +median(plain).toFixed(1), instrumented_step_ms: +stepMs.toFixed(1), kernels_ms: +perStep(kernelMs).toFixed(1),
  outside_kernels_ms: +(stepMs - perStep(kernelMs)).toFixed(1), kernel_calls: Math.round(perStep([...totals.values()].reduce((s, v) => s + v.calls, 0))) }));
for (const [name, v] of [...totals].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(args.top))) {
  console.log(JSON.stringify({ kernel: name, calls: Math.round(perStep(v.calls)), ms: +perStep(v.ms).toFixed(1), share: +(v.ms / (stepMs * steps)).toFixed(3) }));
}
dispose();
