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

/**
 * dx (zeroed by the caller) += dy routed to each window's maximum of x, found as the window's first
 * element equal to the forward output y (max-pooling returns one of its inputs exactly). Scanning
 * for the largest value instead mispredicts a branch at every new running maximum, and took twice as
 * long on a ResNet stem's pool. A window without its value (a NaN) passes no gradient.
 */
export function maxPoolGrad(x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, p: PoolGeometry): void {
  const c = p.channels;
  for (let b = 0; b < p.batch; b++) {
    const base = b * p.inHeight * p.inWidth;
    for (let oy = 0; oy < p.outHeight; oy++) {
      const y0 = oy * p.strideHeight - p.padTop;
      const ya = Math.max(0, y0), yb = Math.min(p.inHeight, y0 + p.filterHeight);
      for (let ox = 0; ox < p.outWidth; ox++) {
        const x0 = ox * p.strideWidth - p.padLeft;
        const xa = Math.max(0, x0), xb = Math.min(p.inWidth, x0 + p.filterWidth);
        const o = ((b * p.outHeight + oy) * p.outWidth + ox) * c;
        for (let k = 0; k < c; k++) {
          const max = y[o + k];
          search: for (let yy = ya; yy < yb; yy++) {
            for (let xx = xa, i = (base + yy * p.inWidth + xa) * c + k; xx < xb; xx++, i += c) {
              if (x[i] === max) {
                dx[i] += dy[o + k];
                break search;
              }
            }
          }
        }
      }
    }
  }
}
