/**
 * Grains from a predicted boundary mask, and their statistics as metallographers report them.
 * A network's boundary is thick, broken and speckled, so it is first cleaned into a one-pixel
 * network (skeleton.ts: thinning, specks removed, short gaps closed, short spurs pruned); connected
 * components of non-boundary pixels are grains, grains smaller than a minimum area are absorbed by
 * their neighbours, and the boundary pixels are shared out so grains tile the image. With a pixel
 * size: areas, equivalent circle diameters, the mean lineal intercept (Heyn; test lines and circles)
 * and the ASTM E112 grain size number G by the planimetric (Jeffries) and the intercept methods.
 */
import { addBoundaryCounts, boundaryF1, confusionMatrix, emptyBoundaryCounts, segmentMetrics } from '../ml/metrics';
import { closeGaps, pruneSpurs, removeFragments, zhangSuen } from './skeleton';

/** Isolated skeleton fragments of at most this many pixels are specks (a blob up to ~5 px across thins to 1–3 px); longer ones may be pieces of a broken boundary and are kept for gap closing. */
const SPECK_PIXELS = 3;

/** How a predicted boundary is cleaned before grains are counted (all lengths and areas in pixels). */
export interface GrainMeasureOptions {
  /**
   * Longest break in the predicted boundary that is closed (px outside the mask along the join).
   * End points of the thinned boundary are joined to boundary ahead of them when the straight join
   * crosses at most this many non-boundary pixels (searched within gapLength + GAP_REACH px, since
   * thinned ends lie up to half a boundary width inside the mask). 5 px closes the 1–4 px breaks
   * a network leaves where contrast fades, and is a fraction of the grain sizes the app works at
   * (≥ 20 px across), so neighbouring boundaries across a grain are not joined.
   */
  gapLength: number;
  /**
   * Dangling branches (end point to junction) and isolated fragments of at most this many pixels
   * are deleted. At least the join reach (gapLength + GAP_REACH), so that a speck joined to a
   * boundary goes again; the thinning of a 5–7 px boundary leaves spurs of 2–4 px at corners.
   * A dangling branch separates no grains; pruning only keeps it out of the intercept counts.
   */
  spurLength: number;
  /**
   * Grains (regions enclosed by the thinned boundary) smaller than this many pixels are absorbed
   * by their neighbours: tiny loops left by holes in thick boundaries and by specks.
   */
  minGrainArea: number;
  /**
   * …and smaller than this fraction of the median grain area (of the grains of at least
   * minGrainArea), so the threshold follows the magnification: 5 % of the median is a grain about
   * a fifth the median diameter, far below what E112 counts as a grain of the population.
   */
  minGrainFraction: number;
}

/** The defaults, in one place; grainStatistics and compareToTruth use them unless told otherwise. */
export const DEFAULT_GRAIN_MEASURE_OPTIONS: Readonly<GrainMeasureOptions> = Object.freeze({
  gapLength: 5,
  spurLength: 25,
  minGrainArea: 12,
  minGrainFraction: 0.05,
});

/**
 * The boundary as grain counting sees it: thinned to one pixel (8-connected); isolated fragments
 * of at most SPECK_PIXELS (specks) removed; gaps of up to gapLength closed; spurs of up to
 * spurLength pruned.
 */
export function cleanBoundary(boundary: ArrayLike<number>, width: number, height: number, options: Partial<GrainMeasureOptions> = {}): Uint8Array {
  const o = { ...DEFAULT_GRAIN_MEASURE_OPTIONS, ...options };
  const s = zhangSuen(boundary, width, height);
  removeFragments(s, width, height, SPECK_PIXELS);
  closeGaps(s, boundary, width, height, o.gapLength);
  pruneSpurs(s, width, height, o.spurLength);
  return s;
}

export interface GrainLabels {
  /** Grain number per pixel (1…count), 0 on boundaries. */
  labels: Int32Array;
  count: number;
  /** Per grain (index = label): pixel area and whether it touches the image border. */
  area: number[];
  touchesBorder: boolean[];
}

/**
 * 4-connected components of pixels where boundary[i] is 0; components smaller than `minArea`
 * pixels, or (not cut by the image border) than `minFraction` of the median component area (of those
 * of at least `minArea`), are absorbed; then the boundary is thinned away: every boundary (or absorbed) pixel joins the grain
 * that reaches it first in a breadth-first growth from all grains at once, so grains tile the image
 * and areas include their share of the boundary.
 */
