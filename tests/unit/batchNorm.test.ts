/**
 * Our batch-norm layer (src/lib/ml/batchNorm.ts): its written-out training gradient against
 * autodiff through TF.js' own ops on the reference CPU backend, on CPU and WASM; the layer against
 * TF.js' layer (outputs, gradients, moving averages, training and inference); and stored models,
 * saved with TF.js' layer, loading into it unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import '../../src/lib/ml/kernels/cpu';
import '../../src/lib/ml/kernels/wasm';
import { BatchNormalization, batchNormalization, batchNormTraining } from '../../src/lib/ml/batchNorm';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from '../../src/lib/ml/kernels/names';
import { modelArtifacts } from '../../src/lib/ml/modelStore';
import { Rng } from '../../src/lib/random';

beforeAll(async () => {
  setWasmPaths(join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.setBackend('cpu');
});

afterEach(async () => {
  BatchNormalization.useStock = false;
  await tf.setBackend('cpu');
});

function values(n: number, seed: number, offset = 0): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1 + offset);
}

/** Largest |a − b| over max |b|. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-12, worst = 0;
  for (let k = 0; k < b.length; k++) scale = Math.max(scale, Math.abs(b[k]));
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]));
  return worst / scale;
}

const EPSILON = 1e-3;

/** Output, batch mean and variance, and the gradients of Σ y·g for x, gamma and beta. */
function normaliseAndDifferentiate(ours: boolean, shape: [number, number, number, number], offset: number): Float32Array[] {
  return tf.tidy(() => {
    const n = shape.reduce((a, b) => a * b);
    const c = shape[3];
    const x = tf.tensor4d(values(n, 1, offset), shape);
    const gamma = tf.tensor1d(values(c, 2, 1));
    const beta = tf.tensor1d(values(c, 3));
    const g = tf.tensor4d(values(n, 4), shape);
    const stats: tf.Tensor[] = [];
    const f = (a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) => {
      let y: tf.Tensor;
      if (ours) {
        const out = batchNormTraining(a as tf.Tensor4D, b as tf.Tensor1D, d as tf.Tensor1D, EPSILON);
        stats.push(tf.keep(out.mean), tf.keep(out.variance));
        y = out.y;
      } else {
        const { mean, variance } = tf.moments(a, [0, 1, 2]);
        stats.push(tf.keep(mean), tf.keep(variance));
        y = tf.batchNorm4d(a as tf.Tensor4D, mean as tf.Tensor1D, variance as tf.Tensor1D, d as tf.Tensor1D, b as tf.Tensor1D, EPSILON);
      }
      stats.push(tf.keep(y));
      return tf.sum(tf.mul(y, g));
    };
    const grads = tf.grads(f)([x, gamma, beta]);
    const out = [...stats.slice(-1), ...stats.slice(0, 2), ...grads].map((t) => t.dataSync() as Float32Array);
    tf.dispose(stats);
    return out;
  });
}

describe('batch norm in training: written-out gradient', () => {
  const cases: [[number, number, number, number], number][] = [
    [[2, 5, 6, 3], 0], [[8, 16, 16, 4], 0], [[2, 3, 3, 5], 3], [[1, 1, 1, 2], 0], [[4, 1, 1, 6], 0],
  ];
  for (const backend of ['cpu', 'wasm']) {
    it(`on ${backend}: output, moments and gradients equal autodiff through TF.js' ops on the CPU backend`, async () => {
      for (const [shape, offset] of cases) {
        await tf.setBackend('cpu');
        const reference = normaliseAndDifferentiate(false, shape, offset);
        await tf.setBackend(backend);
        const before = tf.memory().numTensors;
        const ours = normaliseAndDifferentiate(true, shape, offset);
        expect(tf.memory().numTensors).toBe(before);
        const names = ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'];
        ours.forEach((v, i) => {
          expect(v.length).toBe(reference[i].length);
          expect(relativeError(v, reference[i]), `${names[i]} at ${shape}`).toBeLessThan(2e-5);
        });
      }
    });
  }
});

describe('batch norm in training: the two WASM kernels (kernels/batchNormWasm.ts)', () => {
  it('run in place of the ops on wasm: one forward and one gradient kernel', async () => {
    await tf.setBackend('wasm');
    const info = await tf.profile(() => {
      tf.dispose(normaliseAndDifferentiate(true, [2, 3, 3, 4], 0) as unknown as tf.Tensor[]);
    });
    const names = info.kernels.map((k) => k.name);
    expect(names.filter((n) => n === BATCH_NORM_TRAIN)).toHaveLength(1);
    expect(names.filter((n) => n === BATCH_NORM_TRAIN_GRAD)).toHaveLength(1);
    expect(names).not.toContain('FusedBatchNorm');
  });

  // Every activation shape class the models train on: ResNet-18 ×0.25 at 128², batch 8 (stem to
  // stage 4), the U-Net's full-size decoder and its skips at 256², batch 2, and one mean far from zero.
  const shapes: [[number, number, number, number], number][] = [
    [[8, 64, 64, 16], 0], [[8, 32, 32, 16], 0], [[8, 16, 16, 32], 0], [[8, 8, 8, 64], 0], [[8, 4, 4, 128], 0],
    [[2, 256, 256, 8], 0], [[2, 128, 128, 16], 2], [[2, 16, 16, 64], 0], [[3, 5, 7, 6], 10],
  ];
  it('equal autodiff through TF.js\' ops on the CPU backend on every shape class the models use', async () => {
    for (const [shape, offset] of shapes) {
      await tf.setBackend('cpu');
      const reference = normaliseAndDifferentiate(false, shape, offset);
      await tf.setBackend('wasm');
      const before = tf.memory().numTensors;
      const ours = normaliseAndDifferentiate(true, shape, offset);
      expect(tf.memory().numTensors).toBe(before);
      const names = ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'];
      ours.forEach((v, i) => expect(relativeError(v, reference[i]), `${names[i]} at ${shape}, offset ${offset}`).toBeLessThan(2e-5));
    }
  }, 60_000);
});

