/**
 * Augmentation on uint8 samples, applied identically to image and mask: flips, 90° rotations, a
 * small rotation, zoom, stretch / squish and jitter (translation) as one affine warp (bilinear for
 * the image, nearest for the mask, edges replicated). The same warp resizes, so progressive
 * resizing costs nothing extra. Then photometric changes on the image only, covering what real
 * optics and cameras do to a micrograph that a generator does not: uneven illumination, gamma,
 * brightness and contrast, defocus blur, mottling, sensor noise and JPEG-like block artefacts. Every draw
 * comes from the seeded Rng, and the config is stored with the model. Last, the input
 * normalisation, the same at training and inference.
 */
import { Rng } from '../random';

export interface AugmentConfig {
  flips: boolean;
  rotate90: boolean;
  /** Largest extra rotation, degrees. */
  rotation: number;
  /** Largest zoom in (1.2 = up to 20 % closer). */
  zoom: number;
  /** Largest stretch of one axis against the other (0.1 = ±10 %). */
  stretch: number;
  /** Largest shift, as a fraction of the size. */
  jitter: number;
  /** Largest brightness change and contrast change (fractions). */
  brightness: number;
  contrast: number;
  /** Largest gamma (1.4 = gamma drawn log-uniformly in [1/1.4, 1.4]); 1 or absent = off. */
  gamma?: number;
  /** Largest Gaussian blur σ, in output pixels (applied to half the samples). */
  blur?: number;
  /** Largest noise standard deviation, as a fraction of the grey range. */
  noise?: number;
  /** Largest standard deviation of blotchy noise 1–4 px across, as a fraction of the grey range (applied to half the samples). */
  mottle?: number;
  /** Largest uneven illumination: a smooth multiplicative field of ± this fraction. */
  illumination?: number;
  /** Share of samples with 8×8 block quantisation, as JPEG compression leaves. */
  jpeg?: number;
}

export const DEFAULT_AUGMENT: AugmentConfig = {
  flips: true, rotate90: true, rotation: 10, zoom: 1.2, stretch: 0.1, jitter: 0.05, brightness: 0.15, contrast: 0.3,
  gamma: 1.5, blur: 1.2, noise: 0.05, mottle: 0.08, illumination: 0.25, jpeg: 0.3,
};
export const NO_AUGMENT: AugmentConfig = { flips: false, rotate90: false, rotation: 0, zoom: 1, stretch: 0, jitter: 0, brightness: 0, contrast: 0 };

/**
 * How grey values become network inputs. 'standardise' (the default for new models): each image
 * (a training sample, a crack window, a whole micrograph) to zero mean and unit spread, so a real
 * micrograph's brightness and contrast do not matter. 'fixed' (models trained before it):
 * 0 … 255 maps to −2 … 2.
 */
export type InputNorm = 'fixed' | 'standardise';

/** Below this spread (grey levels) an image is treated as flat, so its noise is not blown up. */
const MIN_SPREAD = 8;

export interface GreyStats { mean: number; spread: number }

/** Mean and spread (at least MIN_SPREAD) of `n` values from `offset`, every `step`-th (one channel of interleaved pixels). */
export function greyStats(values: ArrayLike<number>, offset = 0, n = values.length - offset, step = 1): GreyStats {
  let sum = 0, sq = 0;
  for (let k = 0, i = offset; k < n; k++, i += step) {
    sum += values[i];
    sq += values[i] * values[i];
  }
  const mean = sum / n;
  return { mean, spread: Math.max(MIN_SPREAD, Math.sqrt(Math.max(0, sq / n - mean * mean))) };
}

/**
 * Grey values (0 … 255 scale) → network inputs, in place: `n` values from `offset`, every
 * `step`-th. With 'standardise', `stats` (default: these values' own) gives the mean and spread.
 */
export function normaliseInput(values: Float32Array, offset: number, n: number, norm: InputNorm, stats?: GreyStats, step = 1): void {
  if (norm === 'fixed') {
    for (let k = 0, i = offset; k < n; k++, i += step) values[i] = (values[i] / 255 - 0.5) * 4;
    return;
  }
  const { mean, spread } = stats ?? greyStats(values, offset, n, step);
  // Scaled to a spread of 0.5 rather than 1, so typical values stay within the ±2 'fixed' range.
  for (let k = 0, i = offset; k < n; k++, i += step) values[i] = ((values[i] - mean) / spread) * 0.5;
}

/** Per-channel statistics of interleaved pixels (1 grey, 3 RGB). */
export function channelStats(pixels: ArrayLike<number>, channels: number): GreyStats[] {
  const n = pixels.length / channels;
  return Array.from({ length: channels }, (_, c) => greyStats(pixels, c, n, channels));
}

