/**
 * Augmentation on uint8 samples, applied identically to image and mask: flips, 90° rotations, a
 * small rotation, zoom, stretch / squish and jitter (translation) as one affine warp (bilinear for
 * the image, nearest for the mask, edges replicated), then brightness and contrast on the image.
 * The same warp resizes, so progressive resizing costs nothing extra.
 */
import type { Rng } from '../random';

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
}

export const DEFAULT_AUGMENT: AugmentConfig = {
  flips: true, rotate90: true, rotation: 10, zoom: 1.2, stretch: 0.1, jitter: 0.05, brightness: 0.1, contrast: 0.1,
};
export const NO_AUGMENT: AugmentConfig = { flips: false, rotate90: false, rotation: 0, zoom: 1, stretch: 0, jitter: 0, brightness: 0, contrast: 0 };

/** Image bytes → network input: 0 … 255 maps to −2 … 2 (mean 0.5, spread 0.25). */
export const normalise = (v: number) => (v / 255 - 0.5) * 4;

/**
 * Writes the augmented, resized `outSize`² sample into `image` (normalised floats) and `mask`
 * (class indices: mask > 127 → 1) at the given offsets.
 */
export function augmentInto(
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
  const gain = 1 + (rng.next() * 2 - 1) * cfg.contrast, shift = (rng.next() * 2 - 1) * cfg.brightness * 255;

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
      const value = (top + fy * (bottom - top) - 127.5) * gain + 127.5 + shift;
      image[imageOffset + j * outSize + i] = normalise(value < 0 ? 0 : value > 255 ? 255 : value);
      if (srcMask && mask) mask[maskOffset + j * outSize + i] = srcMask[Math.round(yc) * size + Math.round(xc)] > 127 ? 1 : 0;
    }
  }
}
