/** Cutting real images into labelled tiles, and seeded train / validation / test splits. */
import { hashSeed, Rng } from '../random';
import type { CrackLabel } from '../synth/cracks/index';
import { MIN_CRACK_PIXELS } from '../synth/cracks/index';

export const TILE = 128;

export interface GreyImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/**
 * Most tiles one image may have. A grid at a tiny stride would otherwise make millions of tile
 * records (a 4,000² image at stride 1 makes 15 million) and keep the tab busy for minutes; 10,000
 * is a 6,500² image at the 64-px stride, and the tile editor still draws that many.
 */
export const MAX_TILES_PER_IMAGE = 10_000;

/** A grid that would make more than MAX_TILES_PER_IMAGE tiles; says the smallest stride that fits. */
export class TooManyTilesError extends RangeError {
  constructor(readonly count: number, readonly stride: number, readonly minStride: number, width: number, height: number) {
    super(`A stride of ${stride} px would cut ${count.toLocaleString('en')} tiles from this ${width}×${height} image; at most ` +
      `${MAX_TILES_PER_IMAGE.toLocaleString('en')} are allowed per image. Raise the stride to ${minStride} px or more.`);
    this.name = 'TooManyTilesError';
  }
}

/** Tiles along one side: every stride step, plus one flush with the edge. */
const along = (extent: number, size: number, stride: number) => (extent < size ? 0 : Math.ceil((extent - size) / stride) + 1);

/** How many tiles a grid with this stride has, without making it. */
export function gridCount(width: number, height: number, size: number, stride: number): number {
  return along(width, size, stride) * along(height, size, stride);
}

/**
 * The centred window of an image of at most `budget` pixels, of the image's shape (within its
 * sides): the whole image when it is small enough. For measuring large images on a part of them.
 */
export function centralBox(width: number, height: number, budget: number): { x0: number; y0: number; width: number; height: number } {
  const w = width * height <= budget ? width : Math.min(width, Math.max(1, Math.round(Math.sqrt((budget * width) / height))));
  const h = Math.min(height, Math.floor(budget / w));
  return { x0: (width - w) >> 1, y0: (height - h) >> 1, width: w, height: h };
}

/**
 * Top-left corners of the tiles of a grid with this stride; the last row and column sit flush with
 * the edge. A grid of more than MAX_TILES_PER_IMAGE tiles is refused before any is made.
 */
export function gridPositions(width: number, height: number, size: number, stride: number): [number, number][] {
  if (!(Number.isInteger(stride) && stride >= 1)) throw new RangeError(`Stride must be a whole number of pixels, at least 1; got ${stride}.`);
  const count = gridCount(width, height, size, stride);
  if (count > MAX_TILES_PER_IMAGE) {
    let minStride = stride;
    while (gridCount(width, height, size, minStride) > MAX_TILES_PER_IMAGE) minStride++;
    throw new TooManyTilesError(count, stride, minStride, width, height);
  }
  if (count === 0) return [];
  const steps = (extent: number) => {
    const out: number[] = [];
    for (let p = 0; p + size <= extent; p += stride) out.push(p);
    if (out[out.length - 1] !== extent - size) out.push(extent - size);
    return out;
  };
  const out: [number, number][] = [];
  for (const y of steps(height)) for (const x of steps(width)) out.push([x, y]);
  return out;
}

/** The tile whose centre is nearest the clicked point, kept inside the image. */
export function tileAt(width: number, height: number, size: number, cx: number, cy: number): [number, number] {
  const clamp = (v: number, max: number) => Math.min(Math.max(0, Math.round(v - size / 2)), max);
  return [clamp(cx, width - size), clamp(cy, height - size)];
}

export function cutTile(image: GreyImage, x: number, y: number, size: number, channels = 1): Uint8Array {
  const c = channels, tile = new Uint8Array(size * size * c);
  for (let v = 0; v < size; v++) tile.set(image.pixels.subarray(((y + v) * image.width + x) * c, ((y + v) * image.width + x + size) * c), v * size * c);
  return tile;
}

/**
 * A decoded mask in the convention every reader here thresholds (> 127 = crack or boundary): a
 * mask that holds only 0 and 1, as label tools and NumPy often save them, becomes 0 and 255 (read
 * as it is, every pixel fell below the threshold and every tile read as no crack).
 */
export function maskLevels<T extends GreyImage>(mask: T): T {
  let most = 0;
  for (const v of mask.pixels) if (v > most) most = v;
  return most === 1 ? { ...mask, pixels: mask.pixels.map((v) => v * 255) } : mask;
}

/**
 * Refuses a mask that is not its image's size: cut or resized apart from the image, its labels
 * would fall beside the boundaries and cracks they mark.
 */
export function checkMaskSize(mask: { width: number; height: number }, image: { width: number; height: number }, maskPath: string, imagePath: string): void {
  if (mask.width !== image.width || mask.height !== image.height) {
    throw new Error(`${maskPath} is ${mask.width}×${mask.height}, not the size of its image ${imagePath} (${image.width}×${image.height}); masks must match their images pixel for pixel.`);
  }
}

