/**
 * Batch norm over a training batch, forward and gradient, as one kernel each on the WASM backend,
 * and its moving averages.
 *
 * As ops (src/lib/ml/batchNorm.ts) a layer ran about 80 kernels a training step, most of them on
 * per-channel vectors of 4–128 values, and each kernel costs 10–20 µs of the engine's bookkeeping
 * here whatever its size: about 1,600 of a ResNet-18 step's 2,500 kernel calls. Here the
 * activation-sized passes call TF.js' own WASM kernels (XNNPACK average pooling, 1×1 depthwise
 * convolution with bias, SIMD element-wise) directly, without the engine, and the per-channel
 * arithmetic is a JavaScript loop over C values in double precision.
 *
 *   forward:  μ = mean(x), σ² = mean((x − μ)²), y = x·a + b with a = γ/σ, b = β − μ·a
 *   backward: x̂ = (x − μ)/σ, dβ = Σ dy, dγ = Σ dy·x̂, dx = γ/σ · (dy − x̂·dγ/M − dβ/M)   (σ = √(σ² + ε), M = N·H·W)
 *
 * x − μ is computed before it is squared, as tf.moments does, so a mean far from zero costs no
 * precision. NHWC float32 rank 4 only; the model code uses these only where the backend has them.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorHeap } from './conv2dGrad';
import { BATCH_NORM_MOVING_AVERAGE, BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, checkBatchNormInput } from './names';
import { requireStockWasmKernel } from './wasmStock';

const BACKEND = 'wasm';

interface WasmHeap extends TensorHeap {
  disposeData(dataId: object): boolean;
}

/** TF.js' own WASM kernels, called directly, outside the engine. */
const stock = (name: string): tf.KernelFunc => requireStockWasmKernel(name).kernelFunc;
const avgPoolKernel = stock(tf.AvgPool);
const depthwiseKernel = stock(tf.FusedDepthwiseConv2D);
const squareKernel = stock(tf.Square);
const multiplyKernel = stock(tf.Multiply);
const addKernel = stock(tf.Add);

type Info = tf.TensorInfo;

function call(kernel: tf.KernelFunc, backend: WasmHeap, inputs: Record<string, Info>, attrs: Record<string, unknown> = {}): Info {
  return kernel({ inputs, attrs: attrs as tf.NamedAttrMap, backend: backend as unknown as tf.KernelBackend }) as Info;
}

/** Per-channel means of an [N, H, W, C] tensor in double precision (one average pooling over all rows). */
function channelMeans(backend: WasmHeap, x: Info): Float64Array {
  const [n, h, w, c] = x.shape;
  const pooled = call(avgPoolKernel, backend, { x: { ...x, shape: [1, n * h, w, c] } }, { filterSize: [n * h, w], strides: 1, pad: 'valid' });
  const means = Float64Array.from(backend.typedArrayFromHeap(pooled));
  backend.disposeData(pooled.dataId);
  return means;
}

/** x·scale + offset per channel, a 1×1 depthwise convolution with bias. */
function affine(backend: WasmHeap, x: Info, scale: ArrayLike<number>, offset: ArrayLike<number>): Info {
  const c = x.shape[3];
  const filter = backend.makeOutput([1, 1, c, 1], 'float32');
  (backend.typedArrayFromHeap(filter) as Float32Array).set(scale);
  const bias = backend.makeOutput([c], 'float32');
  (backend.typedArrayFromHeap(bias) as Float32Array).set(offset);
  const out = call(depthwiseKernel, backend, { x, filter, bias },
    { strides: 1, pad: 'valid', dilations: 1, dataFormat: 'NHWC', activation: 'linear' });
  backend.disposeData(filter.dataId);
  backend.disposeData(bias.dataId);
  return out;
}

function vector(backend: WasmHeap, values: ArrayLike<number>): Info {
  const out = backend.makeOutput([values.length], 'float32');
  (backend.typedArrayFromHeap(out) as Float32Array).set(values);
  return out;
}

function read(backend: WasmHeap, t: Info): Float64Array {
  return Float64Array.from(backend.typedArrayFromHeap(t));
}

