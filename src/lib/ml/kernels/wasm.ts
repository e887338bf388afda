/**
 * Makes TF.js' WASM backend a training backend: it lacks Conv2DBackpropFilter (so no convolution can
 * be trained on it), and its Conv2DBackpropInput is a plain loop far slower than its XNNPACK forward
 * convolution. Both are registered here, built on the backend's fast kernels (see conv2dGrad.ts).
 * Its Tile kernel, which batch-norm's gradient uses to spread per-channel values over a whole
 * activation, computes every element's source index and took a third of a ResNet training step;
 * it is replaced by block copies. Its Sum and Mean reduce innermost axes only, so over batch, height
 * and width (batch norm's moments and gradients, every per-channel gradient of a broadcast) they
 * transposed the whole activation first; these are now one average pooling (see leadingReduction).
 * Its Identity, and its Cast to a tensor's own dtype, copied the whole tensor where sharing the
 * buffer does (see identity and cast), and its
 * FusedBatchNorm is a slow per-element loop, now a depthwise convolution (see batchNorm). Its
 * element-wise kernels broadcast a per-channel vector slowly; that vector is tiled first (see tiledBroadcast).
 * Its MaxPoolGrad is wrong when 'same' padding adds a top row (see pool.ts) and is replaced.
 * Batch norm in training, forward and gradient, is one kernel each of our own (see batchNormWasm.ts). (Its resize gradients are right; the CPU backend's are not, see
 * cpu.ts.)
 * Importing this module registers them once; importing it again changes nothing.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { requireStockWasmKernel, stockWasmKernel } from './wasmStock';
import { conv2dFilterGrad, conv2dInputGrad, pointwiseFilterGrad, type TensorHeap } from './conv2dGrad';
import { maxPoolGrad } from './pool';
import { batchNormTrainingKernels } from './batchNormWasm';

type ConvAttrs = {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

const BACKEND = 'wasm';

function assertNhwc(kernel: string, attrs: ConvAttrs) {
  if (attrs.dataFormat === 'NCHW') throw new Error(`${kernel} on wasm supports NHWC (channels last) only.`);
}

const filterGrad: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: BACKEND,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { x, dy } = inputs as unknown as { x: tf.Tensor4D; dy: tf.Tensor4D };
    const a = attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
    assertNhwc('Conv2DBackpropFilter', a);
    // Strided 1×1 (the projections) only: at stride 1 the gather costs more than it saves (the U-Net's logits, 2×256×256×16 → 2: 33 ms of CPU time, the convolution 26 ms).
    const strided = [a.strides].flat().some((s) => s > 1);
    if (a.filterShape[0] === 1 && a.filterShape[1] === 1 && strided) return pointwiseFilterGrad(backend as unknown as TensorHeap, x, dy, a.strides, a.pad, a.dimRoundingMode);
    return conv2dFilterGrad(x, dy, a.filterShape, a.strides, a.pad, a.dimRoundingMode);
  },
};

const inputGrad: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: BACKEND,
  kernelFunc: ({ inputs, attrs }) => {
    const { dy, filter } = inputs as unknown as { dy: tf.Tensor4D; filter: tf.Tensor4D };
    const a = attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
    assertNhwc('Conv2DBackpropInput', a);
    return conv2dInputGrad(dy, filter, a.inputShape, a.strides, a.pad, a.dimRoundingMode);
  },
};

/** Copies out[start, start+len) to the (reps − 1) places after it, doubling the copied run each time. */
function replicate(out: Float32Array | Int32Array | Uint8Array, start: number, len: number, reps: number) {
  const total = len * reps;
  for (let done = len; done < total; done += Math.min(done, total - done)) out.copyWithin(start + done, start, start + Math.min(done, total - done));
}