/**
 * Whether a mask marks more than half its pixels (> 127): cracks and grain boundaries cover a few
 * per cent of an image, so such a mask is most likely drawn the other way round (black on white).
 */
export function maskLooksInverted(mask: GreyImage): boolean {
  let marked = 0;
  for (const v of mask.pixels) if (v > 127) marked++;
  return marked > mask.pixels.length / 2;
}

/**
 * The label a crack mask gives a tile, as in the real tile set: "crack" with at least 40 crack
 * pixels (mask > 127), "no_crack" with none, and no label (left to the user) in between.
 */
export function labelFromMask(mask: GreyImage, x: number, y: number, size: number): CrackLabel | null {
  let crack = 0;
  for (let v = 0; v < size; v++) {
    const row = (y + v) * mask.width + x;
    for (let u = 0; u < size; u++) if (mask.pixels[row + u] > 127) crack++;
  }
  return crack >= MIN_CRACK_PIXELS ? 'crack' : crack === 0 ? 'no_crack' : null;
}

export type Split = 'train' | 'val' | 'test';

export interface SplitSettings {
  seed: number;
  /** Fractions of the labelled tiles; the rest is training. */
  val: number;
  test: number;
}

export function splitSettingsError(s: SplitSettings): string | undefined {
  if (!Number.isInteger(s.seed) || s.seed < 0) return 'The split seed must be a whole number, 0 or more.';
  if (!(s.val >= 0 && s.test >= 0 && s.val + s.test < 1)) return 'Validation and test fractions must be 0 or more and add up to less than 1.';
  return undefined;
}

/**
 * Seeded split, stratified by label so every split keeps the class balance. Pinned tiles always
 * go to test and count towards its share. Depends only on the seed and the tile ids.
 */
export function assignSplits<T extends { id: string; label: CrackLabel | null; pinnedTest?: boolean }>(
  tiles: readonly T[], settings: SplitSettings): Map<string, Split> {
  const out = new Map<string, Split>();
  for (const label of ['crack', 'no_crack'] as const) {
    const group = tiles.filter((t) => t.label === label).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const pinned = group.filter((t) => t.pinnedTest);
    const free = group.filter((t) => !t.pinnedTest);
    const rng = new Rng(hashSeed(settings.seed, label === 'crack' ? 1 : 2));
    for (let i = free.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [free[i], free[j]] = [free[j], free[i]];
    }
    const counts = splitCounts(group.length, settings.val, settings.test);
    const testCount = Math.max(0, counts.test - pinned.length), valCount = counts.val;
    for (const t of pinned) out.set(t.id, 'test');
    free.forEach((t, k) => out.set(t.id, k < testCount ? 'test' : k < testCount + valCount ? 'val' : 'train'));
  }
  return out;
}

/**
 * How many of `n` go to validation and test at these shares: by largest remainder, so the three
 * counts add up to n and each stays within one of its share (ties go to test, then validation).
 * Rounded each on its own, both rounded up and 2 images at 0.25 / 0.25 left none to train on.
 */
export function splitCounts(n: number, val: number, test: number): { val: number; test: number } {
  const quotas = [test * n, val * n, (1 - val - test) * n].map((q) => Math.round(q * 1e9) / 1e9); // test, val, train
  const counts = quotas.map(Math.floor);
  let left = n - counts.reduce((a, b) => a + b, 0);
  const byRemainder = [0, 1, 2].sort((a, b) => quotas[b] - counts[b] - (quotas[a] - counts[a]) || a - b);
  for (const k of byRemainder) if (left-- > 0) counts[k]++;
  return { test: counts[0], val: counts[1] };
}

/** Bilinear (image) or nearest (mask) resize of a w×h grey image to size². */
export function resizeSquare(img: GreyImage, size: number, nearest: boolean): Uint8Array {
  const out = new Uint8Array(size * size);
  const sx = img.width / size, sy = img.height / size;
  for (let j = 0; j < size; j++) for (let i = 0; i < size; i++) {
    const x = Math.min(img.width - 1, Math.max(0, (i + 0.5) * sx - 0.5)), y = Math.min(img.height - 1, Math.max(0, (j + 0.5) * sy - 0.5));
    if (nearest) {
      out[j * size + i] = img.pixels[Math.round(y) * img.width + Math.round(x)];
      continue;
    }
    const x0 = Math.min(img.width - 2, Math.floor(x)), y0 = Math.min(img.height - 2, Math.floor(y)), fx = x - x0, fy = y - y0;
    const at = (u: number, v: number) => img.pixels[v * img.width + u];
    const top = at(x0, y0) + fx * (at(x0 + 1, y0) - at(x0, y0)), bottom = at(x0, y0 + 1) + fx * (at(x0 + 1, y0 + 1) - at(x0, y0 + 1));
    out[j * size + i] = Math.round(top + fy * (bottom - top));
  }
  return out;
}
