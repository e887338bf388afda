/** Classification and segmentation metrics from predicted and true class indices. */

export interface ClassifyMetrics {
  error: number;
  /** confusion[true][predicted] */
  confusion: number[][];
  /** Area under the ROC curve of the positive class's probability: how well the model ranks, whatever the threshold. */
  auc?: number;
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
function dilate(mask: ArrayLike<number>, width: number, height: number, tolerance: number): Uint8Array {
  const rows = new Uint8Array(width * height), out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    if (!mask[y * width + x]) continue;
    for (let u = Math.max(0, x - tolerance); u <= Math.min(width - 1, x + tolerance); u++) rows[y * width + u] = 1;
  }
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    if (!rows[y * width + x]) continue;
    for (let v = Math.max(0, y - tolerance); v <= Math.min(height - 1, y + tolerance); v++) out[v * width + x] = 1;
  }
  return out;
}

/** Adds one image's boundary matches (class 1 = boundary) to `into`; height defaults to width. */
export function addBoundaryCounts(into: BoundaryCounts, truth: ArrayLike<number>, predicted: ArrayLike<number>, width: number, height = width, tolerance = 2): void {
  const nearTruth = dilate(truth, width, height, tolerance), nearPredicted = dilate(predicted, width, height, tolerance);
  for (let i = 0; i < width * height; i++) {
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

/**
 * ROC AUC from scores and 0/1 truths: the chance that a random positive scores above a random
 * negative (ties count half), by ranks (Mann–Whitney U). NaN without both classes.
 */
export function rocAuc(scores: ArrayLike<number>, truth: ArrayLike<number>): number {
  const order = Array.from(scores, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0, rankSum = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]] === scores[order[start]]) end++;
    const rank = (start + end) / 2 + 1; // average rank of a tie
    for (let k = start; k <= end; k++) if (truth[order[k]] === 1) { positives++; rankSum += rank; }
    start = end + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