/** Tile by block copies: innermost rows copied, then each finished block replicated along its axis. */
export function tileInto(src: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> }, shape: number[], reps: number[], out: Float32Array | Int32Array | Uint8Array) {
  const rank = shape.length;
  if (rank === 0) {
    out[0] = src[0];
    return;
  }
  const inStrides = new Array<number>(rank);
  const outStrides = new Array<number>(rank);
  inStrides[rank - 1] = outStrides[rank - 1] = 1;
  for (let d = rank - 2; d >= 0; d--) {
    inStrides[d] = inStrides[d + 1] * shape[d + 1];
    outStrides[d] = outStrides[d + 1] * shape[d + 1] * reps[d + 1];
  }
  const fill = (d: number, inOff: number, outOff: number) => {
    if (d === rank - 1) out.set(src.subarray(inOff, inOff + shape[d]), outOff);
    else for (let i = 0; i < shape[d]; i++) fill(d + 1, inOff + i * inStrides[d], outOff + i * outStrides[d]);
    replicate(out, outOff, shape[d] * outStrides[d], reps[d]);
  };
  fill(0, 0, 0);
}

const originalTile = requireStockWasmKernel(tf.Tile);

const tile: tf.KernelConfig = {
  kernelName: tf.Tile,
  backendName: BACKEND,
  kernelFunc: (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { reps } = args.attrs as unknown as { reps: number[] };
    if (x.dtype === 'string') return originalTile.kernelFunc(args);
    const backend = args.backend as unknown as TensorHeap;
    const out = backend.makeOutput(x.shape.map((s, i) => s * reps[i]), x.dtype);
    if (out.shape.some((s) => s === 0)) return out;
    tileInto(backend.typedArrayFromHeap(x) as Float32Array, x.shape, reps, backend.typedArrayFromHeap(out));
    return out;
  },
};

const maxPoolGradKernel: tf.KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: BACKEND,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { dy, input, output } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo; output: tf.TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'same' | 'valid' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    const wasm = backend as unknown as TensorHeap;
    const out = wasm.makeOutput(input.shape, 'float32');
    const dx = wasm.typedArrayFromHeap(out) as Float32Array;
    dx.fill(0);
    maxPoolGrad(wasm.typedArrayFromHeap(input) as Float32Array, wasm.typedArrayFromHeap(output) as Float32Array, wasm.typedArrayFromHeap(dy) as Float32Array, dx, {
      batch: info.batchSize, inHeight: info.inHeight, inWidth: info.inWidth, channels: info.inChannels, outHeight: info.outHeight, outWidth: info.outWidth,
      filterHeight: info.filterHeight, filterWidth: info.filterWidth, strideHeight: info.strideHeight, strideWidth: info.strideWidth, padTop: info.padInfo.top, padLeft: info.padInfo.left,
    });
    return out;
  },
};

const originalIdentity = requireStockWasmKernel(tf.Identity);

/** `x`'s buffer under a second reference, as `dtype` (its own): no kernel writes into its inputs. */
function shareBuffer(backend: unknown, x: tf.TensorInfo, dtype: tf.DataType): tf.TensorInfo {
  (backend as tf.KernelBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype };
}

/**
 * Identity shares its input's buffer, as the CPU backend's does, instead of copying it. The engine
 * clones (runs Identity on) every tensor a gradient keeps for the backward pass, about 600 per
 * ResNet-18 training step, and TF.js' WASM Identity copied each whole activation. No kernel
 * writes into its inputs, and Reshape already shares buffers the same way, counted per buffer.
 */
const identity: tf.KernelConfig = {
  kernelName: tf.Identity,
  backendName: BACKEND,
  kernelFunc: (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return originalIdentity.kernelFunc(args);
    return shareBuffer(args.backend, x, x.dtype);
  },
};

const originalCast = requireStockWasmKernel(tf.Cast);

/**
 * A Cast to the tensor's own dtype shares its buffer, as Identity does, instead of copying it.
 * The ReLU's gradient casts its float32 mask to float32 (about 20 activation-sized copies a
 * ResNet-18 step, 50–80 Casts in all). Other casts convert, in TF.js' kernel.
 */
const cast: tf.KernelConfig = {
  kernelName: tf.Cast,
  backendName: BACKEND,
  kernelFunc: (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { dtype } = args.attrs as unknown as { dtype: tf.DataType };
    if (x.dtype !== dtype || dtype === 'string') return originalCast.kernelFunc(args);
    return shareBuffer(args.backend, x, dtype);
  },
};


