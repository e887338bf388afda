/**
 * 2-D convolution kernels of our own on WebGPU: the filter gradient, split over the batch's rows
 * so that a GPU has enough threads, and, on a software GPU only, a direct forward convolution.
 *
 * The filter gradient (Conv2DBackpropFilter):
 *
 *   dW[kh, kw, ci, co] = Σ over n, oh, ow of x[n, oh·s + kh − pad, ow·s + kw − pad, ci] · dy[n, oh, ow, co]
 *
 * TF.js 4.22 gives each weight one thread that loops over all N·OH·OW output pixels. The early
 * layers have few weights and many pixels (the stem: 3,136 weights, 131,072 pixels a weight at batch
 * 32 and 128²), so a GPU with 10⁵ threads in flight runs a few thousand long loops: on an H100 that
 * kernel was 83 % of a ResNet-18 step's GPU time. Here the N·OH rows are cut into segments, each
 * (segment, weight) pair is a thread writing a partial sum, and a second program adds the segments,
 * so every layer gets about `parallelThreads` threads. Layers with enough weights already take one
 * segment and one program, as before.
 *
 * The forward convolution (Conv2D) is TF.js' matrix-product program, except where
 * `conv2dWebgpuSettings.direct` is set (chooseBackend sets it on a software adapter): there a
 * thread per output value loops over the kernel's taps and input channels. On SwiftShader that took
 * a training step's forward convolutions 2,644–2,671 → 755–946 ms (ResNet-18) and 1,380–1,556 →
 * 645 ms (U-Net); TF.js' own direct program would do the same but its shader does not compile for
 * large outputs in 4.22. (The input gradient as such a loop, a thread per input value over the taps
 * that reach it and four output channels at a time, was slower on SwiftShader than TF.js' own
 * program: ResNet-18 1.18 → 2.06 s a step, U-Net 4.2 → 6.3 s; not taken.)
 *
 * Channels-last only (what our models use); NCHW goes to TF.js' kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { webgpu_util, type WebGPUBackend, type WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { stridedSum } from './reduceWebgpu';

const BACKEND = 'webgpu';

export const conv2dWebgpuSettings = {
  /** The forward convolution as a direct loop instead of TF.js' matrix product (for software GPUs). */
  direct: false,
  /**
   * Output channels per thread, in our programs (the direct convolution and the filter gradient's
   * partial sums) where a layer's output channels are a multiple of it: 4 makes each thread read an
   * input value once for four products and the weights or dy as vec4, a quarter of the threads and
   * index arithmetic. Set for software GPUs (chooseBackend); real GPUs keep 1, as measured on an H100.
   */
  channelsPerThread: 1 as 1 | 4,
  /** Threads to aim for: a few times what a large GPU keeps in flight (an H100: 132 units × 2,048). */
  parallelThreads: 1 << 20,
  /** A weight's sum over fewer output pixels than this stays one loop: the second program would cost more than it saves. */
  minLoopToSplit: 4096,
  /** Nor is a segment cut shorter than this many pixels. */
  minLoopPerThread: 256,
};

/** Segments of the N·OH rows, for a layer of `weights` weights whose sums run over `rows` rows of `loop` pixels in all. */
export function filterGradSegments(weights: number, rows: number, loop: number,
  settings: Pick<typeof conv2dWebgpuSettings, 'parallelThreads' | 'minLoopToSplit' | 'minLoopPerThread'> = conv2dWebgpuSettings): number {
  if (loop < settings.minLoopToSplit) return 1;
  return Math.max(1, Math.min(rows, Math.floor(settings.parallelThreads / weights), Math.floor(loop / settings.minLoopPerThread)));
}

const CONV_UNIFORMS = 'pads : vec2<i32>, strides : vec2<i32>, batchSize : i32, outHeight : i32, outWidth : i32, inHeight : i32, inWidth : i32, '
  + 'inChannels : i32, outChannels : i32, weights : i32, rowsPerSegment : i32,';