/** A conv → batch norm → ReLU network as our models build it, with TF.js' layer or ours. */
function convBnRelu(stock: boolean, seed: number): tf.LayersModel {
  const input = tf.input({ shape: [null, null, 2], name: 'image' });
  let y = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tf.initializers.glorotNormal({ seed }), name: 'c_conv' }).apply(input) as tf.SymbolicTensor;
  const args = { name: 'c_bn', momentum: 0.9, gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: seed + 1 }),
    betaInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed + 2 }) };
  y = (stock ? tf.layers.batchNormalization(args) : batchNormalization(args)).apply(y) as tf.SymbolicTensor;
  y = tf.layers.reLU({ name: 'c_relu' }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y, name: 'net' });
}

describe('batch-norm layer', () => {
  /** Per training step: output, gradients of every trainable weight, then the moving mean and variance; then an inference output. */
  function steps(model: tf.LayersModel, useStock: boolean): Float32Array[] {
    BatchNormalization.useStock = useStock;
    const out: Float32Array[] = [];
    for (let step = 0; step < 2; step++) {
      tf.tidy(() => {
        const x = tf.tensor4d(values(3 * 6 * 5 * 2, 10 + step), [3, 6, 5, 2]);
        const g = tf.tensor4d(values(3 * 6 * 5 * 4, 20 + step), [3, 6, 5, 4]);
        const { value, grads } = tf.variableGrads(() => {
          const y = model.apply(x, { training: true }) as tf.Tensor;
          out.push(y.dataSync() as Float32Array);
          return tf.sum(tf.mul(y, g));
        });
        value.dispose();
        for (const w of model.trainableWeights) out.push(grads[(w.read() as tf.Variable).name].dataSync() as Float32Array);
        for (const w of model.getLayer('c_bn').getWeights().slice(2)) out.push(w.dataSync() as Float32Array);
      });
    }
    out.push(tf.tidy(() => (model.predict(tf.tensor4d(values(2 * 4 * 4 * 2, 30), [2, 4, 4, 2])) as tf.Tensor).dataSync() as Float32Array));
    return out;
  }

  for (const backend of ['cpu', 'wasm']) {
    it(`on ${backend}: trains and infers as TF.js' layer (outputs, gradients, moving averages)`, async () => {
      await tf.setBackend(backend);
      const [stock, ours] = [convBnRelu(false, 5), convBnRelu(false, 5)];
      expect(ours.getLayer('c_bn')).toBeInstanceOf(BatchNormalization);
      const reference = steps(stock, true);
      const before = tf.memory().numTensors;
      const result = steps(ours, false);
      expect(tf.memory().numTensors).toBe(before);
      expect(result.length).toBe(reference.length);
      result.forEach((v, i) => expect(relativeError(v, reference[i]), `entry ${i}`).toBeLessThan(2e-5));
      stock.dispose();
      ours.dispose();
    });
  }

  it('saves as TF.js\' layer does, and models saved with TF.js\' layer load into ours with the same weights and outputs', async () => {
    const [stock, ours] = [convBnRelu(true, 7), convBnRelu(false, 7)];
    expect(stock.getLayer('c_bn')).not.toBeInstanceOf(BatchNormalization);
    const [stockArtifacts, ourArtifacts] = [await modelArtifacts(stock), await modelArtifacts(ours)];
    // The same topology (class name and config) and the same weight names, shapes and order.
    expect(JSON.stringify(ourArtifacts.modelTopology)).toBe(JSON.stringify(stockArtifacts.modelTopology));
    expect(ourArtifacts.weightSpecs).toEqual(stockArtifacts.weightSpecs);
    expect(ours.trainableWeights.map((w) => w.originalName)).toEqual(stock.trainableWeights.map((w) => w.originalName));

    const loaded = await tf.loadLayersModel(tf.io.fromMemory(stockArtifacts));
    expect(loaded.getLayer('c_bn')).toBeInstanceOf(BatchNormalization);
    loaded.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(stock.getWeights()[i].dataSync())));
    const x = tf.tensor4d(values(2 * 4 * 4 * 2, 40), [2, 4, 4, 2]);
    for (const training of [false, true]) {
      const [a, b] = tf.tidy(() => [stock, loaded].map((m) => (m.apply(x, { training }) as tf.Tensor).dataSync() as Float32Array));
      expect(relativeError(b, a)).toBeLessThan(2e-5);
    }
    x.dispose();
    for (const m of [stock, ours, loaded]) m.dispose();
  });
});