export function labelGrains(boundary: ArrayLike<number>, width: number, height: number, minArea = 0, minFraction = 0): GrainLabels {
  const labels = new Int32Array(width * height);
  let area = [0];
  const stack: number[] = [];
  let count = 0;
  for (let start = 0; start < labels.length; start++) {
    if (boundary[start] || labels[start]) continue;
    count++;
    let size = 0;
    labels[start] = count;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop()!;
      size++;
      const x = i % width, y = (i / width) | 0;
      if (x > 0 && !boundary[i - 1] && !labels[i - 1]) { labels[i - 1] = count; stack.push(i - 1); }
      if (x < width - 1 && !boundary[i + 1] && !labels[i + 1]) { labels[i + 1] = count; stack.push(i + 1); }
      if (y > 0 && !boundary[i - width] && !labels[i - width]) { labels[i - width] = count; stack.push(i - width); }
      if (y < height - 1 && !boundary[i + width] && !labels[i + width]) { labels[i + width] = count; stack.push(i + width); }
    }
    area.push(size);
  }
  // Absorb small grains: renumber the others 1…count, the small ones become 0 (to be grown over).
  let threshold = minArea;
  if (minFraction > 0) {
    const kept = area.slice(1).filter((a) => a >= minArea).sort((a, b) => a - b);
    if (kept.length) threshold = Math.max(minArea, minFraction * kept[kept.length >> 1]);
  }
  if (threshold > 0) {
    const map = new Int32Array(count + 1), newArea = [0];
    // Grains cut by the image border may be small slivers of real grains (E112 counts them ½): only
    // the absolute minimum applies to them.
    const cut = new Uint8Array(count + 1);
    for (let x = 0; x < width; x++) { cut[labels[x]] = 1; cut[labels[(height - 1) * width + x]] = 1; }
    for (let y = 0; y < height; y++) { cut[labels[y * width]] = 1; cut[labels[y * width + width - 1]] = 1; }
    for (let k = 1; k <= count; k++) if (area[k] >= (cut[k] ? minArea : threshold)) { map[k] = newArea.length; newArea.push(area[k]); }
    if (newArea.length > 1) { // never absorb everything
      for (let i = 0; i < labels.length; i++) labels[i] = map[labels[i]];
      area = newArea;
      count = newArea.length - 1;
    }
  }
  // Thin: grow the grains into the boundary, one pixel ring at a time, in scan order within a ring.
  // Fronts are kept only as the pixels next to an unlabelled one.
  const n = labels.length;
  let front = new Int32Array(n), next = new Int32Array(n), size = 0;
  for (let i = 0; i < n; i++) {
    if (!labels[i]) continue;
    const x = i % width;
    if ((x > 0 && !labels[i - 1]) || (x < width - 1 && !labels[i + 1]) || (i >= width && !labels[i - width]) || (i + width < n && !labels[i + width])) front[size++] = i;
  }
  while (size) {
    let nextSize = 0;
    for (let f = 0; f < size; f++) {
      const i = front[f], l = labels[i], x = i % width;
      if (x > 0 && !labels[i - 1]) { labels[i - 1] = l; area[l]++; next[nextSize++] = i - 1; }
      if (x < width - 1 && !labels[i + 1]) { labels[i + 1] = l; area[l]++; next[nextSize++] = i + 1; }
      if (i >= width && !labels[i - width]) { labels[i - width] = l; area[l]++; next[nextSize++] = i - width; }
      if (i + width < n && !labels[i + width]) { labels[i + width] = l; area[l]++; next[nextSize++] = i + width; }
    }
    [front, next] = [next, front];
    size = nextSize;
  }
  const touchesBorder = new Array<boolean>(count + 1).fill(false);
  for (let x = 0; x < width; x++) { touchesBorder[labels[x]] = true; touchesBorder[labels[(height - 1) * width + x]] = true; }
  for (let y = 0; y < height; y++) { touchesBorder[labels[y * width]] = true; touchesBorder[labels[y * width + width - 1]] = true; }
  touchesBorder[0] = false;
  return { labels, count, area, touchesBorder };
}

