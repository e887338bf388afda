/**
 * Sum, Mean and Softmax as plain loops on WebGPU, for software GPUs (SwiftShader).
 *
 * TF.js 4.22 reduces each output value with a workgroup of 64–512 threads that add partial sums as a
 * tree through workgroup memory, and Softmax likewise a row per workgroup. On a GPU emulated on the
 * CPU each workgroup and barrier is costly, and the U-Net's loss is the worst case for both: its
 * [2, 256, 256, 2] softmax output has 131,072 rows of two classes (131,072 workgroups, two threads of
 * each busy), and the class frequencies and the loss's mean reduce 131,072 values into one or two
 * (a workgroup or two for all of it). On SwiftShader those Sum, Softmax and Mean kernels took 26.7 s
 * of a 52 s U-Net-18 ×0.25 training step.
 *
 * Here a thread adds up one output's values in a loop when there are at most MAX_LOOP of them;
 * longer reductions first add chunks of MAX_LOOP into partial sums (a thread per output and chunk),
 * then reduce those the same way. Softmax is a thread per row for rows of at most MAX_LOOP classes.
 * Anything else (reductions over axes that are neither the innermost nor the outermost ones, long
 * softmax rows, softmax of other than float32) goes to TF.js' kernels. `reduceWebgpuSettings.enabled`
 * is set by chooseBackend on software GPUs only: on a real GPU TF.js' own programs are kept, as
 * measured. The strided sum also adds the filter gradient's segments (kernels/conv2dWebgpu.ts) on any GPU.
 */
