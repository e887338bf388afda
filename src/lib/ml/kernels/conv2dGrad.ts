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

/**
 * dx via the forward convolution, split into stride² phases ("sub-pixel" decomposition): the input
 * rows i ≡ p (mod s) receive contributions only from the kernel rows kh ≡ p + top (mod s), so each
 * phase is a stride-1 convolution of dy with a reversed, subsampled, in/out-swapped kernel. The
 * phases are then interleaved. For stride 1 this is the usual "full" convolution with the flipped
 * kernel. Every product is then done by the backend's forward Conv2D (XNNPACK on wasm).
 */
export function conv2dInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: [number, number, number, number], strides: number | [number, number], pad: Pad, dimRoundingMode?: 'floor' | 'round' | 'ceil'): tf.Tensor4D {
  const info = convInfo(inputShape, filter.shape, strides, pad, dimRoundingMode);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;
  return tf.tidy(() => {
    // One dimension of one phase: first kernel tap, tap count, output length, dy range [lo, hi].
    const axis = (p: number, s: number, k: number, pad0: number, len: number) => {
      const k0 = (((p + pad0) % s) + s) % s;
      const taps = k0 < k ? Math.ceil((k - k0) / s) : 0;
      const c = (p + pad0 - k0) / s;
      const out = Math.ceil((len - p) / s);
      return { k0, taps, out, lo: c - taps + 1, hi: out - 1 + c };
    };
    const phases: tf.Tensor4D[][] = [];
    const aMax = Math.ceil(h / sh);
    const bMax = Math.ceil(w / sw);
    for (let p = 0; p < sh; p++) {
      const row: tf.Tensor4D[] = [];
      const ay = axis(p, sh, kh, top, h);
      for (let q = 0; q < sw; q++) {
        const ax = axis(q, sw, kw, left, w);
        let phase: tf.Tensor4D;
        // Parts of dy that feed this phase (clipped to dy), and the zero padding beyond it.
        const y0 = Math.max(ay.lo, 0), y1 = Math.min(ay.hi, oh - 1);
        const x0 = Math.max(ax.lo, 0), x1 = Math.min(ax.hi, ow - 1);
        if (ay.out <= 0 || ax.out <= 0) phase = tf.zeros([n, Math.max(ay.out, 0), Math.max(ax.out, 0), ci]);
        else if (ay.taps === 0 || ax.taps === 0 || y1 < y0 || x1 < x0) phase = tf.zeros([n, ay.out, ax.out, ci]);
        else {
          // Kernel rows k0, k0+s, …, reversed, with in/out channels swapped: [taps, taps, CO, CI].
          let sub: tf.Tensor4D = sh === 1 && sw === 1 && ay.k0 === 0 && ax.k0 === 0 ? filter : tf.stridedSlice(filter, [ay.k0, ax.k0, 0, 0], [kh, kw, ci, filter.shape[3]], [sh, sw, 1, 1]);
          sub = tf.transpose(tf.reverse(sub, [0, 1]), [0, 1, 3, 2]);
          const part: tf.Tensor4D = y0 === 0 && x0 === 0 && y1 === oh - 1 && x1 === ow - 1 ? dy : tf.slice(dy, [0, y0, x0, 0], [n, y1 - y0 + 1, x1 - x0 + 1, dy.shape[3]]);
          const pads: tf.backend_util.ExplicitPadding = [[0, 0], [y0 - ay.lo, ay.hi - y1], [x0 - ax.lo, ax.hi - x1], [0, 0]];
          phase = tf.conv2d(part, sub, 1, pads);
        }
        row.push(phase);
      }
      phases.push(row);
    }
    if (sh === 1 && sw === 1) return phases[0][0];
    // Interleave: dx[n, a·sh+p, b·sw+q, c] = phase[p][q][n, a, b, c]; short phases padded to aMax × bMax.
    const full = phases.map((row) => row.map((t) => (t.shape[1] === aMax && t.shape[2] === bMax ? t : tf.pad(t, [[0, 0], [0, aMax - t.shape[1]], [0, bMax - t.shape[2]], [0, 0]]))));
    const rows = full.map((row) => tf.stack(row, 3).reshape([n, aMax, bMax * sw, ci]));
    const dx = tf.stack(rows, 2).reshape([n, aMax * sh, bMax * sw, ci]) as tf.Tensor4D;
    return dx.shape[1] === h && dx.shape[2] === w ? dx : tf.slice(dx, [0, 0, 0, 0], [n, h, w, ci]);
  });
}
