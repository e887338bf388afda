/**
 * Whole-network gradients of our two networks on TF.js' WebGPU backend with our kernels (batch
 * norm, the split filter gradient) against the CPU backend, in Node through Dawn (perf/dawn.ts):
 * the check for a machine with a real GPU but no browser, where the app's start-up self-test cannot
 * run. Sizes large enough that the filter gradient is split over rows. Prints one JSON line per
 * network: the worst relative L2 difference over all weight gradients (float rounding: about 1e-5).
 *
 *   tsx perf/webgpuGradients.ts [--dawn PATH/index.js] [--software]
 * `--software` checks the programs a software GPU gets (kernels/webgpu.ts; chooseBackend picks them there).
 */
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { useDawn } from './dawn';

const { values: args } = parseArgs({ options: { dawn: { type: 'string', default: 'webgpu' }, software: { type: 'boolean', default: false } } });
await useDawn(args.dawn);
if (args.software) (await import('../src/lib/ml/kernels/webgpu')).useSoftwareGpuKernels(true);
// The CPU backend's own resize gradient is wrong (kernels/resizeGrad.ts): the reference uses ours.
await import('../src/lib/ml/kernels/cpu');
const { buildModel } = await import('../src/lib/ml/models');
const { lossFn } = await import('../src/lib/ml/losses');
const { defaultTrainConfig } = await import('../src/lib/ml/config');

async function gradients(backend: string, task: 'classify' | 'segment', size: number, batch: number) {
  await tf.setBackend(backend);
  const config = defaultTrainConfig(task, size);
  const model = buildModel({ ...config.model, depth: 18, width: 0.25, seed: 3 });
  const x = tf.randomNormal([batch, size, size, 1], 0, 1, 'float32', 5);
  const labels = task === 'segment'
    ? tf.oneHot(tf.cast(tf.greater(tf.randomUniform([batch, size, size], 0, 1, 'float32', 6), 0.8), 'int32') as tf.Tensor3D, 2)
    : tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 2), 'int32'), 2);
  const { grads, value } = tf.variableGrads(() => lossFn(config.loss, labels, model.apply(x, { training: true }) as tf.Tensor));
  const out = await Promise.all(model.trainableWeights.map((w) => grads[(w.read() as tf.Variable).name].data() as Promise<Float32Array>));
  const loss = (await value.data())[0];
  tf.dispose([x, labels, value, ...Object.values(grads)]);
  model.dispose();
  return { out, loss };
}

for (const [task, size, batch] of [['classify', 96, 4], ['segment', 64, 2]] as const) {
  const t0 = performance.now();
  const reference = await gradients('cpu', task, size, batch);
  const gpu = await gradients('webgpu', task, size, batch);
  let worst = 0;
  reference.out.forEach((r, i) => {
    let diff = 0, norm = 1e-30;
    r.forEach((v, k) => { diff += (gpu.out[i][k] - v) ** 2; norm += v * v; });
    worst = Math.max(worst, Math.sqrt(diff / norm));
  });
  console.log(JSON.stringify({ check: 'whole-network gradients, webgpu against cpu', task, size, batch, tensors: reference.out.length,
    worst_relative_l2: +worst.toExponential(2), loss_cpu: reference.loss, loss_webgpu: gpu.loss, seconds: +((performance.now() - t0) / 1000).toFixed(1) }));
}
