/**
 * Grains from a predicted boundary mask, and their statistics as metallographers report them:
 * connected components of non-boundary pixels are grains; grains touching the image border are
 * left out of size statistics (they are cut); with a pixel size: areas, equivalent circle
 * diameters, the mean lineal intercept (Heyn; test lines and circles) and the ASTM E112 grain size
 * number G by the planimetric (Jeffries) and the intercept methods.
 */
import { addBoundaryCounts, boundaryF1, confusionMatrix, emptyBoundaryCounts, segmentMetrics } from '../ml/metrics';

export interface GrainLabels {
  /** Grain number per pixel (1…count), 0 on boundaries. */
  labels: Int32Array;
  count: number;
  /** Per grain (index = label): pixel area and whether it touches the image border. */
  area: number[];
  touchesBorder: boolean[];
}

/**
 * 4-connected components of pixels where boundary[i] is 0; then the boundary is thinned away:
 * every boundary pixel joins the grain that reaches it first in a breadth-first growth from all
 * grains at once, so grains tile the image and areas include their share of the boundary.
 */
export function labelGrains(boundary: ArrayLike<number>, width: number, height: number): GrainLabels {
  const labels = new Int32Array(width * height);
  const area = [0], touchesBorder = [false];
  const stack: number[] = [];
  let count = 0;
  for (let start = 0; start < labels.length; start++) {
    if (boundary[start] || labels[start]) continue;
    count++;
    let size = 0, border = false;
    labels[start] = count;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop()!;
      size++;
      const x = i % width, y = (i / width) | 0;
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) border = true;
      if (x > 0 && !boundary[i - 1] && !labels[i - 1]) { labels[i - 1] = count; stack.push(i - 1); }
      if (x < width - 1 && !boundary[i + 1] && !labels[i + 1]) { labels[i + 1] = count; stack.push(i + 1); }
      if (y > 0 && !boundary[i - width] && !labels[i - width]) { labels[i - width] = count; stack.push(i - width); }
      if (y < height - 1 && !boundary[i + width] && !labels[i + width]) { labels[i + width] = count; stack.push(i + width); }
    }
    area.push(size);
    touchesBorder.push(border);
  }
  // Thin: grow the grains into the boundary, one pixel ring at a time, in scan order within a ring.
  let front: number[] = [];
  for (let i = 0; i < labels.length; i++) if (labels[i]) front.push(i);
  while (front.length) {
    const next: number[] = [];
    for (const i of front) {
      const x = i % width;
      for (const j of [x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1, i - width, i + width]) {
        if (j < 0 || j >= labels.length || labels[j]) continue;
        labels[j] = labels[i];
        area[labels[i]]++;
        const jx = j % width, jy = (j / width) | 0;
        if (jx === 0 || jy === 0 || jx === width - 1 || jy === height - 1) touchesBorder[labels[i]] = true;
        next.push(j);
      }
    }
    front = next;
  }
  return { labels, count, area, touchesBorder };
}

export interface GrainStatistics {
  /** Grains counted: inside the image, and touching its border. */
  grainsInside: number;
  grainsOnBorder: number;
  /** Areas (µm²) and equivalent circle diameters (µm) of the grains inside. */
  areas: number[];
  diameters: number[];
  meanArea: number;
  meanDiameter: number;
  /** Mean lineal intercept (µm) from test lines and circles, and the number of intersections. */
  meanIntercept: number;
  intersections: number;
  /** ASTM E112 G: planimetric (Jeffries) and intercept. */
  gPlanimetric: number;
  gIntercept: number;
  /** Shown when fewer than 50 grains were measured (E112 asks for more). */
  warning?: string;
}

/** Boundary intersections along a path of points (x, y): counted when the path enters a boundary from a grain. */
function crossings(boundary: ArrayLike<number>, width: number, height: number, points: [number, number][]): number {
  let count = 0, inBoundary = true;
  for (const [x, y] of points) {
    const xi = Math.round(x), yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= width || yi >= height) continue;
    const b = boundary[yi * width + xi] !== 0;
    if (b && !inBoundary) count++;
    inBoundary = b;
  }
  return count;
}

/**
 * Statistics at `micronsPerPixel`. Test lines: 5 horizontal and 5 vertical, evenly spaced; test
 * circles: three concentric circles of diameters 0.3, 0.55 and 0.8 of the smaller side (as in
 * E112's circular pattern). Intercept length = total test length / intersections.
 */
export function grainStatistics(boundary: ArrayLike<number>, width: number, height: number, micronsPerPixel: number): GrainStatistics {
  const g = labelGrains(boundary, width, height);
  const px2 = micronsPerPixel * micronsPerPixel;
  const areas: number[] = [];
  let onBorder = 0;
  for (let k = 1; k <= g.count; k++) {
    if (g.touchesBorder[k]) onBorder++;
    else areas.push(g.area[k] * px2);
  }
  const diameters = areas.map((a) => Math.sqrt((4 * a) / Math.PI));
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

  // Jeffries: N_A = (inside + ½ on border) / area, in grains per mm².
  const areaMm2 = width * height * px2 * 1e-6;
  const nA = (areas.length + onBorder / 2) / areaMm2;
  const gPlanimetric = 3.321928 * Math.log10(nA) - 2.954;

  let length = 0, intersections = 0;
  for (let k = 1; k <= 5; k++) {
    const y = (k * height) / 6, x = (k * width) / 6;
    intersections += crossings(boundary, width, height, Array.from({ length: width }, (_, i) => [i, y] as [number, number]));
    intersections += crossings(boundary, width, height, Array.from({ length: height }, (_, j) => [x, j] as [number, number]));
    length += width + height;
  }
  const side = Math.min(width, height);
  for (const fraction of [0.3, 0.55, 0.8]) {
    const r = (fraction * side) / 2, steps = Math.ceil(2 * Math.PI * r * 2);
    const circle = Array.from({ length: steps + 1 }, (_, s) => [width / 2 + r * Math.cos((2 * Math.PI * s) / steps), height / 2 + r * Math.sin((2 * Math.PI * s) / steps)] as [number, number]);
    intersections += crossings(boundary, width, height, circle);
    length += 2 * Math.PI * r;
  }
  const meanIntercept = intersections ? (length / intersections) * micronsPerPixel : NaN;
  const gIntercept = -6.643856 * Math.log10(meanIntercept / 1000) - 3.288;
  return {
    grainsInside: areas.length, grainsOnBorder: onBorder, areas, diameters, meanArea: mean(areas), meanDiameter: mean(diameters),
    meanIntercept, intersections, gPlanimetric, gIntercept,
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
export function compareToTruth(predicted: Uint8Array, truth: Uint8Array, width: number, height: number, micronsPerPixel: number): TruthComparison {
  const m = segmentMetrics(confusionMatrix(truth, predicted, 2));
  const counts = emptyBoundaryCounts();
  addBoundaryCounts(counts, truth, predicted, width, height);
  const p = grainStatistics(predicted, width, height, micronsPerPixel), t = grainStatistics(truth, width, height, micronsPerPixel);
  const count = (s: GrainStatistics) => s.grainsInside + s.grainsOnBorder / 2;
  return {
    pixelError: m.pixelError, iou: m.iou, miou: m.miou, boundaryF1: boundaryF1(counts),
    grainCountError: (count(p) - count(t)) / count(t), meanSizeError: (p.meanDiameter - t.meanDiameter) / t.meanDiameter,
  };
}