/** Values for CONV_UNIFORMS, in its order; the last two only the filter gradient's partial sums read. */
function convUniforms(info: tf.backend_util.Conv2DInfo, weights = 0, rowsPerSegment = 0) {
  return [
    { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
    { type: 'int32', data: [info.strideHeight, info.strideWidth] },
    ...[info.batchSize, info.outHeight, info.outWidth, info.inHeight, info.inWidth, info.inChannels, info.outChannels, weights, rowsPerSegment]
      .map((v) => ({ type: 'int32', data: [v] })),
  ];
}

/** The attributes both convolution kernels read (TF.js passes them untyped). */
interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Zero in the type of `channels` float32 lanes (f32 or vec4). */
const zeroOf = (channels: 1 | 4) => (channels === 4 ? 'vec4<f32>(0.0)' : '0.0');

/**
 * Partial sums [segments, weights]: thread s·W/c + w adds segment s's rows for the c output channels
 * of group w (channels fastest, so reads of dy coalesce).
 */
export class FilterGradPartialsProgram implements WebGPUProgram {
  variableNames = ['x', 'dy'];
  uniforms = CONV_UNIFORMS;
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  outputShape: number[];
  outputComponent: number;
  variableComponents: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey: string;

  constructor(segments: number, weights: number, readonly filterShape: number[], readonly channels: 1 | 4 = 1) {
    // TF.js caches a pipeline by this key and the inputs' ranks, not their sizes: the code's baked-in kernel width goes in it.
    this.shaderKey = `synthscopeConv2dFilterGradPartials_${filterShape[1]}_${channels}`;
    this.outputShape = segments === 1 ? filterShape : [segments, weights];
    this.outputComponent = channels;
    this.variableComponents = [1, channels];
    this.dispatchLayout = webgpu_util.flatDispatchLayout(this.outputShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, this.outputShape, this.workgroupSize, [channels, 1, 1]);
  }

  getUserCode(): string {
    const c = this.channels;
    return `
      fn main(index : i32) {
        if (index >= uniforms.size) {
          return;
        }
        let perSegment = uniforms.weights / ${c};
        let groups = uniforms.outChannels / ${c};
        let s = index / perSegment;
        let w = index - s * perSegment;
        let group = w % groups;
        let ci = (w / groups) % uniforms.inChannels;
        let tap = w / (groups * uniforms.inChannels);
        let kw = tap % ${this.filterShape[1]};
        let kh = tap / ${this.filterShape[1]};
        let firstRow = s * uniforms.rowsPerSegment;
        let lastRow = min(firstRow + uniforms.rowsPerSegment, uniforms.batchSize * uniforms.outHeight);
        var sum = ${zeroOf(c)};
        for (var row = firstRow; row < lastRow; row = row + 1) {
          let b = row / uniforms.outHeight;
          let yR = row - b * uniforms.outHeight;
          let xR = kh + yR * uniforms.strides[0] - uniforms.pads[0];
          if (xR < 0 || xR >= uniforms.inHeight) {
            continue;
          }
          let xRow = (b * uniforms.inHeight + xR) * uniforms.inWidth;
          let dyRow = row * uniforms.outWidth;
          for (var yC = 0; yC < uniforms.outWidth; yC = yC + 1) {
            let xC = kw + yC * uniforms.strides[1] - uniforms.pads[1];
            if (xC < 0 || xC >= uniforms.inWidth) {
              continue;
            }
            sum = sum + x[(xRow + xC) * uniforms.inChannels + ci] * dy[(dyRow + yC) * groups + group];
          }
        }
        setOutputAtIndex(index, sum);
      }`;
  }
}

/** The settings' channels per thread where a layer's output channels allow it, else 1. */
const channelsPerThread = (outChannels: number): 1 | 4 => (outChannels % conv2dWebgpuSettings.channelsPerThread === 0 ? conv2dWebgpuSettings.channelsPerThread : 1);

/** TF.js' own kernel, for what this one does not take (NCHW), and for comparisons. */
export const stockConv2dFilterGrad = tf.getKernel(tf.Conv2DBackpropFilter, BACKEND);

const filterGrad: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: BACKEND,
  kernelFunc: (args) => {
    const { inputs, attrs, backend: b } = args;
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
    if (a.dataFormat === 'NCHW' || x.dtype !== 'float32') {
      if (!stockConv2dFilterGrad) throw new Error('Conv2DBackpropFilter on WebGPU takes channels-last float32 tensors.');
      return stockConv2dFilterGrad.kernelFunc(args);
    }
    const backend = b as unknown as WebGPUBackend;
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode);
    const weights = tf.util.sizeFromShape(a.filterShape);
    const channels = channelsPerThread(info.outChannels);
    const rows = info.batchSize * info.outHeight;
    const segments = filterGradSegments(weights / channels, rows, rows * info.outWidth);
    const rowsPerSegment = Math.ceil(rows / segments);
    const used = Math.ceil(rows / rowsPerSegment);
    const partials = backend.runWebGPUProgram(new FilterGradPartialsProgram(used, weights, a.filterShape, channels), [x, dy], 'float32',
      convUniforms(info, weights, rowsPerSegment));
    if (used === 1) return partials;
    // The partials [segments, weights] summed over their outer axis, in the filter's shape.
    const out = stridedSum(backend, partials, a.filterShape, { outStride: 1, reduceStride: weights, reduceSize: used, chunks: 1, chunk: used, scale: 1 });
    backend.disposeData(partials.dataId);
    return out;
  },
};