import * as tf from '@tensorflow/tfjs';
import { webgpu_util, type WebGPUBackend, type WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

const BACKEND = 'webgpu';

export const reduceWebgpuSettings = { enabled: false };

/** The most values one thread adds up (or one softmax row it takes). */
export const MAX_LOOP = 256;

/**
 * out[o·chunks + k] = scale · Σ of x[o·outStride + r·reduceStride] over r in chunk k
 * (chunks of `chunk` values; one chunk of all `reduceSize` values in a final pass). Integers and
 * booleans are added as float32 and the result converted to the output's type, as TF.js does.
 */
export class StridedSumProgram implements WebGPUProgram {
  variableNames = ['x'];
  uniforms = 'outStride : i32, reduceStride : i32, reduceSize : i32, chunks : i32, chunk : i32, scale : f32,';
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey = 'synthscopeStridedSum';

  constructor(readonly outputShape: number[]) {
    this.dispatchLayout = webgpu_util.flatDispatchLayout(outputShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize);
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index >= uniforms.size) {
          return;
        }
        let o = index / uniforms.chunks;
        let first = (index - o * uniforms.chunks) * uniforms.chunk;
        let last = min(first + uniforms.chunk, uniforms.reduceSize);
        var at = o * uniforms.outStride + first * uniforms.reduceStride;
        var sum = 0.0;
        for (var r = first; r < last; r = r + 1) {
          sum = sum + f32(x[at]);
          at = at + uniforms.reduceStride;
        }
        setOutputAtIndex(index, sum * uniforms.scale);
      }`;
  }
}

/** Softmax along rows of `classes` values: a thread per row (max, then Σexp, then each value). */
export class RowSoftmaxProgram implements WebGPUProgram {
  variableNames = ['logits'];
  uniforms = 'classes : i32,';
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey = 'synthscopeRowSoftmax';
  outputShape: number[];

  constructor(readonly shape: number[], rows: number) {
    this.outputShape = shape;
    // One thread per row: dispatched over the rows, while the output keeps the logits' shape.
    this.dispatchLayout = webgpu_util.flatDispatchLayout([rows]);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, [rows], this.workgroupSize);
  }

  getUserCode(): string {
    return `
      fn main(row : i32) {
        let start = row * uniforms.classes;
        if (start >= uniforms.size) {
          return;
        }
        var top = logits[start];
        for (var c = 1; c < uniforms.classes; c = c + 1) {
          top = max(top, logits[start + c]);
        }
        var total = 0.0;
        for (var c = 0; c < uniforms.classes; c = c + 1) {
          total = total + exp(logits[start + c] - top);
        }
        for (var c = 0; c < uniforms.classes; c = c + 1) {
          setOutputAtIndex(start + c, exp(logits[start + c] - top) / total);
        }
      }`;
  }
}

/**
 * The reduction of `axes` as [outer, reduced] or [reduced, outer] strides over the flat input, or
 * null where the reduced axes are neither the innermost nor the outermost block.
 */
export function reductionLayout(shape: readonly number[], axes: readonly number[]): { outSize: number; reduceSize: number; outStride: number; reduceStride: number } | null {
  const sorted = [...new Set(axes)].sort((a, b) => a - b);
  const k = sorted.length, rank = shape.length;
  const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
  const reduceSize = size(sorted.map((a) => shape[a])), outSize = size(shape) / Math.max(1, reduceSize);
  if (sorted.every((a, i) => a === rank - k + i)) return { outSize, reduceSize, outStride: reduceSize, reduceStride: 1 };
  if (sorted.every((a, i) => a === i)) return { outSize, reduceSize, outStride: 1, reduceStride: outSize };
  return null;
}

interface ReduceAttrs {
  axis: number | number[];
  keepDims: boolean;
}

function reduceKernel(kernelName: 'Sum' | 'Mean'): tf.KernelConfig {
  const stock = tf.getKernel(kernelName, BACKEND);
  return {
    kernelName,
    backendName: BACKEND,
    kernelFunc: (args) => {
      const { inputs, attrs, backend: b } = args;
      const x = inputs.x as tf.TensorInfo;
      const { axis, keepDims } = attrs as unknown as ReduceAttrs;
      const axes = tf.util.parseAxisParam(axis, x.shape);
      const layout = reduceWebgpuSettings.enabled && x.dtype !== 'complex64' && x.dtype !== 'string' && x.shape.length > 0 ? reductionLayout(x.shape, axes) : null;
      if (!layout || layout.reduceSize === 0 || layout.outSize === 0) {
        if (!stock) throw new Error(`${kernelName} is not registered for WebGPU.`);
        return stock.kernelFunc(args);
      }
      const backend = b as unknown as WebGPUBackend;
      const [reducedShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
      const outputShape = keepDims ? tf.backend_util.expandShapeToKeepDim(reducedShape, axes) : reducedShape;
      const scale = kernelName === 'Mean' ? 1 / layout.reduceSize : 1;
      let { reduceSize, outStride, reduceStride } = layout;
      let input = x;
      // Chunked passes until one loop per output is short enough; each pass's partial sums are [outSize, chunks].
      while (reduceSize > MAX_LOOP) {
        const chunks = Math.ceil(reduceSize / MAX_LOOP);
        const partials = stridedSum(backend, input, [layout.outSize, chunks], { outStride, reduceStride, reduceSize, chunks, chunk: MAX_LOOP, scale: 1 });
        if (input !== x) backend.disposeData(input.dataId);
        input = partials;
        reduceSize = chunks;
        outStride = chunks;
        reduceStride = 1;
      }
      // TF.js' output types: a mean is float32, a sum of integers or booleans int32.
      const dtype = kernelName === 'Mean' ? 'float32' : tf.sumOutType(x.dtype);
      const out = stridedSum(backend, input, outputShape, { outStride, reduceStride, reduceSize, chunks: 1, chunk: reduceSize, scale }, dtype);
      if (input !== x) backend.disposeData(input.dataId);
      return out;
    },
  };
}

/** StridedSumProgram's uniforms, in its order. */
export interface StridedSum {
  outStride: number;
  reduceStride: number;
  reduceSize: number;
  chunks: number;
  chunk: number;
  scale: number;
}

/** Runs StridedSumProgram on `x` into a new tensor of `outputShape` (for these reductions and the filter gradient's segments). */
export function stridedSum(backend: WebGPUBackend, x: tf.TensorInfo, outputShape: number[], s: StridedSum, dtype: tf.DataType = 'float32'): tf.TensorInfo {
  const ints = [s.outStride, s.reduceStride, s.reduceSize, s.chunks, s.chunk].map((v) => ({ type: 'int32', data: [v] }));
  return backend.runWebGPUProgram(new StridedSumProgram(outputShape), [x], dtype, [...ints, { type: 'float32', data: [s.scale] }]);
}

const stockSoftmax = tf.getKernel(tf.Softmax, BACKEND);
const softmax: tf.KernelConfig = {
  kernelName: tf.Softmax,
  backendName: BACKEND,
  kernelFunc: (args) => {
    const { inputs, attrs, backend: b } = args;
    const logits = inputs.logits as tf.TensorInfo;
    const dim = (attrs as unknown as { dim: number }).dim;
    const classes = logits.shape[dim < 0 ? dim + logits.shape.length : dim];
    const size = tf.util.sizeFromShape(logits.shape);
    // TF.js' Softmax takes the last axis only, as here.
    if (!reduceWebgpuSettings.enabled || logits.dtype !== 'float32' || classes > MAX_LOOP || size === 0) {
      if (!stockSoftmax) throw new Error('Softmax is not registered for WebGPU.');
      return stockSoftmax.kernelFunc(args);
    }
    return (b as unknown as WebGPUBackend).runWebGPUProgram(new RowSoftmaxProgram(logits.shape, size / classes), [logits], 'float32', [{ type: 'int32', data: [classes] }]);
  },
};

for (const kernel of [reduceKernel('Sum'), reduceKernel('Mean'), softmax]) {
  if (tf.getKernel(kernel.kernelName, BACKEND)) tf.unregisterKernel(kernel.kernelName, BACKEND);
  tf.registerKernel(kernel);
}
