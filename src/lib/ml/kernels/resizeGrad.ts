/**
 * Gradients of nearest-neighbour and bilinear resizing (the U-Net's upsampling layers), written as
 * the exact adjoints of TF.js' forward resize (same source-pixel arithmetic as its CPU kernels):
 * every output pixel's gradient is added back to the input pixels it was computed from.
 * TF.js 4.22's CPU backend gets both wrong: its ResizeNearestNeighborGrad returns wrong values (for
 * a 2× upsampling the gradient does not even sum to the incoming one), and its ResizeBilinearGrad
 * swaps height and width, failing on non-square images. (The wasm backend's are right; checked by
 * the adjoint identity ⟨R x, g⟩ = ⟨x, Rᵀ g⟩ in tests/unit/kernels.test.ts.) NHWC, float32.
 */

export interface ResizeShape {
  batch: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  outHeight: number;
  outWidth: number;
}

const ratio = (alignCorners: boolean, inSize: number, outSize: number) =>
  alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;

/** Source index of each output row (or column) of a nearest-neighbour resize. */
function nearestSources(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): Int32Array {
  const r = ratio(alignCorners, inSize, outSize);
  return Int32Array.from({ length: outSize }, (_, i) => {
    const frac = halfPixelCenters ? r * (i + 0.5) : r * i;
    const nearest = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
    return halfPixelCenters ? Math.max(0, nearest) : nearest;
  });
}

/** dx (zeroed by the caller, size batch·inHeight·inWidth·channels) += adjoint of the nearest resize applied to dy. */
export function resizeNearestGrad(dy: Float32Array, dx: Float32Array, s: ResizeShape, alignCorners: boolean, halfPixelCenters: boolean): void {
  const rows = nearestSources(s.inHeight, s.outHeight, alignCorners, halfPixelCenters);
  const cols = nearestSources(s.inWidth, s.outWidth, alignCorners, halfPixelCenters);
  const c = s.channels;
  let o = 0;
  for (let b = 0; b < s.batch; b++) {
    const base = b * s.inHeight * s.inWidth;
    for (let y = 0; y < s.outHeight; y++) {
      const row = base + rows[y] * s.inWidth;
      for (let x = 0; x < s.outWidth; x++) {
        const at = (row + cols[x]) * c;
        for (let k = 0; k < c; k++) dx[at + k] += dy[o++];
      }
    }
  }
}

/** Floor and ceiling source index and the weight of the ceiling, per output row (or column). */
function bilinearSources(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean) {
  const r = ratio(alignCorners, inSize, outSize);
  const lo = new Int32Array(outSize), hi = new Int32Array(outSize), frac = new Float32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const f = halfPixelCenters ? r * (i + 0.5) - 0.5 : r * i;
    lo[i] = Math.max(0, Math.floor(f));
    hi[i] = Math.min(inSize - 1, Math.ceil(f));
    frac[i] = f - lo[i];
  }
  return { lo, hi, frac };
}

/** dx (zeroed by the caller) += adjoint of the bilinear resize applied to dy. */
export function resizeBilinearGrad(dy: Float32Array, dx: Float32Array, s: ResizeShape, alignCorners: boolean, halfPixelCenters: boolean): void {
  const ry = bilinearSources(s.inHeight, s.outHeight, alignCorners, halfPixelCenters);
  const rx = bilinearSources(s.inWidth, s.outWidth, alignCorners, halfPixelCenters);
  const c = s.channels;
  let o = 0;
  for (let b = 0; b < s.batch; b++) {
    const base = b * s.inHeight * s.inWidth;
    for (let y = 0; y < s.outHeight; y++) {
      const top = base + ry.lo[y] * s.inWidth, bottom = base + ry.hi[y] * s.inWidth;
      const fy = ry.frac[y];
      for (let x = 0; x < s.outWidth; x++) {
        const fx = rx.frac[x];
        // Forward: (tl + (tr − tl)·fx)·(1 − fy) + (bl + (br − bl)·fx)·fy.
        const wtl = (1 - fx) * (1 - fy), wtr = fx * (1 - fy), wbl = (1 - fx) * fy, wbr = fx * fy;
        const tl = (top + rx.lo[x]) * c, tr = (top + rx.hi[x]) * c, bl = (bottom + rx.lo[x]) * c, br = (bottom + rx.hi[x]) * c;
        for (let k = 0; k < c; k++) {
          const g = dy[o++];
          dx[tl + k] += g * wtl;
          dx[tr + k] += g * wtr;
          dx[bl + k] += g * wbl;
          dx[br + k] += g * wbr;
        }
      }
    }
  }
}