/**
 * `n` pixels of interleaved inputs (`channels` per pixel) from `offset` → network inputs, in place,
 * each channel on its own: the one rule for RGB, used by training (augmentRgbInto) and by Analyse.
 * With 'standardise', `stats` (one per channel) gives the mean and spread, else each channel's own.
 */
export function normaliseChannels(values: Float32Array, offset: number, n: number, channels: number, norm: InputNorm, stats?: readonly GreyStats[]): void {
  for (let c = 0; c < channels; c++) normaliseInput(values, offset + c, n, norm, stats?.[c], channels);
}

/** Network input → grey byte, for showing what the network saw. */
export const inputToGrey = (v: number) => Math.max(0, Math.min(255, Math.round((v / 4 + 0.5) * 255)));

/** Photometric changes on one outSize² image of grey values (0 … 255 scale), in place. */
function photometric(img: Float32Array, o: number, size: number, cfg: AugmentConfig, rng: Rng): void {
  const n = size * size;
  const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);
  if (cfg.illumination) {
    // A smooth field: a random tilt plus a random bowl, ± illumination at the corners.
    const p = rng.uniform(-1, 1), q = rng.uniform(-1, 1), r = rng.uniform(-1, 1), amp = rng.next() * cfg.illumination / 2;
    for (let j = 0; j < size; j++) for (let i = 0; i < size; i++) {
      const u = (2 * i) / size - 1, v = (2 * j) / size - 1;
      img[o + j * size + i] *= 1 + amp * (p * u + q * v + r * (u * u + v * v - 0.66));
    }
  }
  const gamma = cfg.gamma && cfg.gamma > 1 ? Math.exp(rng.uniform(-1, 1) * Math.log(cfg.gamma)) : 1;
  const gain = 1 + rng.uniform(-1, 1) * cfg.contrast, shift = rng.uniform(-1, 1) * cfg.brightness * 255;
  for (let k = o; k < o + n; k++) {
    const g = gamma === 1 ? clamp(img[k]) : 255 * Math.pow(clamp(img[k]) / 255, gamma);
    img[k] = clamp((g - 127.5) * gain + 127.5 + shift);
  }
  if (cfg.blur && rng.next() < 0.5) blurInPlace(img, o, size, rng.next() * cfg.blur);
  if (cfg.mottle && rng.next() < 0.5) {
    // Blotches 1–4 px across (noise blurred to that scale): real surfaces mottle at scales the
    // generators do not draw, and a network that reads them as boundaries invents grains.
    const field = new Float32Array(n);
    for (let k = 0; k < n; k++) field[k] = rng.normal();
    blurInPlace(field, 0, size, rng.uniform(1, 4));
    let sq = 0;
    for (let k = 0; k < n; k++) sq += field[k] * field[k];
    const amp = (rng.next() * cfg.mottle * 255) / Math.max(1e-6, Math.sqrt(sq / n));
    for (let k = 0; k < n; k++) img[o + k] = clamp(img[o + k] + amp * field[k]);
  }
  if (cfg.noise) {
    const sigma = rng.next() * cfg.noise * 255;
    for (let k = o; k < o + n; k++) img[k] = clamp(img[k] + sigma * rng.normal());
  }
  if (cfg.jpeg && rng.next() < cfg.jpeg) {
    // Each 8×8 block keeps its mean; deviations from it are quantised, as coarse JPEG does.
    const step = rng.uniform(4, 20);
    for (let by = 0; by < size; by += 8) for (let bx = 0; bx < size; bx += 8) {
      let sum = 0, count = 0;
      for (let j = by; j < Math.min(size, by + 8); j++) for (let i = bx; i < Math.min(size, bx + 8); i++, count++) sum += img[o + j * size + i];
      const mean = sum / count;
      for (let j = by; j < Math.min(size, by + 8); j++) for (let i = bx; i < Math.min(size, bx + 8); i++) {
        const k = o + j * size + i;
        img[k] = clamp(mean + Math.round((img[k] - mean) / step) * step);
      }
    }
  }
}

/** Separable Gaussian blur of one size² image, edges replicated. */
function blurInPlace(img: Float32Array, o: number, size: number, sigma: number): void {
  if (sigma < 0.3) return;
  const radius = Math.ceil(2.5 * sigma);
  const weights = Array.from({ length: 2 * radius + 1 }, (_, k) => Math.exp(-((k - radius) ** 2) / (2 * sigma * sigma)));
  const total = weights.reduce((a, w) => a + w, 0);
  const line = new Float32Array(size);
  for (const horizontal of [true, false]) {
    for (let a = 0; a < size; a++) {
      for (let b = 0; b < size; b++) {
        let v = 0;
        for (let k = -radius; k <= radius; k++) {
          const c = Math.min(size - 1, Math.max(0, b + k));
          v += weights[k + radius] * img[o + (horizontal ? a * size + c : c * size + a)];
        }
        line[b] = v / total;
      }
      for (let b = 0; b < size; b++) img[o + (horizontal ? a * size + b : b * size + a)] = line[b];
    }
  }
}