/** Whether `axes` (non-negative) are exactly 0 … k−1 for some k below `rank`. */
export function leadingAxes(axes: number[], rank: number): boolean {
  if (axes.length === 0 || axes.length >= rank) return false;
  return [...axes].sort((a, b) => a - b).every((a, i) => a === i);
}

/**
 * Sum or Mean over the leading axes, float32, as one average pooling whose window covers them all:
 * the tensor seen as a single image [1, rows / w, w, cols] (w the last reduced axis), pooled
 * 'valid' to [1, 1, 1, cols], times rows for the sum. XNNPACK pools the channels in one pass.
 * Measured in CPU time on this 2-core machine, each input fresh as in training (summing an
 * 8×64×64×16 activation over its first three axes): TF.js' transpose-then-reduce 2.0 ms, this
 * 0.41 ms; a plain JavaScript loop over the rows took 2.4 ms, and a product with a row of ones
 * 4.9 ms (XNNPACK repacks the right-hand matrix each time). Anything else goes to TF.js' kernel,
 * whose setup the replacement carries.
 */
function leadingReduction(kernelName: typeof tf.Sum | typeof tf.Mean): tf.KernelConfig {
  const stock = requireStockWasmKernel(kernelName);
  return {
    ...stock,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.Tensor;
      const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
      const axes = tf.util.parseAxisParam(axis, x.shape);
      if (x.dtype !== 'float32' || !leadingAxes(axes, x.rank)) return stock.kernelFunc(args);
      const k = axes.length;
      const rows = tf.util.sizeFromShape(x.shape.slice(0, k));
      const kept = x.shape.slice(k);
      const outShape = keepDims ? [...x.shape.slice(0, k).map(() => 1), ...kept] : kept;
      const cols = tf.util.sizeFromShape(kept);
      // Over no rows both give zeros, as the CPU backend does (TF.js' wasm kernels left the output unwritten).
      if (rows === 0 || cols === 0) return tf.zeros(outShape);
      if (rows === 1) return tf.reshape(x, outShape);
      return tf.tidy(() => {
        const w = k > 1 ? x.shape[k - 1] : 1;
        const mean = tf.avgPool(tf.reshape(x, [1, rows / w, w, cols]) as tf.Tensor4D, [rows / w, w], 1, 'valid');
        return tf.reshape(kernelName === tf.Mean ? mean : tf.mul(mean, rows), outShape);
      });
    },
  };
}

const sumKernel = leadingReduction(tf.Sum);
const meanKernel = leadingReduction(tf.Mean);


/**
 * FusedBatchNorm as a per-channel affine map, x·a + b with a = scale/√(variance + ε) and
 * b = offset − mean·a, run as a 1×1 depthwise convolution with bias (XNNPACK, SIMD). TF.js' WASM
 * kernel finds each element's channel by a division and took 3.9 ms of CPU time on an 8×64×64×16
 * activation; this takes 0.47 ms (a broadcast Multiply alone, 1.1 ms). Batch norm runs it in the
 * forward pass and, through our layer's gradient, twice more backward. Folding the mean into b
 * changes the result by float rounding only (relative to the output's scale, about |mean|/σ units
 * in the last place). Parameters that are not one value per channel go to TF.js' kernel.
 */
const stockBatchNorm = requireStockWasmKernel(tf.FusedBatchNorm);

const batchNorm: tf.KernelConfig = {
  kernelName: tf.FusedBatchNorm,
  backendName: BACKEND,
  // TF.js' kernel, which the replacement falls back to, binds its WebAssembly function here.
  setupFunc: stockBatchNorm.setupFunc,
  kernelFunc: (args) => {
    const { x, mean, variance, offset, scale } = args.inputs as unknown as Record<'x' | 'mean' | 'variance', tf.Tensor> & Partial<Record<'offset' | 'scale', tf.Tensor>>;
    const { varianceEpsilon } = args.attrs as unknown as { varianceEpsilon: number };
    const c = x.shape[x.rank - 1];
    // One value per channel: shape [C], or [1, …, 1, C] (a [N, 1, 1, 1] of N = C values is not).
    const perChannel = [mean, variance, offset, scale].every((t) => t == null
      || (t.size === c && t.dtype === 'float32' && t.shape.slice(0, -1).every((d) => d === 1)));
    if (x.dtype !== 'float32' || x.rank !== 4 || x.size === 0 || !perChannel) return stockBatchNorm.kernelFunc(args);
    return tf.tidy(() => {
      const vector = (t: tf.Tensor) => tf.reshape(t, [c]);
      let a = tf.rsqrt(tf.add(vector(variance), varianceEpsilon));
      if (scale) a = tf.mul(a, vector(scale));
      let b = tf.neg(tf.mul(vector(mean), a));
      if (offset) b = tf.add(b, vector(offset));
      return tf.fused.depthwiseConv2d({ x: x as tf.Tensor4D, filter: tf.reshape(a, [1, 1, c, 1]) as tf.Tensor4D, strides: 1, pad: 'valid', bias: b });
    });
  },
};

