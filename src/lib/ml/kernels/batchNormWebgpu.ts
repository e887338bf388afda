/**
 * Batch norm over a training batch, forward and gradient, and its moving averages, as WGSL
 * programs on the WebGPU backend.
 *
 * On WebGPU a training step is bound by the host: each kernel costs a fraction of a millisecond to
 * enqueue whatever its size, and as ops (src/lib/ml/batchNorm.ts) a batch-norm layer was about 23
 * kernels a step (moments through transposes and reductions, the written-out gradient's
 * per-channel arithmetic, the moving averages): two thirds of a ResNet-18 step's kernels. Here it is
 * eight: three forward, three backward, one per moving average.
 *
 *   forward:  μ = Σx/M, σ² = Σ(x − μ)²/M (x − μ before squaring, as tf.moments does), y = (x − μ)·γ/σ + β
 *   backward: dβ = Σdy, dγ = Σdy·x̂, dx = γ/σ · (dy − x̂·dγ/M − dβ/M)   (x̂ = (x − μ)/σ, σ = √(σ² + ε), M = N·H·W)
 *
 * A per-channel sum is one workgroup per channel whose threads stride over the rows and then add
 * their partial sums as a tree, as TF.js' own reductions do (after a transpose, which this skips).
 * NHWC float32 rank 4 only; the model code uses these only where the backend registers them.
 */
import * as tf from '@tensorflow/tfjs';
import { webgpu_util, type WebGPUBackend, type WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { BATCH_NORM_MOVING_AVERAGE, BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, checkBatchNormInput } from './names';

const BACKEND = 'webgpu';
/**
 * Threads of a per-channel sum's workgroup. 64: on SwiftShader 256 made the layer's kernels 7×
 * slower (barriers are costly in a CPU emulation); a setting so that a real GPU can be measured with more.
 */
export const batchNormWebgpuSettings = { reduceThreads: 64 };
/** The largest workgroup count in one dispatch dimension WebGPU guarantees: one workgroup per channel. */
const MAX_CHANNELS = 65535;

type Info = tf.TensorInfo;

/** What a per-channel sum adds up, for row r's element i = r·C + c. */
const REDUCED_TERMS = {
  /** Σx/M */
  mean: { inputs: ['x'], term: 'x[i]', scale: '1.0 / f32(uniforms.rows)' },
  /** Σ(x − μ)²/M */
  variance: { inputs: ['x', 'mu'], term: '(x[i] - mu[c]) * (x[i] - mu[c])', scale: '1.0 / f32(uniforms.rows)' },
  /** Σdy */
  dBeta: { inputs: ['dy'], term: 'dy[i]', scale: '1.0' },
  /** Σdy·(x − μ), times 1/σ once at the end */
  dGamma: { inputs: ['dy', 'x', 'mu', 'sigma2'], term: 'dy[i] * (x[i] - mu[c])', scale: 'inverseSqrt(sigma2[c] + uniforms.epsilon)' },
} as const;

/** A sum over N, H and W for each channel of an [N, H, W, C] tensor: output [C]. */
export class ChannelSumProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number];
  uniforms = 'rows : i32, epsilon : f32,';
  size = true;

  constructor(channels: number, private readonly kind: keyof typeof REDUCED_TERMS, private readonly threads: number) {
    this.workgroupSize = [threads, 1, 1];
    this.outputShape = [channels];
    this.variableNames = [...REDUCED_TERMS[kind].inputs];
    this.dispatchLayout = webgpu_util.flatDispatchLayout(this.outputShape);
    this.dispatch = [channels, 1, 1];
    this.shaderKey = `synthscopeChannelSum_${kind}_${threads}`;
  }

  getUserCode(): string {
    const { term, scale } = REDUCED_TERMS[this.kind];
    const threads = this.threads;
    return `
      var<workgroup> partial : array<f32, ${threads}>;
      fn main(index : i32) {
        let c = i32(workgroupId.x);
        let channels = uniforms.size;
        var acc = 0.0;
        if (c < channels) {
          for (var r = i32(localId.x); r < uniforms.rows; r = r + ${threads}) {
            let i = r * channels + c;
            acc = acc + ${term};
          }
        }
        partial[localId.x] = acc;
        workgroupBarrier();
        for (var s = ${threads / 2}u; s > 0u; s = s >> 1u) {
          if (localId.x < s) {
            partial[localId.x] = partial[localId.x] + partial[localId.x + s];
          }
          workgroupBarrier();
        }
        if (localId.x == 0u && c < channels) {
          setOutputAtIndex(c, partial[0] * ${scale});
        }
      }`;
  }
}

/** An element-wise program over an [N, H, W, C] (or [C]) tensor whose channel is index mod C. */
export class PerChannelProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [128, 1, 1];
  uniforms = 'channels : i32, rows : i32, epsilon : f32, rate : f32,';
  size = true;

  constructor(shape: number[], readonly variableNames: string[], private readonly body: string, key: string) {
    this.outputShape = shape;
    this.dispatchLayout = webgpu_util.flatDispatchLayout(shape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, shape, this.workgroupSize);
    this.shaderKey = `synthscopePerChannel_${key}`;
  }

  getUserCode(): string {
    return `
      fn main(i : i32) {
        if (i < uniforms.size) {
          let c = i % uniforms.channels;
          ${this.body}
        }
      }`;
  }
}