export interface GrainStatistics {
  /** Grains counted: inside the image, and touching its border (the corner grains included). */
  grainsInside: number;
  grainsOnBorder: number;
  /**
   * E112 planimetric count for a rectangular field: grains inside 1, grains cut by the border ½,
   * the grains at the four corners ¼ each.
   */
  equivalentGrains: number;
  /** Areas (µm²) and equivalent circle diameters (µm) of the grains inside. */
  areas: number[];
  diameters: number[];
  /** Aspect ratio (long over short axis, ≥ 1) of the grains inside, in the order of `areas`. */
  aspectRatios: number[];
  meanArea: number;
  meanDiameter: number;
  /** Mean lineal intercept (µm) from test lines and circles: total test length / intersections. */
  meanIntercept: number;
  /** Boundary intersections P (E112 scoring: crossing 1, triple point 1½, tangent 1). */
  intersections: number;
  /** Intercepts N (E112 scoring: whole intercepts 1, a test-line end inside a grain ½). */
  intercepts: number;
  /** ASTM E112 G: planimetric (Jeffries) and intercept. */
  gPlanimetric: number;
  gIntercept: number;
  /** Shown when fewer than 50 grains were measured (E112 asks for more). */
  warning?: string;
}

/**
 * ASTM E112 G from the number of grains per mm² (metric form of N_AE = 2^(G − 1) per in² at 100×).
 * A single grain of area A mm² is N_A = 1 / A: that is how E930 numbers its largest grain.
 */
export function gFromGrainsPerMm2(grainsPerMm2: number): number {
  return 3.321928 * Math.log10(grainsPerMm2) - 2.954;
}

/**
 * Aspect ratio of every grain (index = label, 0 unused): the square root of the ratio of the
 * eigenvalues of its pixels' second central moments, each pixel taken as a unit square (+1/12 on
 * the variances), so an a × b rectangle or ellipse gives a / b and a one-pixel line of length L gives L.
 */
export function grainAspectRatios(labels: Int32Array, width: number, count: number): number[] {
  const n = new Float64Array(count + 1), sx = new Float64Array(count + 1), sy = new Float64Array(count + 1);
  const sxx = new Float64Array(count + 1), syy = new Float64Array(count + 1), sxy = new Float64Array(count + 1);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!l) continue;
    const x = i % width, y = (i / width) | 0;
    n[l]++; sx[l] += x; sy[l] += y; sxx[l] += x * x; syy[l] += y * y; sxy[l] += x * y;
  }
  const ratios = [NaN];
  for (let l = 1; l <= count; l++) {
    const mx = sx[l] / n[l], my = sy[l] / n[l];
    const vxx = sxx[l] / n[l] - mx * mx + 1 / 12, vyy = syy[l] / n[l] - my * my + 1 / 12, cxy = sxy[l] / n[l] - mx * my;
    const half = (vxx + vyy) / 2, root = Math.sqrt(((vxx - vyy) / 2) ** 2 + cxy * cxy);
    ratios.push(Math.sqrt((half + root) / Math.max(half - root, 1e-12)));
  }
  return ratios;
}

/**
 * Intersections and intercepts along a test path, scored on the grain tiling `labels` (every
 * pixel belongs to a grain, so a boundary is where the label changes; the path is a list of pixel
 * indices, consecutive ones distinct). E112 rules implemented:
 * - each change of grain is 1 intersection;
 * - a change on a junction of the boundary network (a triple point, "apparently coinciding with
 *   the junction of three grains") is 1½;
 * - a tangent, where the path only grazes a neighbouring grain (enters it for at most `tangentRun`
 *   samples and returns to the grain it came from), is 1 intersection, not 2;
 * - intercepts: the segments between intersections count 1 each and, on an open test line, the
 *   segment at each end (the line ends inside a grain) counts ½. A test-line end exactly on a
 *   boundary (scored ½ intersection by E112) cannot occur on a tiling: ends are always inside a grain.
 */
