/**
 * A crack: a polyline of segments between bend points, its width varying from bend point to bend
 * point, with optional shorter branches; drawn anti-aliased onto a texture, darker or brighter.
 */
import { sample, type Distribution } from '../../stats/distributions';
import type { Rng } from '../../random';
import { gaussianBlur } from '../filters';

export interface CrackModel {
  /** Segments in the main crack (integer). */
  segments: Distribution;
  /** Length of a segment between bend points, px. */
  segmentLength: Distribution;
  /** Turn at each bend point, degrees (signed). */
  bendAngle: Distribution;
  /** Width at each bend point, px (linear in between). */
  width: Distribution;
  /** Change of brightness on the crack: −0.6 makes it 60 % darker than the texture, +0.3 brighter. */
  intensity: Distribution;
  /** Chance that a bend point starts a branch. */
  branchProbability: number;
  /** Sideways wander within a segment, px (real cracks are not straight between bends). */
  roughness: number;
  /** Chance that the crack enters from the tile's edge instead of starting inside it. Absent: 0. */
  edgeStart?: number;
  /** Chance that the crack thins to a third of its width at its tips. Absent: 0. */
  taper?: number;
  /** Chance of a halo: a soft band two to four widths wide, lighter (chipped edges) or darker. Absent: 0. */
  halo?: number;
  /**
   * Chance of a further crack in the same tile, asked again after each (at most MAX_EXTRA_CRACKS
   * more): crazed glaze and cracked packages often show several. Absent: 0.
   */
  moreCracks?: number;
  /**
   * Chance that the crack is one long, smooth curve across the tile instead of a zig-zag of
   * segments: brittle fracture (glaze, glass, mould compound, a die) runs on in gently bending
   * arcs, rough only at the pixel scale. Absent: 0.
   */
  smooth?: number;
}

/** The optional variety fields, each a probability; recipes made before them leave them out. */
export const CRACK_VARIETY = ['edgeStart', 'taper', 'halo', 'moreCracks', 'smooth'] as const;

/** Further cracks a tile may get beyond its first. */
export const MAX_EXTRA_CRACKS = 2;

export interface CrackPath {
  /** Bend points x0, y0, x1, y1, … */
  points: number[];
  /** Width at each bend point. */
  widths: number[];
}

export interface CrackDraw {
  main: CrackPath;
  branches: CrackPath[];
  /** Every sampled value, for the sample's record. */
  lengths: number[];
  angles: number[];
  intensity: number;
  /** Halo width (px) and brightness change (+ lighter, − darker), when the crack has one. */
  halo?: { width: number; intensity: number };
  /** Whether it entered from the edge, and whether it tapers. */
  fromEdge?: boolean;
  tapered?: boolean;
  /** Whether it is a smooth curve (`CrackModel.smooth`). */
  smooth?: boolean;
}

const MIN_WIDTH = 0.5;

/**
 * The most any one draw may be: beyond these no crack fits a tile (256 px at most), and a draw of
 * Infinity (a share link's lognormal mu of 1000) looped forever. Far above what a recipe's
 * distributions give in practice (the defaults reach them at 13 sd and more), so no sample of a
 * sane recipe changes; recipes whose bulk reaches them are refused (validateCrackRecipe).
 */
export const CRACK_DRAW_LIMITS = { segments: 100, segmentLength: 2048, width: 128 } as const;
const drawnWidth = (v: number) => Math.min(CRACK_DRAW_LIMITS.width, Math.max(MIN_WIDTH, v));
const drawnLength = (v: number) => Math.min(CRACK_DRAW_LIMITS.segmentLength, Math.max(1, v));
/** Step of a smooth crack's curve, px. */
const SMOOTH_STEP = 4;

