/** Classification and segmentation metrics from predicted and true class indices. */

export interface ClassifyMetrics {
  error: number;
  /** confusion[true][predicted] */
  confusion: number[][];
}

export interface SegmentMetrics {
  pixelError: number;
  /** IoU of each class. */
  iou: number[];
  miou: number;
  /** Boundary F1 with a 2-pixel tolerance (label widths differ between data sets). */
  boundaryF1?: number;
}

/** Counts for boundary F1: predicted boundary pixels near a true one, and true ones near a predicted one. */
export interface BoundaryCounts {
  predicted: number;
  predictedMatched: number;
  truth: number;
  truthMatched: number;
}

export const emptyBoundaryCounts = (): BoundaryCounts => ({ predicted: 0, predictedMatched: 0, truth: 0, truthMatched: 0 });

/** Marks pixels within `tolerance` (Chebyshev distance) of a set pixel: two passes of a running max. */
function dilate(mask: ArrayLike<number>, size: number, tolerance: number): Uint8Array {
  const rows = new Uint8Array(size * size), out = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    if (!mask[y * size + x]) continue;
    for (let u = Math.max(0, x - tolerance); u <= Math.min(size - 1, x + tolerance); u++) rows[y * size + u] = 1;
  }
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    if (!rows[y * size + x]) continue;
    for (let v = Math.max(0, y - tolerance); v <= Math.min(size - 1, y + tolerance); v++) out[v * size + x] = 1;
  }
  return out;
}

/** Adds one image's boundary matches (class 1 = boundary) to `into`. */
export function addBoundaryCounts(into: BoundaryCounts, truth: ArrayLike<number>, predicted: ArrayLike<number>, size: number, tolerance = 2): void {
  const nearTruth = dilate(truth, size, tolerance), nearPredicted = dilate(predicted, size, tolerance);
  for (let i = 0; i < size * size; i++) {
    if (predicted[i]) {
      into.predicted++;
      if (nearTruth[i]) into.predictedMatched++;
    }
    if (truth[i]) {
      into.truth++;
      if (nearPredicted[i]) into.truthMatched++;
    }
  }
}

export function boundaryF1(c: BoundaryCounts): number {
  const precision = c.predicted ? c.predictedMatched / c.predicted : c.truth ? 0 : 1;
  const recall = c.truth ? c.truthMatched / c.truth : 1;
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}

export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array(classes).fill(0));
  for (let i = 0; i < truth.length; i++) m[truth[i]][predicted[i]]++;
  return m;
}

export function classifyMetrics(confusion: number[][]): ClassifyMetrics {
  let total = 0, right = 0;
  confusion.forEach((row, t) => row.forEach((n, p) => {
    total += n;
    if (t === p) right += n;
  }));
  return { error: total ? 1 - right / total : 0, confusion };
}

/** IoU per class from a pixel confusion matrix; a class absent from both truth and prediction scores 1. */
export function segmentMetrics(confusion: number[][]): SegmentMetrics {
  const { error } = classifyMetrics(confusion);
  const iou = confusion.map((row, c) => {
    const tp = row[c];
    const fn = row.reduce((a, b) => a + b, 0) - tp;
    const fp = confusion.reduce((a, r) => a + r[c], 0) - tp;
    return tp + fn + fp === 0 ? 1 : tp / (tp + fn + fp);
  });
  return { pixelError: error, iou, miou: iou.reduce((a, b) => a + b, 0) / iou.length };
}

export function addConfusion(into: number[][], more: number[][]): number[][] {
  return into.map((row, t) => row.map((n, p) => n + more[t][p]));
}
