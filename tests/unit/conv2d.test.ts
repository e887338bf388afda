/**
 * Our convolution layer (src/lib/ml/conv2d.ts) against TF.js' layer: the same outputs and weight
 * gradients, on CPU and WASM, with and without a gradient wanted for the input; no input gradient
 * computed where none is wanted; and stored models, saved with TF.js' layer, loading into it unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import '../../src/lib/ml/kernels/wasm';
import { Conv2D, conv2d } from '../../src/lib/ml/conv2d';
import { modelArtifacts } from '../../src/lib/ml/modelStore';
import { Rng } from '../../src/lib/random';

beforeAll(async () => {
  setWasmPaths(join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.setBackend('cpu');
});

afterEach(async () => {
  Conv2D.useStock = false;
  await tf.setBackend('cpu');
});

function values(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

/** The models' convolutions: the stem (7×7 stride 2 on one channel), 3×3, a 1×1 stride-2 projection, and one with bias and softmax. */
const LAYERS: [string, Parameters<typeof conv2d>[0], number[]][] = [
  ['stem', { filters: 4, kernelSize: 7, strides: 2, padding: 'same', useBias: false }, [2, 11, 10, 1]],
  ['3×3', { filters: 4, kernelSize: 3, strides: 1, padding: 'same', useBias: false }, [2, 9, 8, 3]],
  ['1×1 stride 2', { filters: 6, kernelSize: 1, strides: 2, padding: 'same', useBias: false }, [2, 9, 8, 3]],
  ['bias, softmax', { filters: 2, kernelSize: 1, activation: 'softmax' }, [2, 6, 6, 3]],
];

/** Output, and gradients of a weighted sum of it w.r.t. the layer's weights (and the input when asked). */
function run(layer: tf.layers.Layer, xShape: number[], inputGrad: boolean): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(values(xShape.reduce((a, b) => a * b), 1), xShape as [number, number, number, number]);
    const y = layer.apply(x) as tf.Tensor;
    const g = tf.tensor(values(y.size, 2), y.shape);
    const weights = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const f = (...xs: tf.Tensor[]) => tf.sum(tf.mul(layer.apply(inputGrad ? xs[0] : x) as tf.Tensor, g)) as tf.Scalar;
    const { grads } = tf.variableGrads(() => f(x), weights);
    const out = [y, ...weights.map((w) => grads[w.name])];
    if (inputGrad) out.push(tf.grad((a: tf.Tensor) => f(a))(x));
    return out.map((t) => t.dataSync() as Float32Array);
  });
}

describe('convolution layer', () => {
  for (const backend of ['cpu', 'wasm']) {
    it.each(LAYERS)(`on ${backend}: %s gives TF.js' layer's outputs and gradients`, async (_name, args, xShape) => {
      await tf.setBackend(backend);
      const ours = conv2d({ ...args, kernelInitializer: tf.initializers.randomNormal({ seed: 3 }) });
      ours.build(xShape);
      for (const inputGrad of [false, true]) {
        const a = run(ours, xShape, inputGrad);
        Conv2D.useStock = true;
        const b = run(ours, xShape, inputGrad);
        Conv2D.useStock = false;
        expect(a.length).toBe(b.length);
        a.forEach((v, i) => {
          const scale = Math.max(1e-6, ...b[i].map(Math.abs));
          for (let k = 0; k < v.length; k++) expect(Math.abs(v[k] - b[i][k]) / scale).toBeLessThan(1e-5);
        });
      }
    });
  }

  it('computes no input gradient for an input that needs none (the stem sees the image)', async () => {
    await tf.setBackend('wasm');
    const layer = conv2d({ filters: 4, kernelSize: 7, strides: 2, padding: 'same', useBias: false });
    layer.build([2, 11, 10, 1]);
    const counted = (stock: boolean) => {
      Conv2D.useStock = stock;
      const config = tf.getKernel(tf.Conv2DBackpropInput, 'wasm')!;
      let calls = 0;
      tf.unregisterKernel(config.kernelName, 'wasm');
      tf.registerKernel({ ...config, kernelFunc: (a) => (calls++, config.kernelFunc(a)) });
      try {
        tf.tidy(() => tf.variableGrads(() => tf.sum(layer.apply(tf.ones([2, 11, 10, 1])) as tf.Tensor) as tf.Scalar, layer.trainableWeights.map((w) => w.read() as tf.Variable)));
      } finally {
        tf.unregisterKernel(config.kernelName, 'wasm');
        tf.registerKernel(config);
      }
      return calls;
    };
    expect(counted(true)).toBe(1);
    expect(counted(false)).toBe(0);
  });

  it('saves as TF.js\' layer does, and models saved with TF.js\' layer load into ours with the same weights and outputs', async () => {
    const build = (layer: (args: Parameters<typeof conv2d>[0]) => tf.layers.Layer) => {
      const input = tf.input({ shape: [8, 8, 1], name: 'image' });
      const a = layer({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tf.initializers.randomNormal({ seed: 5 }), name: 'a' }).apply(input) as tf.SymbolicTensor;
      const b = layer({ filters: 2, kernelSize: 1, activation: 'softmax', kernelInitializer: tf.initializers.randomNormal({ seed: 6 }), name: 'b' }).apply(a) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: b, name: 'net' });
    };
    const stock = build((args) => tf.layers.conv2d(args));
    const ours = build(conv2d);
    const [stockArtifacts, ourArtifacts] = [await modelArtifacts(stock), await modelArtifacts(ours)];
    // The same topology (class name and config) and the same weight names, shapes and order.
    expect(JSON.stringify(ourArtifacts.modelTopology)).toBe(JSON.stringify(stockArtifacts.modelTopology));
    expect(ourArtifacts.weightSpecs).toEqual(stockArtifacts.weightSpecs);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(stockArtifacts));
    expect(stock.getLayer('a')).not.toBeInstanceOf(Conv2D);
    expect(loaded.getLayer('a')).toBeInstanceOf(Conv2D);
    expect(loaded.getLayer('b')).toBeInstanceOf(Conv2D);
    const x = tf.tensor4d(values(2 * 8 * 8, 4), [2, 8, 8, 1]);
    const [want, got] = [stock.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
    tf.dispose([x, want, got]);
    [stock, ours, loaded].forEach((m) => m.dispose());
  });
});
