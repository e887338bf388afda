/**
 * Convolution gradients expressed through a backend's fast forward kernels (Conv2D, BatchMatMul),
 * for backends whose own gradient kernels are missing or slow (tfjs-backend-wasm 4.22 has no
 * Conv2DBackpropFilter, and its Conv2DBackpropInput is a plain loop about 6× slower than its XNNPACK
 * forward convolution). NHWC, dilation 1, any stride, kernel size and padding ('same', 'valid', a
 * number or explicit pads). Both return a Tensor built from ordinary ops, which the engine accepts
 * as a kernel's output; ops run inside a kernel are not recorded on the gradient tape.
 */
import * as tf from '@tensorflow/tfjs';

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

function convInfo(xShape: number[], filterShape: number[], strides: number | [number, number], pad: Pad, dimRoundingMode?: 'floor' | 'round' | 'ceil') {
  return tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, 'channelsLast');
}

/**
 * dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·s+kh−top, ow·s+kw−left, ci] · dy[n,oh,ow,co]: itself a
 * convolution, with the batch and channel roles swapped. x becomes a batch of CI one-image inputs
 * with N channels ([CI, H, W, N]), dy the kernel ([OH, OW, N, CO]) dilated by the stride, and the
 * result is [CI, KH, KW, CO]. So the backend's forward Conv2D (XNNPACK on wasm) does the work;
 * im2col was slower there, its Concat/Slice kernels being JS loops. The padding is explicit:
 * top/left from the conv info, and at the bottom/right exactly what the last tap reaches, which is
 * where TensorFlow puts the odd row of a stride-2 'same' convolution.
 */
export function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], strides: number | [number, number], pad: Pad, dimRoundingMode?: 'floor' | 'round' | 'ceil'): tf.Tensor4D {
  const info = convInfo(x.shape, filterShape, strides, pad, dimRoundingMode);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;
  return tf.tidy(() => {
    // Rows/columns the last tap reaches; beyond the input they are zeros, short of its end cut off.
    const bottom = (oh - 1) * sh + kh - top - h;
    const right = (ow - 1) * sw + kw - left - w;
    const xc = bottom < 0 || right < 0 ? tf.slice(x, [0, 0, 0, 0], [n, h + Math.min(bottom, 0), w + Math.min(right, 0), ci]) : x;
    const xt = tf.transpose(xc, [3, 1, 2, 0]);
    const dyt = tf.transpose(dy, [1, 2, 0, 3]);
    const pads: tf.backend_util.ExplicitPadding = [[0, 0], [top, Math.max(bottom, 0)], [left, Math.max(right, 0)], [0, 0]];
    const out = tf.conv2d(xt as tf.Tensor4D, dyt as tf.Tensor4D, 1, pads, 'NHWC', [sh, sw]);
    return tf.transpose(out, [1, 2, 0, 3]);
  });
}

/** A backend whose tensors live in its own memory, readable and writable in place (wasm). */
export interface TensorHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * The filter gradient of a 1×1 convolution as one matrix product, dW[ci, co] = Σ_p xs[ci, p]·dy[p, co]
 * over the output positions p, where xs holds the input at the positions the kernel reads
 * (zeros in padding), gathered transposed by a JS loop in the backend's memory. The wasm
 * backend runs the product with XNNPACK's fully-connected operator, dy as its weights. For the
 * models' stride-2 projections this took a third to a half of the CPU time of the convolution
 * above (8×32×32×16 → 32: 3.1 against 1.1 ms; 2×64×64×16 → 32: 2.4 against 0.8 ms), whose kernel
 * there is the whole dy, read as dilated taps. Meant for strided 1×1 kernels, whose gathered input
 * is a fraction of x.
 */
export function pointwiseFilterGrad(heap: TensorHeap, x: tf.Tensor4D, dy: tf.Tensor4D, strides: number | [number, number], pad: Pad, dimRoundingMode?: 'floor' | 'round' | 'ceil'): tf.Tensor4D {
  const info = convInfo(x.shape, [1, 1, x.shape[3], dy.shape[3]], strides, pad, dimRoundingMode);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  return tf.tidy(() => {
    const positions = n * oh * ow;
    const gathered = heap.makeOutput([ci, positions], 'float32');
    const out = heap.typedArrayFromHeap(gathered) as Float32Array;
    const src = heap.typedArrayFromHeap(x) as Float32Array;
    for (let c = 0; c < ci; c++) {
      let p = c * positions;
      for (let b = 0; b < n; b++) {
        for (let y = 0; y < oh; y++) {
          const iy = y * sh - top;
          for (let xx = 0; xx < ow; xx++, p++) {
            const ix = xx * sw - left;
            out[p] = iy >= 0 && iy < h && ix >= 0 && ix < w ? src[((b * h + iy) * w + ix) * ci + c] : 0;
          }
        }
      }
    }
    const xs = tf.engine().makeTensorFromTensorInfo(gathered) as tf.Tensor2D;
    return tf.reshape(tf.matMul(xs, tf.reshape(dy, [positions, co]) as tf.Tensor2D), [1, 1, ci, co]) as tf.Tensor4D;
  });
}

/** Gather indices that turn a filter into the sub-pixel kernel below, per filter shape, stride and padding. */
const subPixelIndexCache = new Map<string, Int32Array>();