/** y = (x − μ)·γ/σ + β */
const NORMALISE = `
  let a = gamma[c] * inverseSqrt(sigma2[c] + uniforms.epsilon);
  setOutputAtIndex(i, (x[i] - mu[c]) * a + beta[c]);`;

/** dx = γ/σ · (dy − x̂·dγ/M − dβ/M) */
const INPUT_GRADIENT = `
  let inv = inverseSqrt(sigma2[c] + uniforms.epsilon);
  let m = f32(uniforms.rows);
  let xHat = (x[i] - mu[c]) * inv;
  setOutputAtIndex(i, gamma[c] * inv * (dy[i] - xHat * dGamma[c] / m - dBeta[c] / m));`;

/** v − (v − value)·(1 − momentum) */
const MOVING_AVERAGE = `
  setOutputAtIndex(i, average[i] - (average[i] - value[i]) * uniforms.rate);`;

/** The uniforms both program kinds read, in their declared order. */
function uniforms(x: Info, epsilon = 0, rate = 0) {
  const channels = x.shape[x.shape.length - 1];
  return { channels, rows: tf.util.sizeFromShape(x.shape) / channels, epsilon, rate };
}

function channelSum(backend: WebGPUBackend, kind: keyof typeof REDUCED_TERMS, inputs: Info[], epsilon = 0): Info {
  const { channels, rows } = uniforms(inputs[0]);
  return backend.runWebGPUProgram(new ChannelSumProgram(channels, kind, batchNormWebgpuSettings.reduceThreads), inputs, 'float32',
    [{ type: 'int32', data: [rows] }, { type: 'float32', data: [epsilon] }]);
}

function perChannel(backend: WebGPUBackend, key: string, body: string, names: string[], inputs: Info[], epsilon = 0, rate = 0): Info {
  const u = uniforms(inputs[0], epsilon, rate);
  return backend.runWebGPUProgram(new PerChannelProgram(inputs[0].shape, names, body, key), inputs, 'float32', [
    { type: 'int32', data: [u.channels] }, { type: 'int32', data: [u.rows] }, { type: 'float32', data: [u.epsilon] }, { type: 'float32', data: [u.rate] }]);
}

const forward: tf.KernelConfig = {
  kernelName: BATCH_NORM_TRAIN,
  backendName: BACKEND,
  kernelFunc: ({ inputs, attrs, backend: b }) => {
    const backend = b as unknown as WebGPUBackend;
    const { x, gamma, beta } = inputs as { x: Info; gamma: Info; beta: Info };
    const { epsilon } = attrs as unknown as { epsilon: number };
    checkBatchNormInput(BATCH_NORM_TRAIN, x, MAX_CHANNELS);
    const mean = channelSum(backend, 'mean', [x]);
    const variance = channelSum(backend, 'variance', [x, mean]);
    const y = perChannel(backend, 'normalise', NORMALISE, ['x', 'mu', 'sigma2', 'gamma', 'beta'], [x, mean, variance, gamma, beta], epsilon);
    return [y, mean, variance];
  },
};

const gradient: tf.KernelConfig = {
  kernelName: BATCH_NORM_TRAIN_GRAD,
  backendName: BACKEND,
  kernelFunc: ({ inputs, attrs, backend: b }) => {
    const backend = b as unknown as WebGPUBackend;
    const { dy, x, mean, variance, gamma } = inputs as Record<'dy' | 'x' | 'mean' | 'variance' | 'gamma', Info>;
    const { epsilon } = attrs as unknown as { epsilon: number };
    checkBatchNormInput(BATCH_NORM_TRAIN_GRAD, x, MAX_CHANNELS);
    const dBeta = channelSum(backend, 'dBeta', [dy]);
    const dGamma = channelSum(backend, 'dGamma', [dy, x, mean, variance], epsilon);
    const dx = perChannel(backend, 'inputGradient', INPUT_GRADIENT, ['dy', 'x', 'mu', 'sigma2', 'gamma', 'dGamma', 'dBeta'],
      [dy, x, mean, variance, gamma, dGamma, dBeta], epsilon);
    return [dx, dGamma, dBeta];
  },
};

const movingAverage: tf.KernelConfig = {
  kernelName: BATCH_NORM_MOVING_AVERAGE,
  backendName: BACKEND,
  kernelFunc: ({ inputs, attrs, backend: b }) => {
    const { average, value } = inputs as { average: Info; value: Info };
    const { momentum } = attrs as unknown as { momentum: number };
    return perChannel(b as unknown as WebGPUBackend, 'movingAverage', MOVING_AVERAGE, ['average', 'value'], [average, value], 0, 1 - momentum);
  },
};

export const batchNormWebgpuKernels: tf.KernelConfig[] = [forward, gradient, movingAverage];
for (const kernel of batchNormWebgpuKernels) tf.registerKernel(kernel);