/** Draws the shape of one crack starting in the central half of a size² tile. */
export function sampleCrack(model: CrackModel, size: number, rng: Rng): CrackDraw {
  const segments = Math.min(CRACK_DRAW_LIMITS.segments, Math.max(1, Math.round(sample(model.segments, rng))));
  const lengths: number[] = [], angles: number[] = [];
  let start = [size * (0.25 + 0.5 * rng.next()), size * (0.25 + 0.5 * rng.next())];
  let heading = rng.next() * 2 * Math.PI;
  // Variety draws come only when asked for, so recipes without them keep their bytes.
  const fromEdge = !!model.edgeStart && rng.next() < model.edgeStart;
  if (fromEdge) {
    // On one side of the tile, heading inwards within ±60° of the side's normal.
    const side = Math.floor(rng.next() * 4), along = size * (0.1 + 0.8 * rng.next());
    start = [[0, along], [size, along], [along, 0], [along, size]][side];
    heading = [0, Math.PI, Math.PI / 2, -Math.PI / 2][side] + (rng.next() - 0.5) * (2 * Math.PI / 3);
  }
  const main: CrackPath = { points: [...start], widths: [drawnWidth(sample(model.width, rng))] };
  const branches: CrackPath[] = [];
  let [x, y] = start;
  const smooth = !!model.smooth && rng.next() < model.smooth;
  if (smooth) {
    // A curve of short steps whose heading turns steadily (an arc bending up to about ±60° over its
    // length) with a little drift; long enough to cross the tile. Its width goes linearly from the
    // first to a second draw; a branch may leave about every mean segment length.
    const steps = Math.ceil((size * (0.8 + 0.8 * rng.next())) / SMOOTH_STEP);
    const turn = (sample(model.bendAngle, rng) * 1.5 * Math.PI) / 180 / steps;
    const endWidth = drawnWidth(sample(model.width, rng));
    const branchEvery = Math.max(1, Math.round(drawnLength(sample(model.segmentLength, rng)) / SMOOTH_STEP));
    const startHeading = heading;
    for (let s = 1; s <= steps; s++) {
      heading += turn + 0.05 * rng.normal();
      x += SMOOTH_STEP * Math.cos(heading);
      y += SMOOTH_STEP * Math.sin(heading);
      main.points.push(x, y);
      main.widths.push(main.widths[0] + (s / steps) * (endWidth - main.widths[0]));
      if (s % branchEvery === 0 && s < steps && rng.next() < model.branchProbability) branches.push(branchFrom(model, x, y, heading, rng));
    }
    lengths.push(steps * SMOOTH_STEP);
    angles.push(((heading - startHeading) * 180) / Math.PI);
  } else for (let s = 0; s < segments; s++) {
    if (s > 0) {
      const turn = sample(model.bendAngle, rng);
      angles.push(turn);
      heading += (turn * Math.PI) / 180;
      if (rng.next() < model.branchProbability) branches.push(branchFrom(model, x, y, heading, rng));
    }
    const length = drawnLength(sample(model.segmentLength, rng));
    lengths.push(length);
    x += length * Math.cos(heading);
    y += length * Math.sin(heading);
    main.points.push(x, y);
    main.widths.push(drawnWidth(sample(model.width, rng)));
  }
  const intensity = Math.max(-1, Math.min(1, sample(model.intensity, rng)));
  const tapered = !!model.taper && rng.next() < model.taper;
  if (tapered) {
    // The tip, and the start too when the crack starts inside the tile, thin to a third.
    const last = main.widths.length - 1;
    main.widths[last] = Math.max(MIN_WIDTH, main.widths[last] / 3);
    if (!fromEdge) main.widths[0] = Math.max(MIN_WIDTH, main.widths[0] / 3);
  }
  let halo: CrackDraw['halo'];
  if (model.halo && rng.next() < model.halo) {
    const mean = main.widths.reduce((a, b) => a + b, 0) / main.widths.length;
    halo = { width: mean * (2 + 2 * rng.next()), intensity: (rng.next() < 0.7 ? 1 : -1) * (0.1 + 0.2 * rng.next()) };
  }
  return {
    main, branches, lengths, angles, intensity,
    ...(halo ? { halo } : {}), ...(fromEdge ? { fromEdge } : {}), ...(tapered ? { tapered } : {}), ...(smooth ? { smooth } : {}),
  };
}

/** A branch leaves at 20–70° to either side, thinner, with half as many segments at most. */
function branchFrom(model: CrackModel, x: number, y: number, heading: number, rng: Rng): CrackPath {
  let h = heading + (rng.next() < 0.5 ? -1 : 1) * ((20 + 50 * rng.next()) * Math.PI) / 180;
  const path: CrackPath = { points: [x, y], widths: [drawnWidth(0.7 * sample(model.width, rng))] };
  const count = 1 + rng.int(0, 1);
  for (let s = 0; s < count; s++) {
    if (s > 0) h += (sample(model.bendAngle, rng) * Math.PI) / 180;
    const length = drawnLength(0.6 * sample(model.segmentLength, rng));
    x += length * Math.cos(h);
    y += length * Math.sin(h);
    path.points.push(x, y);
    path.widths.push(drawnWidth(0.6 * sample(model.width, rng)));
  }
  return path;
}

