/**
 * Physical scale: the pixel size (µm per pixel) a grain recipe is generated at, so a model can be
 * trained at the magnification of the micrographs it will analyse. A recipe may leave it out
 * (unknown scale): recipes, share links and dataset fingerprints made before it existed keep their
 * bytes, because generation never reads it — it only labels what a pixel means.
 */
import { ParamError } from '../params/space';

/**
 * Allowed pixel sizes: 0.1 nm per pixel (TEM lattice images) to 1 mm per pixel (macro etch of a
 * whole part). Anything outside is a typo in units, so it is refused rather than stored.
 */
export const MIN_MICRONS_PER_PIXEL = 1e-4;
export const MAX_MICRONS_PER_PIXEL = 1000;

/** What is wrong with a pixel size, in words naming the field, or undefined when it is fine. */
export function micronsPerPixelError(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `Pixel size (micronsPerPixel) must be a number of µm per pixel; got ${JSON.stringify(value) ?? String(value)}.`;
  if (value < MIN_MICRONS_PER_PIXEL || value > MAX_MICRONS_PER_PIXEL) {
    return `Pixel size (micronsPerPixel) is ${value} µm per pixel, outside the allowed ${MIN_MICRONS_PER_PIXEL} to ${MAX_MICRONS_PER_PIXEL} µm per pixel.`;
  }
  return undefined;
}

/** Throws a ParamError for a recipe's pixel size that is present and not valid; absent is fine (unknown scale). */
export function validateMicronsPerPixel(value: unknown): void {
  if (value === undefined) return;
  const message = micronsPerPixelError(value);
  if (message) throw new ParamError('micronsPerPixel', message);
}

/** A length in px at `micronsPerPixel`, in µm, and back. */
export const pxToMicrons = (px: number, micronsPerPixel: number): number => px * micronsPerPixel;
export const micronsToPx = (microns: number, micronsPerPixel: number): number => microns / micronsPerPixel;