/**
 * Writes the augmented, resized `outSize`² sample into `image` (network inputs, normalised by
 * `norm`) and `mask` (class indices: mask > 127 → 1) at the given offsets.
 */
export function augmentInto(
  src: Uint8Array, srcMask: Uint8Array | null, size: number, outSize: number, cfg: AugmentConfig, rng: Rng,
  image: Float32Array, imageOffset: number, mask: Uint8Array | null, maskOffset: number, norm: InputNorm = 'fixed',
): void {
  warpInto(src, srcMask, size, outSize, cfg, rng, image, imageOffset, mask, maskOffset);
  normaliseInput(image, imageOffset, outSize * outSize, norm);
}

/** The warp and photometric changes of `augmentInto`, leaving grey values (0 … 255 scale) unnormalised. */
function warpInto(
  src: Uint8Array, srcMask: Uint8Array | null, size: number, outSize: number, cfg: AugmentConfig, rng: Rng,
  image: Float32Array, imageOffset: number, mask: Uint8Array | null, maskOffset: number,
): void {
  // Output pixel centre (u, v) in [-1, 1]² → source (x, y) in [-1, 1]²: x = a·u + b·v + tx, y = c·u + d·v + ty.
  let a = 1, b = 0, c = 0, d = 1;
  const compose = (m00: number, m01: number, m10: number, m11: number) => {
    [a, b, c, d] = [m00 * a + m01 * c, m00 * b + m01 * d, m10 * a + m11 * c, m10 * b + m11 * d];
  };
  if (cfg.flips && rng.next() < 0.5) compose(-1, 0, 0, 1);
  if (cfg.flips && rng.next() < 0.5) compose(1, 0, 0, -1);
  if (cfg.rotate90) for (let k = rng.int(0, 3); k > 0; k--) compose(0, -1, 1, 0);
  const theta = ((rng.next() * 2 - 1) * cfg.rotation * Math.PI) / 180;
  compose(Math.cos(theta), -Math.sin(theta), Math.sin(theta), Math.cos(theta));
  const zoom = 1 / (1 + rng.next() * (cfg.zoom - 1));
  const stretch = 1 + (rng.next() * 2 - 1) * cfg.stretch;
  compose(zoom * stretch, 0, 0, zoom / stretch);
  const tx = (rng.next() * 2 - 1) * cfg.jitter * 2, ty = (rng.next() * 2 - 1) * cfg.jitter * 2;

  const half = size / 2, scale = 2 / outSize;
  for (let j = 0; j < outSize; j++) {
    const v = (j + 0.5) * scale - 1;
    for (let i = 0; i < outSize; i++) {
      const u = (i + 0.5) * scale - 1;
      const x = (a * u + b * v + tx + 1) * half - 0.5, y = (c * u + d * v + ty + 1) * half - 0.5;
      const xc = x < 0 ? 0 : x > size - 1 ? size - 1 : x, yc = y < 0 ? 0 : y > size - 1 ? size - 1 : y;
      const x0 = Math.min(size - 2, xc | 0), y0 = Math.min(size - 2, yc | 0), fx = xc - x0, fy = yc - y0;
      const o = y0 * size + x0;
      const top = src[o] + fx * (src[o + 1] - src[o]);
      const bottom = src[o + size] + fx * (src[o + size + 1] - src[o + size]);
      image[imageOffset + j * outSize + i] = top + fy * (bottom - top);
      if (srcMask && mask) mask[maskOffset + j * outSize + i] = srcMask[Math.round(yc) * size + Math.round(xc)] > 127 ? 1 : 0;
    }
  }
  photometric(image, imageOffset, outSize, cfg, rng);
}

/**
 * `augmentInto` for an RGB sample (3 bytes per pixel, interleaved): every channel gets the same
 * warp and photometric change (one seed drawn from `rng` for all three), and with 'standardise'
 * each channel is standardised on its own. Writes `outSize`² × 3 interleaved inputs (NHWC).
 */
export function augmentRgbInto(
  src: Uint8Array, srcMask: Uint8Array | null, size: number, outSize: number, cfg: AugmentConfig, rng: Rng,
  image: Float32Array, imageOffset: number, mask: Uint8Array | null, maskOffset: number, norm: InputNorm = 'fixed',
): void {
  const seed = rng.uint32();
  const n = size * size, out = outSize * outSize;
  const plane = new Uint8Array(n), result = new Float32Array(out);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n; i++) plane[i] = src[3 * i + c];
    warpInto(plane, c === 0 ? srcMask : null, size, outSize, cfg, new Rng(seed), result, 0, c === 0 ? mask : null, maskOffset);
    for (let i = 0; i < out; i++) image[imageOffset + 3 * i + c] = result[i];
  }
  normaliseChannels(image, imageOffset, out, 3, norm);
}
