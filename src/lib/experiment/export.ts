/** Experiment results as the results.json of DESIGN.md and as a per-run CSV. */
import { encodeGreyPng } from '../data/png';
import type { ExperimentResults } from './summary';

/** Predicted masks and test-set predictions are for the screen and for PNGs; JSON leaves them out. */
export function resultsJson(r: ExperimentResults): string {
  return JSON.stringify(r, (key, v) => (v instanceof Uint8Array || key === 'predictions' ? undefined : v), 2);
}

/**
 * The first run's predictions on the real test set as PNGs, per regime: for segmentation a strip
 * of image | traced truth | prediction, for classification the tile named with truth, prediction
 * and crack probability.
 */
export function predictionPngs(r: ExperimentResults): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  const label = (v: number) => (v ? 'crack' : 'no_crack');
  for (const { regime, items } of r.predictions ?? []) {
    items.forEach((p, i) => {
      const n = String(i + 1).padStart(2, '0');
      if (typeof p.truth === 'number') {
        files[`${regime}/${n}-truth-${label(p.truth)}-predicted-${label(p.predicted as number)}-p${(p.probability ?? 0).toFixed(2)}.png`] = encodeGreyPng(p.image, p.size, p.size);
        return;
      }
      const strip = new Uint8Array(3 * p.size * p.size);
      [p.image, p.truth, p.predicted as Uint8Array].forEach((part, k) => {
        for (let y = 0; y < p.size; y++) strip.set(part.subarray(y * p.size, (y + 1) * p.size), y * 3 * p.size + k * p.size);
      });
      files[`${regime}/${n}-image-truth-prediction.png`] = encodeGreyPng(strip, 3 * p.size, p.size);
    });
  }
  return files;
}

/** One row per run and set: seed, regime, set, n, error, its 99 % interval, pixel error, IoU per class, mIoU, boundary F1. */
export function resultsCsv(r: ExperimentResults): string {
  const rows = [['seed', 'regime', 'set', 'n', 'error', 'error_ci99_lo', 'error_ci99_hi', 'pixelError', 'iou_interior', 'iou_boundary', 'miou', 'boundaryF1']];
  const f = (v: number | undefined) => (v === undefined ? '' : String(v));
  for (const run of r.runs) for (const set of ['test', 'all'] as const) {
    const m = run.metrics[set];
    rows.push([String(run.seed), run.regime, set, String(m.n), f(m.error), f(m.errorCi99?.[0]), f(m.errorCi99?.[1]), f(m.pixelError), f(m.iou?.[0]), f(m.iou?.[1]), f(m.miou), f(m.boundaryF1)]);
  }
  return rows.map((row) => row.join(',')).join('\n') + '\n';
}
