/** Experiment results as the results.json of DESIGN.md and as a per-run CSV. */
import type { ExperimentResults } from './summary';

/** Predicted masks of hard samples are for the screen only; JSON leaves them out. */
export function resultsJson(r: ExperimentResults): string {
  return JSON.stringify(r, (_, v) => (v instanceof Uint8Array ? undefined : v), 2);
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
