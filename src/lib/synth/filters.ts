/**
 * Image filters on float images in row-major order. Float64Array throughout: V8 reads doubles
 * without conversion, measured 1.5× faster per pass than Float32Array at 512².
 */

/**
 * Gaussian blur in place, edges clamped. Below sigma 1.5: repeated 3-tap passes
 * [w, 1 − 2w, w] (variance 2w each, w ≤ 1/4) whose variances add up to sigma², which converges to
 * the Gaussian and costs one cheap pass per 0.5 px² of variance. From 1.5 on, three running-sum
 * box passes per axis whose widths match the variance (Kovesi's "boxes for Gauss"), so the cost
 * no longer grows with sigma.
 */
export function gaussianBlur(image: Float64Array, size: number, sigma: number, keptScratch?: Float64Array, firstRowsDone = false): void {
  blurInto(image, size, sigma, keptScratch ?? null, null, firstRowsDone);
}

/**
 * gaussianBlur, then each pixel × 255 into `bytes` (clamped and rounded by the array), with the
 * last pass writing the bytes directly instead of the image: one sweep over the image fewer, and
 * the same bytes, as the last pass computes the same doubles. `image` is left part-blurred.
 * `scratch`, when given, is used instead of a new image-sized buffer.
 */
export function gaussianBlurToBytes(image: Float64Array, size: number, sigma: number, scratch: Float64Array | null,
  bytes: Uint8ClampedArray, firstRowsDone = false): void {
  blurInto(image, size, sigma, scratch, bytes, firstRowsDone);
}

/**
 * The blur's first pass along rows, one row at a time, from `image` into the scratch buffer, for a
 * caller that makes the image row by row: it blurs each row while the row is still in cache, then
 * calls gaussianBlur or gaussianBlurToBytes with the same sigma and scratch and `firstRowsDone`
 * (a 512² grain sample no longer reads its 2 MiB image back from memory for that pass). Null where
 * the blur has no rows pass (sigma below 0.2).
 */
export function firstRowsPass(size: number, sigma: number): ((image: Float64Array, scratch: Float64Array, y: number) => void) | null {
  if (sigma < 0.2) return null;
  if (sigma < 1.5) {
    const w = threeTapWeight(sigma);
    return (image, scratch, y) => threeTapRow(image, scratch, y * size, size, w);
  }
  const r = (boxWidths(sigma, 3)[0] - 1) / 2;
  const line = new Float64Array(size + 2 * r + 1);
  return (image, scratch, y) => boxRow(image, scratch, y * size, size, r, line);
}

/** Below sigma 1.5: how many 3-tap passes, each [w, 1 − 2w, w] with variance 2w. */
const threeTapPasses = (sigma: number) => Math.ceil((sigma * sigma) / 0.5);
const threeTapWeight = (sigma: number) => (sigma * sigma) / (2 * threeTapPasses(sigma));

