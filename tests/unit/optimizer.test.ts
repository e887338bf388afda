/**
 * The fused AdamW optimiser against what it replaces — TF.js' `tf.train.adam(lr, 0.9, 0.99)`
 * followed by decoupled weight decay on the kernels — on the CPU and WASM backends: the same
 * weights step after step with a changing learning rate, an exact resume from its checkpoint
 * format (and from TF.js Adam's), a kernel count that does not grow with the number of variables,
 * and no tensors left behind.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import '../../src/lib/ml/kernels/cpu';
import '../../src/lib/ml/kernels/wasm'; // the training kernels TF.js' WASM backend lacks
import type { ModelConfig, OptimizerWeights } from '../../src/lib/ml/config';
import { lossFn } from '../../src/lib/ml/losses';
import { buildModel } from '../../src/lib/ml/models';
import { FusedAdamW } from '../../src/lib/ml/optimizer';
import { Rng } from '../../src/lib/random';

beforeAll(async () => {
  const dist = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
  setWasmPaths(dist);
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.setBackend('cpu');
});

afterEach(async () => {
  await tf.setBackend('cpu');
});

const lrs = [1e-2, 3e-2, 5e-3, 2e-2, 1e-3, 4e-2];
const WD = 0.05;

function values(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

let unique = 0;

/** A conv kernel, a bias and a scale (decayed, not, not), and optionally one the loss never uses. */
function handMade(withUnused = false) {
  const id = unique++;
  const vars = tf.tidy(() => [
    tf.variable(tf.tensor4d(values(3 * 3 * 2 * 4, 1), [3, 3, 2, 4]), true, `t${id}_conv/kernel`),
    tf.variable(tf.tensor1d(values(4, 2)), true, `t${id}_conv/bias`),
    tf.variable(tf.tensor1d(values(4, 3)), true, `t${id}_bn/gamma`),
    ...(withUnused ? [tf.variable(tf.tensor2d(values(6, 4), [2, 3]), true, `t${id}_unused/kernel`)] : []),
  ]);
  const x = tf.tensor4d(values(2 * 5 * 5 * 2, 5), [2, 5, 5, 2]);
  const target = tf.tensor4d(values(2 * 5 * 5 * 4, 6), [2, 5, 5, 4]);
  const loss = () => tf.mean(tf.square(tf.sub(tf.tanh(tf.add(tf.mul(tf.conv2d(x, vars[0] as tf.Variable<tf.Rank.R4>, 1, 'same'), vars[2]), vars[1])), target))) as tf.Scalar;
  return { vars, loss, dispose: () => tf.dispose([...vars, x, target]) };
}

