/**
 * Max-pool gradient: each output's gradient goes to the first largest input of its window (the
 * CPU backend's tie rule). tfjs-backend-wasm 4.22's MaxPoolGrad misplaces the window when 'same'
 * padding puts a row on top (odd inputs to a 3×3 stride-2 pool: the ResNet's stem pool whenever
 * the stem output is odd), so gradients land on the wrong pixels. NHWC, float32.
 */
export interface PoolGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

/** dx (zeroed by the caller) += dy routed to each window's maximum of x. */
export function maxPoolGrad(x: Float32Array, dy: Float32Array, dx: Float32Array, p: PoolGeometry): void {
  const c = p.channels;
  const best = new Float32Array(c);
  const at = new Int32Array(c);
  for (let b = 0; b < p.batch; b++) {
    const base = b * p.inHeight * p.inWidth;
    for (let oy = 0; oy < p.outHeight; oy++) {
      const y0 = oy * p.strideHeight - p.padTop;
      const ya = Math.max(0, y0), yb = Math.min(p.inHeight, y0 + p.filterHeight);
      for (let ox = 0; ox < p.outWidth; ox++) {
        const x0 = ox * p.strideWidth - p.padLeft;
        const xa = Math.max(0, x0), xb = Math.min(p.inWidth, x0 + p.filterWidth);
        best.fill(-Infinity);
        at.fill(-1);
        for (let y = ya; y < yb; y++) {
          for (let xx = xa; xx < xb; xx++) {
            const i = (base + y * p.inWidth + xx) * c;
            for (let k = 0; k < c; k++) {
              if (x[i + k] > best[k]) {
                best[k] = x[i + k];
                at[k] = i + k;
              }
            }
          }
        }
        const o = ((b * p.outHeight + oy) * p.outWidth + ox) * c;
        for (let k = 0; k < c; k++) if (at[k] >= 0) dx[at[k]] += dy[o + k];
      }
    }
  }
}