function blurInto(image: Float64Array, size: number, sigma: number, kept: Float64Array | null, bytes: Uint8ClampedArray | null,
  firstRowsDone: boolean) {
  if (sigma < 0.2) {
    if (bytes) for (let i = 0; i < image.length; i++) bytes[i] = image[i] * 255;
    return;
  }
  if (firstRowsDone && !kept) throw new Error('A blur whose first rows pass is done needs the scratch buffer that pass wrote');
  const scratch = kept ?? new Float64Array(image.length);
  if (sigma < 1.5) {
    const passes = threeTapPasses(sigma);
    const w = threeTapWeight(sigma);
    for (let k = 0; k < passes; k++) {
      if (k > 0 || !firstRowsDone) threeTapRows(image, scratch, size, w);
      if (bytes && k === passes - 1) threeTapColumnsToBytes(scratch, bytes, size, w);
      else threeTapColumns(scratch, image, size, w);
    }
    return;
  }
  const widths = boxWidths(sigma, 3);
  const line = new Float64Array(size + Math.max(...widths));
  widths.forEach((width, k) => {
    if (k > 0 || !firstRowsDone) for (let y = 0; y < size; y++) boxRow(image, scratch, y * size, size, (width - 1) / 2, line);
    if (bytes && k === widths.length - 1) boxColumns(scratch, bytes, size, (width - 1) / 2, 255);
    else boxColumns(scratch, image, size, (width - 1) / 2, 1);
  });
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

function threeTapRows(src: Float64Array, dst: Float64Array, size: number, w: number) {
  for (let y = 0; y < size; y++) threeTapRow(src, dst, y * size, size, w);
}

/** One row's 3-tap pass, the row starting at `o`. */
function threeTapRow(src: Float64Array, dst: Float64Array, o: number, size: number, w: number) {
  const c = 1 - 2 * w;
  const last = o + size - 1;
  dst[o] = (c + w) * src[o] + w * src[o + 1];
  // The three taps rotate through locals: one load per pixel instead of three. Four pixels per
  // iteration: 1.2–1.4× faster than one in V8 at 512² (less loop overhead per pixel), same doubles.
  let left = src[o], mid = src[o + 1];
  let i = o + 1;
  for (; i + 3 < last; i += 4) {
    const r1 = src[i + 1], r2 = src[i + 2], r3 = src[i + 3], r4 = src[i + 4];
    dst[i] = c * mid + w * (left + r1);
    dst[i + 1] = c * r1 + w * (mid + r2);
    dst[i + 2] = c * r2 + w * (r1 + r3);
    dst[i + 3] = c * r3 + w * (r2 + r4);
    left = r3;
    mid = r4;
  }
  for (; i < last; i++) {
    const right = src[i + 1];
    dst[i] = c * mid + w * (left + right);
    left = mid;
    mid = right;
  }
  dst[last] = (c + w) * src[last] + w * src[last - 1];
}

function threeTapColumns(src: Float64Array, dst: Float64Array, size: number, w: number) {
  const c = 1 - 2 * w, n = size * size;
  for (let x = 0; x < size; x++) {
    dst[x] = (c + w) * src[x] + w * src[x + size];
    dst[n - size + x] = (c + w) * src[n - size + x] + w * src[n - 2 * size + x];
  }
  // Four output rows per sweep share their source rows: six loads for four pixels instead of
  // twelve (1.4× faster at 512²), the same doubles.
  let y = 1;
  for (; y + 4 < size; y += 4) {
    for (let i = y * size, end = i + size; i < end; i++) {
      const r0 = src[i - size], r1 = src[i], r2 = src[i + size], r3 = src[i + 2 * size], r4 = src[i + 3 * size], r5 = src[i + 4 * size];
      dst[i] = c * r1 + w * (r0 + r2);
      dst[i + size] = c * r2 + w * (r1 + r3);
      dst[i + 2 * size] = c * r3 + w * (r2 + r4);
      dst[i + 3 * size] = c * r4 + w * (r3 + r5);
    }
  }
  for (let i = y * size; i < n - size; i++) dst[i] = c * src[i] + w * (src[i - size] + src[i + size]);
}

/**
 * threeTapColumns with each result × 255 stored as a byte. A function of its own rather than a
 * scale argument, so that each store site sees one array type and the image passes skip the
 * multiply (a few per cent of the blur).
 */
function threeTapColumnsToBytes(src: Float64Array, dst: Uint8ClampedArray, size: number, w: number) {
  const c = 1 - 2 * w, n = size * size;
  for (let x = 0; x < size; x++) {
    dst[x] = ((c + w) * src[x] + w * src[x + size]) * 255;
    dst[n - size + x] = ((c + w) * src[n - size + x] + w * src[n - 2 * size + x]) * 255;
  }
  let y = 1;
  for (; y + 4 < size; y += 4) {
    for (let i = y * size, end = i + size; i < end; i++) {
      const r0 = src[i - size], r1 = src[i], r2 = src[i + size], r3 = src[i + 2 * size], r4 = src[i + 3 * size], r5 = src[i + 4 * size];
      dst[i] = (c * r1 + w * (r0 + r2)) * 255;
      dst[i + size] = (c * r2 + w * (r1 + r3)) * 255;
      dst[i + 2 * size] = (c * r3 + w * (r2 + r4)) * 255;
      dst[i + 3 * size] = (c * r4 + w * (r3 + r5)) * 255;
    }
  }
  for (let i = y * size; i < n - size; i++) dst[i] = (c * src[i] + w * (src[i - size] + src[i + size])) * 255;
}

/**
 * Running-sum box filter of radius r along the row starting at `base`, through `line` (at least
 * size + 2r + 1 long) padded with the row's edge pixels.
 */
function boxRow(src: Float64Array, dst: Float64Array, base: number, size: number, r: number, line: Float64Array) {
  const inv = 1 / (2 * r + 1);
  line.set(src.subarray(base, base + size), r);
  line.fill(src[base], 0, r);
  line.fill(src[base + size - 1], r + size, r + size + r + 1);
  let acc = 0;
  for (let k = 0; k <= 2 * r; k++) acc += line[k];
  for (let x = 0; x < size; x++) {
    dst[base + x] = acc * inv;
    acc += line[x + 2 * r + 1] - line[x];
  }
}

/** Running-sum box filter of radius r down columns, a whole row of sums at a time. */
function boxColumns(src: Float64Array, dst: Float64Array | Uint8ClampedArray, size: number, r: number, scale: number) {
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
      dst[out + x] = acc[x] * inv * scale;
      acc[x] += src[add + x] - src[drop + x];
    }
  }
}