/**
 * out[n, oh, ow, co] = Σ over kh, kw, ci of x[n, oh·s + kh − pad, ow·s + kw − pad, ci] · w[kh, kw, ci, co],
 * a thread per output pixel and group of c output channels.
 */
export class DirectConv2DProgram implements WebGPUProgram {
  variableNames = ['x', 'w'];
  uniforms = CONV_UNIFORMS;
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  outputComponent: number;
  variableComponents: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey: string;

  constructor(readonly outputShape: number[], private readonly kernelHeight: number, private readonly kernelWidth: number, readonly channels: 1 | 4 = 1) {
    this.outputComponent = channels;
    this.variableComponents = [1, channels];
    this.dispatchLayout = webgpu_util.flatDispatchLayout(outputShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize, [channels, 1, 1]);
    this.shaderKey = `synthscopeDirectConv2D_${kernelHeight}_${kernelWidth}_${channels}`;
  }

  getUserCode(): string {
    const c = this.channels;
    return `
      fn main(index : i32) {
        if (index >= uniforms.size) {
          return;
        }
        let groups = uniforms.outChannels / ${c};
        let group = index % groups;
        let pixel = index / groups;
        let yC = pixel % uniforms.outWidth;
        let row = pixel / uniforms.outWidth;
        let yR = row % uniforms.outHeight;
        let b = row / uniforms.outHeight;
        var sum = ${zeroOf(c)};
        for (var kh = 0; kh < ${this.kernelHeight}; kh = kh + 1) {
          let xR = yR * uniforms.strides[0] + kh - uniforms.pads[0];
          if (xR < 0 || xR >= uniforms.inHeight) {
            continue;
          }
          for (var kw = 0; kw < ${this.kernelWidth}; kw = kw + 1) {
            let xC = yC * uniforms.strides[1] + kw - uniforms.pads[1];
            if (xC < 0 || xC >= uniforms.inWidth) {
              continue;
            }
            let xBase = ((b * uniforms.inHeight + xR) * uniforms.inWidth + xC) * uniforms.inChannels;
            let wBase = (kh * ${this.kernelWidth} + kw) * uniforms.inChannels * groups + group;
            for (var ci = 0; ci < uniforms.inChannels; ci = ci + 1) {
              sum = sum + x[xBase + ci] * w[wBase + ci * groups];
            }
          }
        }
        setOutputAtIndex(index, sum);
      }`;
  }
}

const stockConv2D = tf.getKernel(tf.Conv2D, BACKEND);

const conv2D: tf.KernelConfig = {
  kernelName: tf.Conv2D,
  backendName: BACKEND,
  kernelFunc: (args) => {
    const { inputs, attrs, backend: b } = args;
    const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const a = attrs as unknown as ConvAttrs & { dilations: number | [number, number] };
    const dilated = Array.isArray(a.dilations) ? a.dilations.some((d) => d !== 1) : a.dilations !== 1;
    if (!conv2dWebgpuSettings.direct || a.dataFormat === 'NCHW' || dilated || x.dtype !== 'float32') {
      if (!stockConv2D) throw new Error('Conv2D is not registered for WebGPU.');
      return stockConv2D.kernelFunc(args);
    }
    const f = filter.shape as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], f, a.strides, 1, a.pad, a.dimRoundingMode);
    return (b as unknown as WebGPUBackend).runWebGPUProgram(new DirectConv2DProgram(info.outShape, f[0], f[1], channelsPerThread(info.outChannels)), [x, filter], 'float32', convUniforms(info));
  },
};

for (const kernel of [filterGrad, conv2D]) {
  if (tf.getKernel(kernel.kernelName, BACKEND)) tf.unregisterKernel(kernel.kernelName, BACKEND);
  tf.registerKernel(kernel);
}