function scorePath(labels: Int32Array, junctions: Uint8Array, path: number[], closed: boolean, tangentRun: number): { intersections: number; intercepts: number } {
  const run: number[] = [], runLabel: number[] = [], runEnd: number[] = [];
  for (let k = 0; k < path.length; k++) {
    const l = labels[path[k]];
    if (runLabel.length && runLabel[runLabel.length - 1] === l) { run[run.length - 1]++; runEnd[runEnd.length - 1] = k; } else { runLabel.push(l); run.push(1); runEnd.push(k); }
  }
  if (closed && runLabel.length > 1 && runLabel[0] === runLabel[runLabel.length - 1]) {
    run[0] += run.pop()!; runLabel.pop(); runEnd.pop();
  }
  const n = runLabel.length;
  if (n <= 1) return { intersections: 0, intercepts: closed ? 0 : 0.5 };
  // A closed path is scored from a run that is no graze: started inside a short excursion, its two
  // changes were split between the first and the last step and counted twice.
  const start = closed ? Math.max(0, run.findIndex((length) => length > tangentRun)) : 0;
  for (const list of [run, runLabel, runEnd]) list.push(...list.splice(0, start));
  // A triple point: the change of grain happens on a junction of the thinned boundary (a skeleton
  // pixel with 3 or more neighbours), so the line passes through it. Near one is not enough: within
  // 2–3 px of a junction lie 10–20 % of all crossings, and scoring those 1½ put the count 6–10 %
  // above the true tiling's changes of grain (the grown tiling alone cannot tell either: it moves
  // the third grain up to 2 px off the junction).
  const triple = (a: number, b: number) => junctions[a] === 1 || junctions[b] === 1;
  let intersections = 0, crossings = 0;
  const changes = closed ? n : n - 1;
  for (let r = 0; r < changes; r++) {
    const next = (r + 1) % n;
    const after = (r + 2) % n;
    const change = (k: number) => [path[runEnd[k]], path[(runEnd[k] + 1) % path.length]] as const;
    if ((closed || r + 2 < n) && run[next] <= tangentRun && (n > 2 || closed)) {
      // A tangent: a short excursion into a neighbour and back (on a circle that grazes one grain
      // and nothing else, the only two runs); scored once, and the excursion skipped.
      if (runLabel[after] === runLabel[r]) {
        intersections += 1;
        crossings += 1;
        r++;
        continue;
      }
      // Through a triple point: the junction pixel belongs to the third grain, so the path changes
      // grain twice there, on to a grain other than the one it left; one passage, scored 1½.
      if (triple(...change(r)) && triple(...change(next))) {
        intersections += 1.5;
        crossings += 1;
        r++;
        continue;
      }
    }
    intersections += triple(...change(r)) ? 1.5 : 1;
    crossings++;
  }
  // Open line: crossings − 1 whole intercepts and two half intercepts at the ends.
  const intercepts = closed ? crossings : crossings - 1 + 1;
  return { intersections, intercepts };
}

/**
 * Statistics at `micronsPerPixel`, after cleaning the boundary with `options` (defaults:
 * DEFAULT_GRAIN_MEASURE_OPTIONS). Test lines: 5 horizontal and 5 vertical, evenly spaced; test
 * circles: three concentric circles of diameters 0.3, 0.55 and 0.8 of the smaller side (as in
 * E112's circular pattern). Intercept length = total test length / intersections.
 */
