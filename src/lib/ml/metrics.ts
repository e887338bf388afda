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
