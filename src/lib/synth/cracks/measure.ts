/**
 * Measuring real cracks from traces: a user clicks a polyline along a crack on a tile; segment
 * lengths and bend angles come from the clicks, width and intensity from intensity profiles across
 * the crack sampled along it. The fitted distributions become a CrackModel for generation.
 */
import { fit, type Distribution } from '../../stats/distributions';
import type { GreyImage } from '../../data/tiling';
import type { CrackModel } from './crack';

export interface CrackMeasurements {
  segmentCounts: number[];
  segmentLengths: number[];
  bendAngles: number[];
  widths: number[];
  intensities: number[];
}

export const emptyMeasurements = (): CrackMeasurements => ({ segmentCounts: [], segmentLengths: [], bendAngles: [], widths: [], intensities: [] });

/** Signed turn from heading a to heading b, in degrees within (−180, 180]. */
function turn(ax: number, ay: number, bx: number, by: number): number {
  let d = ((Math.atan2(by, bx) - Math.atan2(ay, ax)) * 180) / Math.PI;
  if (d <= -180) d += 360;
  if (d > 180) d -= 360;
  return d;
}

function bilinear(img: GreyImage, x: number, y: number): number {
  const fx = Math.min(Math.max(x - 0.5, 0), img.width - 1.001), fy = Math.min(Math.max(y - 0.5, 0), img.height - 1.001);
  const x0 = Math.floor(fx), y0 = Math.floor(fy), tx = fx - x0, ty = fy - y0;
  const at = (u: number, v: number) => img.pixels[v * img.width + u];
  const top = at(x0, y0) + tx * (at(x0 + 1, y0) - at(x0, y0));
  const bottom = at(x0, y0 + 1) + tx * (at(x0 + 1, y0 + 1) - at(x0, y0 + 1));
  return top + ty * (bottom - top);
}

/**
 * Profiles across the crack every 4 px: the background is the median of the profile's outer
 * parts, the crack's value the extreme near the centre; width = the run of samples more than half
 * way from background to that extreme (full width at half maximum), intensity = the relative
 * change (−0.4 = 40 % darker).
 */
export function measureTrace(image: GreyImage, points: readonly number[]): CrackMeasurements {
  const m = emptyMeasurements();
  const n = points.length / 2;
  if (n < 2) return m;
  m.segmentCounts.push(n - 1);
  for (let k = 0; k + 1 < n; k++) {
    const dx = points[2 * k + 2] - points[2 * k], dy = points[2 * k + 3] - points[2 * k + 1];
    m.segmentLengths.push(Math.hypot(dx, dy));
    if (k > 0) m.bendAngles.push(turn(points[2 * k] - points[2 * k - 2], points[2 * k + 1] - points[2 * k - 1], dx, dy));
    const length = Math.hypot(dx, dy);
    if (length < 1) continue;
    const nx = -dy / length, ny = dx / length, step = 0.25, half = 8;
    for (let s = 2; s < length - 1; s += 4) {
      const cx = points[2 * k] + (dx * s) / length, cy = points[2 * k + 1] + (dy * s) / length;
      const profile: number[] = [];
      for (let t = -half; t <= half; t += step) profile.push(bilinear(image, cx + t * nx, cy + t * ny));
      const outer = [...profile.slice(0, 12), ...profile.slice(-12)].sort((a, b) => a - b);
      const background = outer[outer.length >> 1];
      if (background <= 0) continue;
      const centre = profile.slice(profile.length / 2 - 12, profile.length / 2 + 12);
      const darkest = Math.min(...centre), brightest = Math.max(...centre);
      const extreme = background - darkest >= brightest - background ? darkest : brightest;
      const depth = extreme - background;
      if (Math.abs(depth) < 8) continue; // not a visible crack at this point
      const mid = profile.indexOf(extreme, profile.length / 2 - 12);
      let lo = mid, hi = mid;
      const beyondHalf = (v: number) => (v - background) / depth > 0.5;
      while (lo > 0 && beyondHalf(profile[lo - 1])) lo--;
      while (hi < profile.length - 1 && beyondHalf(profile[hi + 1])) hi++;
      m.widths.push((hi - lo + 1) * step);
      m.intensities.push(depth / (depth < 0 ? background : 255 - background));
    }
  }
  return m;
}

export function mergeMeasurements(all: readonly CrackMeasurements[]): CrackMeasurements {
  const out = emptyMeasurements();
  for (const m of all) for (const key of Object.keys(out) as (keyof CrackMeasurements)[]) out[key].push(...m[key]);
  return out;
}

/**
 * Fits each quantity that has enough measurements (≥ 2) and keeps the base model's distribution
 * for the rest; says which were fitted.
 */
export function fitCrackModel(m: CrackMeasurements, base: CrackModel): { model: CrackModel; fitted: string[] } {
  const model = structuredClone(base);
  const fitted: string[] = [];
  const tryFit = (key: keyof CrackModel, family: Distribution['family'], values: number[]) => {
    if (values.length < 2 || (family === 'lognormal' && values.some((v) => v <= 0))) return;
    (model[key] as Distribution) = fit(family, values);
    fitted.push(key);
  };
  tryFit('segments', 'integer', m.segmentCounts);
  tryFit('segmentLength', 'lognormal', m.segmentLengths);
  tryFit('bendAngle', 'normal', m.bendAngles);
  tryFit('width', 'lognormal', m.widths);
  tryFit('intensity', 'normal', m.intensities);
  return { model, fitted };
}