export function grainStatistics(boundary: ArrayLike<number>, width: number, height: number, micronsPerPixel: number,
  options: Partial<GrainMeasureOptions> = {}): GrainStatistics {
  const o = { ...DEFAULT_GRAIN_MEASURE_OPTIONS, ...options };
  const clean = cleanBoundary(boundary, width, height, o);
  const g = labelGrains(clean, width, height, o.minGrainArea, o.minGrainFraction);
  const px2 = micronsPerPixel * micronsPerPixel;
  const areas: number[] = [], aspectRatios: number[] = [];
  const ratios = grainAspectRatios(g.labels, width, g.count);
  let onBorder = 0;
  for (let k = 1; k <= g.count; k++) {
    if (g.touchesBorder[k]) onBorder++;
    else { areas.push(g.area[k] * px2); aspectRatios.push(ratios[k]); }
  }
  const diameters = areas.map((a) => Math.sqrt((4 * a) / Math.PI));
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

  // Jeffries for a rectangle (E112 §11): N = inside + ½ intercepted by the border, where the grains
  // at the four corners count ¼ each instead of ½ (a grain holding two corners counts ½).
  const corners = new Map<number, number>();
  for (const i of [0, width - 1, (height - 1) * width, height * width - 1]) corners.set(g.labels[i], (corners.get(g.labels[i]) ?? 0) + 1);
  let equivalentGrains = areas.length + (onBorder - corners.size) / 2;
  for (const c of corners.values()) equivalentGrains += Math.min(0.5, c / 4);
  const areaMm2 = width * height * px2 * 1e-6;
  const nA = equivalentGrains / areaMm2;
  const gPlanimetric = gFromGrainsPerMm2(nA);

  const junctions = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    if (!clean[y * width + x]) continue;
    let n = 0;
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
      if ((dx || dy) && x + dx >= 0 && y + dy >= 0 && x + dx < width && y + dy < height && clean[(y + dy) * width + x + dx]) n++;
    }
    if (n >= 3) junctions[y * width + x] = 1;
  }
  let length = 0, intersections = 0, intercepts = 0;
  const add = (path: number[], closed: boolean, tangentRun: number) => {
    const r = scorePath(g.labels, junctions, path, closed, tangentRun);
    intersections += r.intersections;
    intercepts += r.intercepts;
  };
  for (let k = 1; k <= 5; k++) {
    const y = Math.min(height - 1, Math.round((k * height) / 6)), x = Math.min(width - 1, Math.round((k * width) / 6)); // in the image however small
    add(Array.from({ length: width }, (_, i) => y * width + i), false, 1);
    add(Array.from({ length: height }, (_, j) => j * width + x), false, 1);
    length += width + height;
  }
  const side = Math.min(width, height);
  for (const fraction of [0.3, 0.55, 0.8]) {
    const r = (fraction * side) / 2, steps = Math.ceil(2 * Math.PI * r * 2);
    const path: number[] = [];
    for (let s = 0; s < steps; s++) {
      const x = Math.round(width / 2 + r * Math.cos((2 * Math.PI * s) / steps)), y = Math.round(height / 2 + r * Math.sin((2 * Math.PI * s) / steps));
      if (x < 0 || y < 0 || x >= width || y >= height) continue;
      const i = y * width + x;
      if (path[path.length - 1] !== i) path.push(i);
    }
    if (path.length > 1 && path[0] === path[path.length - 1]) path.pop();
    add(path, true, 1);
    length += 2 * Math.PI * r;
  }
  const meanIntercept = intersections ? (length / intersections) * micronsPerPixel : NaN;
  const gIntercept = -6.643856 * Math.log10(meanIntercept / 1000) - 3.288;
  return {
    grainsInside: areas.length, grainsOnBorder: onBorder, equivalentGrains, areas, diameters, aspectRatios, meanArea: mean(areas), meanDiameter: mean(diameters),
    meanIntercept, intersections, intercepts, gPlanimetric, gIntercept,
    warning: areas.length < 50 ? `Only ${areas.length} whole grains were measured; ASTM E112 asks for at least 50 — use a larger field or more images.` : undefined,
  };
}

export interface TruthComparison {
  pixelError: number;
  iou: number[];
  miou: number;
  boundaryF1: number;
  /** Relative errors (prediction − truth) / truth. */
  grainCountError: number;
  meanSizeError: number;
}

/** Prediction against a hand-traced mask (both 1 = boundary): pixel metrics and grain-statistics errors. */
export function compareToTruth(predicted: Uint8Array, truth: Uint8Array, width: number, height: number, micronsPerPixel: number,
  options: Partial<GrainMeasureOptions> = {}): TruthComparison {
  const m = segmentMetrics(confusionMatrix(truth, predicted, 2));
  const counts = emptyBoundaryCounts();
  addBoundaryCounts(counts, truth, predicted, width, height);
  const p = grainStatistics(predicted, width, height, micronsPerPixel, options), t = grainStatistics(truth, width, height, micronsPerPixel, options);
  const count = (s: GrainStatistics) => s.equivalentGrains;
  return {
    pixelError: m.pixelError, iou: m.iou, miou: m.miou, boundaryF1: boundaryF1(counts),
    grainCountError: (count(p) - count(t)) / count(t), meanSizeError: (p.meanDiameter - t.meanDiameter) / t.meanDiameter,
  };
}