const forward: tf.KernelConfig = {
  kernelName: BATCH_NORM_TRAIN,
  backendName: BACKEND,
  kernelFunc: ({ inputs, attrs, backend: b }) => {
    const backend = b as unknown as WasmHeap;
    const { x, gamma, beta } = inputs as { x: Info; gamma: Info; beta: Info };
    const { epsilon } = attrs as unknown as { epsilon: number };
    checkBatchNormInput(BATCH_NORM_TRAIN, x);
    const c = x.shape[3];
    const mean = channelMeans(backend, x);
    const centred = affine(backend, x, new Float32Array(c).fill(1), mean.map((m) => -m));
    const squared = call(squareKernel, backend, { x: centred });
    backend.disposeData(centred.dataId);
    const variance = channelMeans(backend, squared);
    backend.disposeData(squared.dataId);
    const g = read(backend, gamma), o = read(backend, beta);
    const scale = new Float64Array(c), offset = new Float64Array(c);
    for (let k = 0; k < c; k++) {
      scale[k] = g[k] / Math.sqrt(variance[k] + epsilon);
      offset[k] = o[k] - mean[k] * scale[k];
    }
    return [affine(backend, x, scale, offset), vector(backend, mean), vector(backend, variance)];
  },
};

const gradient: tf.KernelConfig = {
  kernelName: BATCH_NORM_TRAIN_GRAD,
  backendName: BACKEND,
  kernelFunc: ({ inputs, attrs, backend: b }) => {
    const backend = b as unknown as WasmHeap;
    const { dy, x, mean, variance, gamma } = inputs as Record<'dy' | 'x' | 'mean' | 'variance' | 'gamma', Info>;
    const { epsilon } = attrs as unknown as { epsilon: number };
    checkBatchNormInput(BATCH_NORM_TRAIN_GRAD, x);
    const c = x.shape[3];
    const count = tf.util.sizeFromShape(x.shape) / c;
    const mu = read(backend, mean), v = read(backend, variance), g = read(backend, gamma);
    const inv = v.map((s) => 1 / Math.sqrt(s + epsilon));
    const dBeta = channelMeans(backend, dy).map((m) => m * count);
    const xHat = affine(backend, x, inv, mu.map((m, k) => -m * inv[k]));
    const product = call(multiplyKernel, backend, { a: dy, b: xHat });
    const dGamma = channelMeans(backend, product).map((m) => m * count);
    backend.disposeData(product.dataId);
    // dy − x̂·dγ/M − dβ/M, then times γ/σ.
    const correction = affine(backend, xHat, dGamma.map((d) => -d / count), dBeta.map((d) => -d / count));
    backend.disposeData(xHat.dataId);
    const bracket = call(addKernel, backend, { a: dy, b: correction });
    backend.disposeData(correction.dataId);
    const dx = affine(backend, bracket, g.map((s, k) => s * inv[k]), new Float64Array(c));
    backend.disposeData(bracket.dataId);
    return [dx, vector(backend, dGamma), vector(backend, dBeta)];
  },
};

/**
 * The moving average v − (v − value)·(1 − momentum) as a JavaScript loop rounding each operation
 * to float32 as the ops do (same values): three kernels and a scope less per statistic, 120 kernels
 * a ResNet-18 step; CPU time a step 1.014× and 1.028× (two alternating runs of 31).
 */
const movingAverage: tf.KernelConfig = {
  kernelName: BATCH_NORM_MOVING_AVERAGE,
  backendName: BACKEND,
  kernelFunc: ({ inputs, attrs, backend: b }) => {
    const backend = b as unknown as WasmHeap;
    const { average, value } = inputs as { average: Info; value: Info };
    const { momentum } = attrs as unknown as { momentum: number };
    const f = Math.fround;
    const rate = f(1 - momentum);
    const v = backend.typedArrayFromHeap(average), x = backend.typedArrayFromHeap(value);
    const out = backend.makeOutput(average.shape, 'float32');
    const result = backend.typedArrayFromHeap(out) as Float32Array;
    for (let k = 0; k < v.length; k++) result[k] = f(v[k] - f(f(v[k] - x[k]) * rate));
    return out;
  },
};

export const batchNormTrainingKernels: tf.KernelConfig[] = [forward, gradient, movingAverage];