/** A small ResNet classifier, its trainable variables and a fixed batch. */
function smallModel(c: ModelConfig = { task: 'classify', depth: 10, width: 0.125, classes: 2, seed: 7 }) {
  const model = buildModel(c);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const x = tf.tensor4d(values(2 * 32 * 32, 8), [2, 32, 32, 1]);
  const y = tf.oneHot(tf.tensor1d([0, 1], 'int32'), 2);
  const loss = () => lossFn('ce', y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
  return { vars, loss, dispose: () => { tf.dispose([x, y]); model.dispose(); } };
}

/** What the trainer did before: TF.js Adam, then `kernel *= 1 − lr·wd` on the trainable kernels. */
function referenceStep(optimizer: tf.Optimizer, vars: tf.Variable[], loss: () => tf.Scalar, lr: number, wd: number) {
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
  tf.dispose(optimizer.minimize(loss, true, vars)!);
  if (wd === 0) return;
  tf.tidy(() => {
    for (const v of vars) if (v.name.includes('kernel')) v.assign(tf.mul(v, 1 - lr * wd));
  });
}

function fusedStep(optimizer: FusedAdamW, loss: () => tf.Scalar, lr: number) {
  optimizer.learningRate = lr;
  tf.dispose(optimizer.minimize(loss));
}

const snapshot = (vars: tf.Variable[]) => vars.map((v) => v.dataSync().slice() as Float32Array);

/** Largest |a − b| over the largest |b|, over all the arrays. */
function relativeError(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0, scale = 1e-12;
  a.forEach((arr, i) => arr.forEach((value, k) => {
    worst = Math.max(worst, Math.abs(value - b[i][k]));
    scale = Math.max(scale, Math.abs(b[i][k]));
  }));
  return worst / scale;
}

/** Copies the values of `from` into `to` (same shapes), so two runs start alike. */
function copyInto(to: tf.Variable[], from: tf.Variable[]) {
  to.forEach((v, i) => v.assign(from[i]));
}

// 'wasm-kernels': WASM with the update's last stages on kernels, as on the GPU backends (FusedAdamW.kernelsOnly).
for (const variant of ['cpu', 'wasm', 'wasm-kernels']) {
  const backend = variant === 'cpu' ? 'cpu' : 'wasm';
  describe(`fused AdamW on ${variant}`, () => {
    beforeEach(() => { FusedAdamW.kernelsOnly = variant === 'wasm-kernels'; });
    afterEach(() => { FusedAdamW.kernelsOnly = false; });

    it('equals TF.js Adam plus decoupled weight decay, step by step, with a changing learning rate (hand-made variables)', async () => {
      await tf.setBackend(backend);
      const a = handMade(), b = handMade();
      copyInto(b.vars, a.vars);
      const reference = tf.train.adam(lrs[0], 0.9, 0.99);
      const fused = new FusedAdamW(b.vars, { learningRate: lrs[0], beta1: 0.9, beta2: 0.99, weightDecay: WD });
      for (const lr of lrs) {
        referenceStep(reference, a.vars, a.loss, lr, WD);
        fusedStep(fused, b.loss, lr);
        expect(relativeError(snapshot(b.vars), snapshot(a.vars))).toBeLessThan(1e-5);
      }
      // The same element-wise ops in the same order on the same float32 values: bit for bit.
      expect(relativeError(snapshot(b.vars), snapshot(a.vars))).toBe(0);
      // Something moved, and the kernel more than Adam alone would move it (the decay is on).
      expect(relativeError(snapshot(b.vars), [values(72, 1), values(4, 2), values(4, 3)])).toBeGreaterThan(1e-3);
      reference.dispose(); fused.dispose(); a.dispose(); b.dispose();
    });

    it('equals it on a small ResNet, every variable (conv kernels, dense, biases, batch norm)', async () => {
      await tf.setBackend(backend);
      const a = smallModel(), b = smallModel();
      copyInto(b.vars, a.vars);
      expect(b.vars.filter((v) => v.name.includes('kernel')).length).toBeGreaterThan(5);
      const reference = tf.train.adam(lrs[0], 0.9, 0.99);
      const fused = new FusedAdamW(b.vars, { beta1: 0.9, beta2: 0.99, weightDecay: WD });
      for (const lr of lrs.slice(0, 3)) {
        referenceStep(reference, a.vars, a.loss, lr, WD);
        fusedStep(fused, b.loss, lr);
      }
      expect(relativeError(snapshot(b.vars), snapshot(a.vars))).toBeLessThan(1e-5);
      reference.dispose(); fused.dispose(); a.dispose(); b.dispose();
    }, 30_000);

    it('leaves a variable without a gradient as TF.js Adam does (only the decay moves it)', async () => {
      await tf.setBackend(backend);
      const a = handMade(true), b = handMade(true);
      copyInto(b.vars, a.vars);
      const reference = tf.train.adam(lrs[0], 0.9, 0.99);
      const fused = new FusedAdamW(b.vars, { beta1: 0.9, beta2: 0.99, weightDecay: WD });
      for (const lr of lrs.slice(0, 3)) {
        referenceStep(reference, a.vars, a.loss, lr, WD);
        fusedStep(fused, b.loss, lr);
      }
      expect(relativeError(snapshot(b.vars), snapshot(a.vars))).toBeLessThan(1e-5);
      reference.dispose(); fused.dispose(); a.dispose(); b.dispose();
    });
  });
}

describe('fused AdamW state', () => {
  it('getWeights → setWeights on a fresh optimiser continues exactly like one never stopped', async () => {
    const a = handMade(), b = handMade();
    copyInto(b.vars, a.vars);
    const straight = new FusedAdamW(a.vars, { beta1: 0.9, beta2: 0.99, weightDecay: WD });
    let first = new FusedAdamW(b.vars, { beta1: 0.9, beta2: 0.99, weightDecay: WD });
    lrs.forEach((lr, i) => {
      fusedStep(straight, a.loss, lr);
      if (i < 3) fusedStep(first, b.loss, lr);
    });
    const saved = await first.getWeights();
    first.dispose();
    first = new FusedAdamW(b.vars, { beta1: 0.9, beta2: 0.99, weightDecay: WD });
    first.setWeights(saved);
    expect(first.iterations).toBe(3);
    for (const lr of lrs.slice(3)) fusedStep(first, b.loss, lr);
    const [s, r] = [snapshot(a.vars), snapshot(b.vars)];
    r.forEach((arr, i) => expect(Array.from(arr)).toEqual(Array.from(s[i])));
    straight.dispose(); first.dispose(); a.dispose(); b.dispose();
  });

  it('reads and writes TF.js Adam’s checkpoint format: the same names, shapes and values', async () => {
    const a = handMade(), b = handMade();
    copyInto(b.vars, a.vars);
    const reference = tf.train.adam(lrs[0], 0.9, 0.99);
    const fused = new FusedAdamW(b.vars, { beta1: 0.9, beta2: 0.99 });
    for (const lr of lrs.slice(0, 3)) {
      referenceStep(reference, a.vars, a.loss, lr, 0);
      fusedStep(fused, b.loss, lr);
    }
    // As the trainer stored TF.js Adam's state: names, shapes and downloaded values.
    const named = await reference.getWeights();
    const theirs: OptimizerWeights = await Promise.all(named.map(async ({ name, tensor }) => ({ name, shape: tensor.shape, values: (await tensor.data()) as Float32Array })));
    named[0].tensor.dispose(); // 'iter' comes as a new scalar
    const ours = await fused.getWeights();
    // The moments are named after the reference's variables (a), ours after b's: compare by role.
    expect(ours.map((w) => w.name.replace(/^t\d+_/, ''))).toEqual(theirs.map((w) => w.name.replace(/^t\d+_/, '')));
    expect(ours.map((w) => w.name)).toEqual(['iter', ...b.vars.map((v) => `${v.name}/m`), ...b.vars.map((v) => `${v.name}/v`)]);
    expect(ours.map((w) => w.shape)).toEqual(theirs.map((w) => w.shape));
    expect(ours[0].values).toBeInstanceOf(Int32Array);
    expect(ours[0].values[0]).toBe(3);
    expect(relativeError(ours.slice(1).map((w) => w.values), theirs.slice(1).map((w) => w.values))).toBeLessThan(1e-6);

    // A checkpoint written by TF.js Adam (a run checkpointed before the fused optimiser) resumes in
    // it exactly: bit for bit where TF.js Adam had gone on. Its names are kept.
    const resumed = new FusedAdamW(b.vars, { beta1: 0.9, beta2: 0.99 });
    resumed.setWeights(theirs);
    expect((await resumed.getWeights()).map((w) => w.name)).toEqual(theirs.map((w) => w.name));
    for (const lr of lrs.slice(3)) {
      referenceStep(reference, a.vars, a.loss, lr, 0);
      fusedStep(resumed, b.loss, lr);
    }
    expect(relativeError(snapshot(b.vars), snapshot(a.vars))).toBe(0);

    // And the other way: TF.js Adam takes the fused optimiser's checkpoint.
    const back = tf.train.adam(lrs[0], 0.9, 0.99);
    const tensors = (await resumed.getWeights()).map((w) => ({ name: w.name, tensor: tf.tensor(w.values, w.shape) }));
    await back.setWeights(tensors);
    tf.dispose(tensors.map((t) => t.tensor));
    expect(back.iterations).toBe(lrs.length);
    reference.dispose(); fused.dispose(); resumed.dispose(); back.dispose(); a.dispose(); b.dispose();
  });

  it('refuses a checkpoint of another variable list', async () => {
    const a = handMade(), b = handMade(true);
    const fused = new FusedAdamW(a.vars);
    fusedStep(fused, a.loss, 1e-3);
    const saved = await fused.getWeights();
    const other = new FusedAdamW(b.vars);
    expect(() => other.setWeights(saved)).toThrow(/moments per kind/);
    fused.dispose(); other.dispose(); a.dispose(); b.dispose();
  });
});

describe('fused AdamW cost', () => {
  /** Kernels of one update from given gradients, by name. */
  async function updateKernels(vars: tf.Variable[], loss: () => tf.Scalar, make: (v: tf.Variable[]) => { step: (g: tf.Tensor[]) => void; dispose: () => void }) {
    const { grads, value } = tf.variableGrads(loss, vars);
    const list = vars.map((v) => grads[v.name]);
    const optimizer = make(vars);
    optimizer.step(list); // the first step makes TF.js Adam's moments
    const info = await tf.profile(() => optimizer.step(list));
    optimizer.dispose();
    tf.dispose([value, ...list]);
    return info.kernels.map((k) => k.name);
  }
  const fused = (wd: number) => (vars: tf.Variable[]) => {
    const o = new FusedAdamW(vars, { beta1: 0.9, beta2: 0.99, weightDecay: wd, learningRate: 1e-3 });
    return { step: (g: tf.Tensor[]) => o.applyGradients(g), dispose: () => o.dispose() };
  };
  const adam = (vars: tf.Variable[]) => {
    const o = tf.train.adam(1e-3, 0.9, 0.99);
    return { step: (g: tf.Tensor[]) => o.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: g[i] }))), dispose: () => o.dispose() };
  };
  // Reshapes dispatch nothing (the data is shared), on every backend we train with.
  const working = (names: string[]) => names.filter((n) => n !== 'Reshape');

  it.each(['cpu', 'wasm'])('a handful of kernels per update on %s, the same for 3 variables as for a ResNet’s 62', async (backend) => {
    await tf.setBackend(backend);
    const small = handMade(), big = smallModel({ task: 'classify', depth: 18, width: 0.125, classes: 2, seed: 3 });
    expect(big.vars.length).toBe(62);
    const few = await updateKernels(small.vars, small.loss, fused(WD));
    const many = await updateKernels(big.vars, big.loss, fused(WD));
    expect(working(many)).toEqual(working(few));
    expect(working(many).length).toBeLessThanOrEqual(20);
    // WASM reads the result once and writes the variables back, instead of a split (optimizer.ts).
    expect(working(many).includes('SplitV')).toBe(backend !== 'wasm');
    const tfjs = await updateKernels(big.vars, big.loss, adam);
    expect(working(tfjs).length).toBeGreaterThan(10 * big.vars.length); // ~12 per variable
    // Without weight decay the masked multiply goes (on WASM the decay runs in JavaScript, no kernel).
    expect(working(await updateKernels(small.vars, small.loss, fused(0))).length).toBe(working(few).length - (backend === 'wasm' ? 0 : 2));
    if (backend === 'wasm') expect(working(many).filter((n) => n === 'Select' || n === 'Concat')).toEqual(['Concat']);
    small.dispose(); big.dispose();
  }, 30_000);

  it('leaves no tensors behind, step after step, and frees everything on dispose', async () => {
    const before = tf.memory().numTensors;
    const a = handMade();
    const afterVariables = tf.memory().numTensors;
    const fused = new FusedAdamW(a.vars, { weightDecay: WD });
    const counts: number[] = [];
    for (const lr of lrs) {
      fusedStep(fused, a.loss, lr);
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    await fused.getWeights();
    fused.setWeights(await fused.getWeights());
    expect(tf.memory().numTensors).toBe(counts[0]);
    fused.dispose();
    expect(tf.memory().numTensors).toBe(afterVariables);
    a.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