/** The element-wise kernels whose per-channel broadcasts are tiled first (tiledBroadcast). */
const BINARY = [tf.Multiply, tf.Add, tf.Sub, tf.RealDiv];

/** Below this many output elements the tile's own overhead (~0.1 ms) outweighs the gain (8×16×16×32: 0.12 ms stock, 0.19 ms tiled). */
const MIN_TILED = 1 << 17;

/**
 * A float32 Multiply, Add, Sub or RealDiv whose smaller operand is a per-channel vector (its last
 * axis the output's, e.g. [C] or [1, 1, 1, C] against [N, H, W, C]) is run as a Tile of that operand
 * (block copies, see tileInto) and the same-shape kernel, which TF.js' WASM runs with SIMD. The
 * broadcast kernels find each element's source index by divisions: CPU time on this machine, a
 * 2×256×256×2 activation times its two class weights 2.7 → 0.28 ms, an 8×64×64×16 activation times
 * a per-channel vector 1.1 → 0.64 ms (8×32×32×16: 0.29 → 0.22 ms). Scalars (already fast), broadcasts along the last axis
 * (Tile's slow case), small outputs and other dtypes go to TF.js' kernel.
 */
function tiledBroadcast(kernelName: string): tf.KernelConfig {
  // TF.js' own kernel, which broadcasts by computing each element's source index.
  const stock = requireStockWasmKernel(kernelName);
  return {
    ...stock,
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.Tensor; b: tf.Tensor };
      if (a.dtype !== 'float32' || b.dtype !== 'float32' || tf.util.arraysEqual(a.shape, b.shape)) return stock.kernelFunc(args);
      const out = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const last = out[out.length - 1];
      const tileable = (t: tf.Tensor) => tf.util.arraysEqual(t.shape, out) || (t.size > 1 && t.shape[t.rank - 1] === last);
      if (tf.util.sizeFromShape(out) < MIN_TILED || !tileable(a) || !tileable(b)) return stock.kernelFunc(args);
      return tf.tidy(() => {
        const full = (t: tf.Tensor) => {
          if (tf.util.arraysEqual(t.shape, out)) return t;
          const shape = [...new Array<number>(out.length - t.rank).fill(1), ...t.shape];
          return tf.tile(tf.reshape(t, shape), out.map((d, i) => d / shape[i]));
        };
        return tf.engine().runKernel(kernelName, { a: full(a), b: full(b) }) as tf.Tensor;
      });
    },
  };
}

const binaryKernels = BINARY.map(tiledBroadcast);

/** TF.js' own kernel that one of ours replaced (for benchmarks that compare the two). */
export { stockWasmKernel };

/** Registers (or re-registers) the kernels; replacing a kernel unregisters it first, so TF.js does not warn. */
export function registerWasmTrainingKernels(): void {
  for (const config of [filterGrad, inputGrad, tile, maxPoolGradKernel, sumKernel, meanKernel, identity, cast, batchNorm, ...binaryKernels, ...batchNormTrainingKernels]) {
    if (tf.getKernel(config.kernelName, BACKEND)?.kernelFunc === config.kernelFunc) continue;
    if (tf.getKernel(config.kernelName, BACKEND)) tf.unregisterKernel(config.kernelName, BACKEND);
    tf.registerKernel(config);
  }
}

registerWasmTrainingKernels();