/**
 * dx via the forward convolution ("sub-pixel" decomposition). Input row i = a·s + p (phase p)
 * receives dy row a + d through kernel row kh = p + top − s·d, for the few offsets d where that row
 * exists. So all s² phases together are one stride-1 convolution of dy over the window of offsets
 * d, with a kernel [window, window, CO, s·s·CI] that holds, for each phase, the matching kernel taps
 * (in/out channels swapped, zeros where a phase has fewer taps), followed by a depth-to-space that
 * interleaves the phases. One forward Conv2D (XNNPACK on wasm) does the work. The kernel is
 * assembled on the CPU from precomputed indices (the filter is small), and depth-to-space is a
 * transpose: the wasm backend's GatherV2, StridedSlice, Reverse, Concat and DepthToSpace are slow
 * element-wise loops. Meant for backends whose tensors live in CPU memory (wasm, cpu).
 */
export function conv2dInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: [number, number, number, number], strides: number | [number, number], pad: Pad, dimRoundingMode?: 'floor' | 'round' | 'ceil'): tf.Tensor4D {
  const info = convInfo(inputShape, filter.shape, strides, pad, dimRoundingMode);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;
  // Per axis: the dy offsets d that reach some phase, and the phases that any tap reaches.
  const axis = (pad0: number, k: number, s: number) => {
    const lo = Math.ceil((pad0 - k + 1) / s);
    const hi = Math.floor((s - 1 + pad0) / s);
    const phases = Array.from({ length: s }, (_, p) => p).filter((p) => Math.floor((p + pad0) / s) >= Math.ceil((p + pad0 - k + 1) / s));
    return { lo, size: hi - lo + 1, phases };
  };
  const ry = axis(top, kh, sh);
  const rx = axis(left, kw, sw);
  const a = Math.ceil(h / sh);
  const b = Math.ceil(w / sw);
  // Phases computed: all, or the single one that any tap reaches (a 1×1 stride-2 kernel feeds only
  // every other row and column); the others are zeros.
  const single = ry.phases.length === 1 && rx.phases.length === 1 && sh * sw > 1;
  const py = single ? ry.phases : Array.from({ length: sh }, (_, p) => p);
  const px = single ? rx.phases : Array.from({ length: sw }, (_, q) => q);
  const key = [kh, kw, ci, co, sh, sw, top, left, single].join();
  let index = subPixelIndexCache.get(key);
  if (!index) {
    index = new Int32Array(ry.size * rx.size * co * py.length * px.length * ci);
    const zero = kh * kw * ci * co;
    let i = 0;
    for (let u = 0; u < ry.size; u++) {
      for (let v = 0; v < rx.size; v++) {
        for (let o = 0; o < co; o++) {
          for (const p of py) {
            const r = p + top - sh * (ry.lo + u);
            for (const q of px) {
              const c = q + left - sw * (rx.lo + v);
              const inside = r >= 0 && r < kh && c >= 0 && c < kw;
              for (let k = 0; k < ci; k++) index[i++] = inside ? ((r * kw + c) * ci + k) * co + o : zero;
            }
          }
        }
      }
    }
    subPixelIndexCache.set(key, index);
  }
  const indexData = index;
  return tf.tidy(() => {
    // The filter lives in ordinary memory on wasm (and cpu), so reading it is a copy; a JS loop
    // permutes it faster than the backend's GatherV2.
    const values = filter.dataSync() as Float32Array;
    const zero = values.length;
    const permuted = new Float32Array(indexData.length);
    for (let i = 0; i < permuted.length; i++) permuted[i] = indexData[i] === zero ? 0 : values[indexData[i]];
    const kernel = tf.tensor4d(permuted, [ry.size, rx.size, co, py.length * px.length * ci]);
    // Output a (of a × b) reads dy rows a + ry.lo … a + ry.lo + ry.size − 1: pad or crop dy to that.
    const bottom = a - 1 + ry.lo + ry.size - 1 - (oh - 1);
    const right = b - 1 + rx.lo + rx.size - 1 - (ow - 1);
    const y0 = Math.max(ry.lo, 0), x0 = Math.max(rx.lo, 0);
    const part = y0 > 0 || x0 > 0 || bottom < 0 || right < 0
      ? tf.slice(dy, [0, y0, x0, 0], [n, oh + Math.min(bottom, 0) - y0, ow + Math.min(right, 0) - x0, co])
      : dy;
    const pads: tf.backend_util.ExplicitPadding = [[0, 0], [Math.max(-ry.lo, 0), Math.max(bottom, 0)], [Math.max(-rx.lo, 0), Math.max(right, 0)], [0, 0]];
    let phased: tf.Tensor4D = tf.conv2d(part, kernel, 1, pads);
    if (sh * sw === 1) return phased;
    if (single) {
      // The one phase's channels at its place among the s² phases, zeros elsewhere.
      const at = ry.phases[0] * sw + rx.phases[0];
      phased = tf.pad(phased, [[0, 0], [0, 0], [0, 0], [at * ci, (sh * sw - 1 - at) * ci]]);
    }
    // Depth-to-space as a transpose: [N, A, B, sh, sw, C] → [N, A, sh, B, sw, C].
    const dx = tf.transpose(phased.reshape([n, a, b, sh, sw, ci]), [0, 1, 3, 2, 4, 5]).reshape([n, a * sh, b * sw, ci]) as tf.Tensor4D;
    return dx.shape[1] === h && dx.shape[2] === w ? dx : tf.slice(dx, [0, 0, 0, 0], [n, h, w, ci]);
  });
}
