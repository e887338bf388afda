/** Image filters on float images in row-major order. */

/**
 * Gaussian blur in place, edges clamped. Below sigma 1.5 the exact separable kernel; from 1.5 on
 * (where boxes come within 10 % of the sigma) three running-sum box passes per axis whose widths
 * match the Gaussian's variance (Kovesi's "boxes for Gauss"), so the cost no longer grows with sigma.
 */
export function gaussianBlur(image: Float32Array, size: number, sigma: number): void {
  if (sigma < 0.2) return;
  const scratch = new Float32Array(image.length);
  if (sigma < 1.5) {
    const kernel = gaussianKernel(sigma);
    convolveRows(image, scratch, size, kernel);
    convolveColumns(scratch, image, size, kernel);
    return;
  }
  for (const width of boxWidths(sigma, 3)) {
    boxRows(image, scratch, size, (width - 1) / 2);
    boxColumns(scratch, image, size, (width - 1) / 2);
  }
}

/** Radius 2.5 sigma: the tail beyond holds about 1 % of the weight, and 1/6 fewer taps than 3 sigma. */
function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.ceil(2.5 * sigma);
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) sum += kernel[k + radius] = Math.exp(-(k * k) / (2 * sigma * sigma));
  for (let k = 0; k < kernel.length; k++) kernel[k] /= sum;
  return kernel;
}

/** Odd box widths whose n passes have (close to) the variance of a Gaussian of this sigma. */
export function boxWidths(sigma: number, n: number): number[] {
  const ideal = Math.sqrt((12 * sigma * sigma) / n + 1);
  let lower = Math.floor(ideal);
  if (lower % 2 === 0) lower--;
  const upper = lower + 2;
  const m = Math.round((12 * sigma * sigma - n * lower * lower - 4 * n * lower - 3 * n) / (-4 * lower - 4));
  return Array.from({ length: n }, (_, i) => (i < m ? lower : upper));
}

const clampIndex = (i: number, size: number) => (i < 0 ? 0 : i >= size ? size - 1 : i);

function convolveRows(src: Float32Array, dst: Float32Array, size: number, kernel: Float32Array) {
  const r = (kernel.length - 1) / 2;
  for (let y = 0; y < size; y++) {
    const row = y * size;
    for (let x = 0; x < size; x++) {
      let acc = 0;
      if (x >= r && x < size - r) for (let k = 0; k < kernel.length; k++) acc += kernel[k] * src[row + x - r + k];
      else for (let k = 0; k < kernel.length; k++) acc += kernel[k] * src[row + clampIndex(x - r + k, size)];
      dst[row + x] = acc;
    }
  }
}

/** Whole rows at a time so memory is read in order. */
function convolveColumns(src: Float32Array, dst: Float32Array, size: number, kernel: Float32Array) {
  const r = (kernel.length - 1) / 2;
  for (let y = 0; y < size; y++) {
    const out = y * size;
    dst.fill(0, out, out + size);
    for (let k = 0; k < kernel.length; k++) {
      const w = kernel[k];
      const src0 = clampIndex(y - r + k, size) * size;
      for (let x = 0; x < size; x++) dst[out + x] += w * src[src0 + x];
    }
  }
}

/** Running-sum box filter of radius r along rows. */
function boxRows(src: Float32Array, dst: Float32Array, size: number, r: number) {
  const inv = 1 / (2 * r + 1);
  for (let y = 0; y < size; y++) {
    const row = y * size;
    let acc = 0;
    for (let k = -r; k <= r; k++) acc += src[row + clampIndex(k, size)];
    for (let x = 0; x < size; x++) {
      dst[row + x] = acc * inv;
      acc += src[row + clampIndex(x + r + 1, size)] - src[row + clampIndex(x - r, size)];
    }
  }
}

/** Running-sum box filter of radius r down columns, a whole row of sums at a time. */
function boxColumns(src: Float32Array, dst: Float32Array, size: number, r: number) {
  const inv = 1 / (2 * r + 1);
  const acc = new Float64Array(size);
  for (let k = -r; k <= r; k++) {
    const row = clampIndex(k, size) * size;
    for (let x = 0; x < size; x++) acc[x] += src[row + x];
  }
  for (let y = 0; y < size; y++) {
    const out = y * size;
    const add = clampIndex(y + r + 1, size) * size;
    const drop = clampIndex(y - r, size) * size;
    for (let x = 0; x < size; x++) {
      dst[out + x] = acc[x] * inv;
      acc[x] += src[add + x] - src[drop + x];
    }
  }
}
