/**
 * How wide the user's own labels draw a boundary. Hand-traced masks draw boundaries a few pixels
 * wide, by the tracer's pen rather than by the micrograph, and a network learns the width its
 * labels show: trained on 1.5-px synthetic labels it predicts thin lines, and against 3-px
 * tracings even a perfectly placed thin line scores a boundary IoU near 0.5. Matching the
 * synthetic label width (`maskWidth`) to the user's convention removes that mismatch; it reads
 * label masks only, so experiments take it from the real training split, never the test set.
 */
import { zhangSuen } from '../../analysis/skeleton';
import { generateGrainSample, type GrainRecipe } from './index';
import { GRAIN_PARAMS } from './space';
import { resizeSquare } from '../../data/tiling';

export interface LabelMask {
  /** One byte per pixel; above 127 = boundary (masks are anti-aliased at their edges). */
  pixels: ArrayLike<number>;
  width: number;
  height: number;
}

/**
 * Mean boundary width in px of label masks: boundary area over the length of its centre line (the
 * Zhang–Suen skeleton, links between 4-neighbours counted 1, between diagonal neighbours √2),
 * pooled over all masks. Undefined when no mask holds a boundary.
 */
export function labelBoundaryWidth(masks: readonly LabelMask[]): number | undefined {
  let area = 0, length = 0;
  for (const { pixels, width, height } of masks) {
    const boundary = new Uint8Array(width * height);
    for (let i = 0; i < boundary.length; i++) if (pixels[i] > 127) { boundary[i] = 1; area++; }
    length += centreLineLength(zhangSuen(boundary, width, height), width, height);
  }
  return length > 0 ? area / length : undefined;
}

/** Length of a one-pixel skeleton: every link to the east, south-east, south and south-west neighbour once. */
function centreLineLength(s: Uint8Array, w: number, h: number): number {
  let straight = 0, diagonal = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!s[y * w + x]) continue;
      if (x + 1 < w && s[y * w + x + 1]) straight++;
      if (y + 1 < h) {
        const below = (y + 1) * w + x;
        if (s[below]) straight++;
        if (x + 1 < w && s[below + 1]) diagonal++;
        if (x > 0 && s[below - 1]) diagonal++;
      }
    }
  }
  return straight + diagonal * Math.SQRT2;
}

/** How far the label width may vary around the matched one (tracers' pens vary a little too). */
const WIDTH_SPREAD = 0.1;

/** The generator's limits on the label width (px at the recipe's size). */
export const GRAIN_MASK_WIDTH: Readonly<{ min: number; max: number }> = (() => {
  const spec = GRAIN_PARAMS.find((p) => p.name === 'maskWidth')!;
  return Object.freeze({ min: spec.min, max: spec.max });
})();

/**
 * The recipe with its label width (`maskWidth`) set so that its masks, brought to `atSize` px as
 * training brings them (nearest neighbour), measure `width` px by `labelBoundaryWidth` — the same
 * measure on the same grid as the user's masks at the network's input. The measure reads low where
 * boundaries meet (by 7–35 %, more for wide lines between small grains) and steps with the
 * resampling, so the width is found on the recipe's own masks, not by formula: a few samples are
 * made at a trial width and the width scaled by the measured ratio, three times (the measure is
 * close to proportional to the width). The grain geometry does not depend on the label width, so
 * the trials differ in the width alone. `reached` is what the chosen width measures: short of
 * `width` where the generator's limits hold it (NaN if the masks hold no boundary).
 */
export function withLabelWidth(recipe: GrainRecipe, width: number, atSize = recipe.size, samples = 4): { recipe: GrainRecipe; reached: number } {
  const clamp = (v: number) => Math.min(GRAIN_MASK_WIDTH.max, Math.max(GRAIN_MASK_WIDTH.min, v));
  const at = (w: number, spread = 0): GrainRecipe => ({ ...recipe, settings: { ...recipe.settings, maskWidth: { lo: clamp(w * (1 - spread)), hi: clamp(w * (1 + spread)) } } });
  const measure = (w: number) => labelBoundaryWidth(Array.from({ length: Math.min(samples, recipe.count) }, (_, i) => {
    const mask = { width: recipe.size, height: recipe.size, pixels: generateGrainSample(at(w), i).mask };
    return atSize === recipe.size ? mask : { width: atSize, height: atSize, pixels: resizeSquare(mask, atSize, true) };
  }));
  let trial = clamp(width * recipe.size / atSize), reached = measure(trial);
  for (let round = 0; round < 3 && reached !== undefined; round++) {
    const next = clamp(trial * width / reached);
    if (next === trial) break; // held at a limit
    trial = next;
    reached = measure(trial);
  }
  return { recipe: at(trial, WIDTH_SPREAD), reached: reached ?? NaN };
}