/**
 * Coverage (0–1) of the crack at each pixel: the path is subdivided every ~3 px with a small
 * sideways random walk, and each pixel takes the largest coverage of any piece near it, so joints
 * do not get darker than the crack.
 */
export function crackCoverage(paths: readonly CrackPath[], size: number, roughness: number, rng: Rng): Float64Array {
  const coverage = new Float64Array(size * size);
  for (const path of paths) {
    let wander = 0;
    for (let k = 0; k + 1 < path.widths.length; k++) {
      const ax = path.points[2 * k], ay = path.points[2 * k + 1];
      const bx = path.points[2 * k + 2], by = path.points[2 * k + 3];
      const length = Math.hypot(bx - ax, by - ay);
      const nx = -(by - ay) / (length || 1), ny = (bx - ax) / (length || 1);
      const pieces = Math.max(1, Math.round(length / 3));
      let px = ax + wander * nx, py = ay + wander * ny;
      for (let q = 1; q <= pieces; q++) {
        const t = q / pieces;
        wander = q === pieces && k + 2 === path.widths.length ? wander : 0.8 * wander + roughness * rng.normal();
        const qx = ax + t * (bx - ax) + wander * nx, qy = ay + t * (by - ay) + wander * ny;
        const w0 = path.widths[k] + ((q - 1) / pieces) * (path.widths[k + 1] - path.widths[k]);
        const w1 = path.widths[k] + t * (path.widths[k + 1] - path.widths[k]);
        stampSegment(coverage, size, px, py, qx, qy, w0, w1);
        px = qx;
        py = qy;
      }
    }
  }
  return coverage;
}

function stampSegment(coverage: Float64Array, size: number, ax: number, ay: number, bx: number, by: number, w0: number, w1: number) {
  const reach = Math.max(w0, w1) / 2 + 1;
  const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - reach)), x1 = Math.min(size - 1, Math.ceil(Math.max(ax, bx) + reach));
  const y0 = Math.max(0, Math.floor(Math.min(ay, by) - reach)), y1 = Math.min(size - 1, Math.ceil(Math.max(ay, by) + reach));
  const dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy, inv = len2 > 0 ? 1 / len2 : 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5 - ax, py = y + 0.5 - ay;
      let t = (px * dx + py * dy) * inv;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const ex = px - t * dx, ey = py - t * dy;
      const d = Math.sqrt(ex * ex + ey * ey);
      const halfWidth = (w0 + t * (w1 - w0)) / 2;
      // Thin cracks (under a pixel) cover proportionally less rather than vanishing.
      const c = Math.min(1, Math.max(0, halfWidth + 0.5 - d)) * Math.min(1, 2 * halfWidth);
      const i = y * size + x;
      if (c > coverage[i]) coverage[i] = c;
    }
  }
}

/**
 * A halo around the crack: the coverage spread by a Gaussian of the halo's width, less the crack
 * itself, brightens (or darkens) the texture — the chipped or stained band along real cracks.
 */
export function applyHalo(texture: Float64Array, coverage: Float64Array, size: number, halo: { width: number; intensity: number }): void {
  const spread = Float64Array.from(coverage);
  gaussianBlur(spread, size, halo.width / 2);
  let peak = 0;
  for (let i = 0; i < spread.length; i++) peak = Math.max(peak, spread[i]);
  if (peak === 0) return;
  for (let i = 0; i < texture.length; i++) {
    const band = Math.max(0, spread[i] / peak - coverage[i]);
    if (band === 0) continue;
    const v = texture[i];
    texture[i] = halo.intensity > 0 ? v + (255 - v) * halo.intensity * band : v * (1 + halo.intensity * band);
  }
}

/** Darkens (intensity < 0) or brightens the texture by the coverage. */
export function applyCrack(texture: Float64Array, coverage: Float64Array, intensity: number): void {
  for (let i = 0; i < texture.length; i++) {
    const c = coverage[i];
    if (c === 0) continue;
    const v = texture[i];
    texture[i] = intensity < 0 ? v * (1 + intensity * c) : v + (255 - v) * intensity * c;
  }
}
