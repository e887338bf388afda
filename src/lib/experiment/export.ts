/** Experiment results as the results.json of DESIGN.md and as a per-run CSV. */
import { encodePng } from '../data/png';
import { isPlainObject } from '../params/space';
import { parseExperimentConfig, REGIMES } from './config';
import type { Prediction } from '../ml/config';
import { summarise, type ExperimentResults, type RunResult, type SetMetrics } from './summary';

/** Predicted masks and test-set predictions are for the screen and for PNGs; JSON leaves them out. */
export function resultsJson(r: ExperimentResults): string {
  return JSON.stringify(r, (key, v) => (v instanceof Uint8Array || key === 'predictions' ? undefined : v), 2);
}

/**
 * The first run's predictions on the real test set as PNGs, per regime: for segmentation a strip
 * of image | traced truth | prediction, for classification the tile named with truth, prediction
 * and crack probability, plus one sheet of all tiles (below).
 */
export function predictionPngs(r: ExperimentResults): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  const label = (v: number) => (v ? 'crack' : 'no_crack');
  for (const { regime, items } of r.predictions ?? []) {
    items.forEach((p, i) => {
      const n = String(i + 1).padStart(2, '0');
      if (typeof p.truth === 'number') {
        files[`${regime}/${n}-truth-${label(p.truth)}-predicted-${label(p.predicted as number)}-p${(p.probability ?? 0).toFixed(2)}.png`] = encodePng(p.image, p.size, p.size);
        return;
      }
      // An RGB input keeps its colour; the truth and prediction beside it are grey in all three channels.
      const channels = p.image.length / (p.size * p.size);
      const row = 3 * p.size * channels;
      const strip = new Uint8Array(p.size * row);
      [p.image, p.truth, p.predicted as Uint8Array].forEach((part, k) => {
        const own = part.length / (p.size * p.size);
        for (let y = 0; y < p.size; y++) {
          for (let x = 0; x < p.size; x++) {
            const from = (y * p.size + x) * own, to = y * row + (k * p.size + x) * channels;
            for (let c = 0; c < channels; c++) strip[to + c] = part[from + (own === 1 ? 0 : c)];
          }
        }
      });
      files[`${regime}/${n}-image-truth-prediction.png`] = encodePng(strip, 3 * p.size, p.size);
    });
    const tiles = items.filter((p) => typeof p.truth === 'number');
    if (tiles.length) files[`${regime}/sheet-by-crack-probability.png`] = probabilitySheet(tiles);
  }
  return files;
}

const SHEET_COLUMNS = 10;
const FRAME = 3;
const RIGHT = [40, 170, 60], WRONG = [220, 40, 40];

/**
 * Every kept tile on one RGB sheet, most crack-like first (row by row), each framed green where
 * the predicted class is right and red where it is wrong: red near the top are marks taken for
 * cracks, red near the bottom are cracks the model missed. One look shows what it ranks high.
 */
export function probabilitySheet(tiles: readonly Prediction[]): Uint8Array {
  const order = [...tiles].sort((a, b) => (b.probability ?? 0) - (a.probability ?? 0));
  const cell = Math.max(...order.map((p) => p.size)) + 2 * FRAME;
  const columns = Math.min(SHEET_COLUMNS, order.length), rows = Math.ceil(order.length / columns);
  const width = columns * cell, sheet = new Uint8Array(width * rows * cell * 3).fill(255);
  order.forEach((p, k) => {
    const x0 = (k % columns) * cell, y0 = Math.floor(k / columns) * cell;
    const frame = p.predicted === p.truth ? RIGHT : WRONG;
    const channels = p.image.length / (p.size * p.size);
    for (let y = 0; y < p.size + 2 * FRAME; y++) {
      for (let x = 0; x < p.size + 2 * FRAME; x++) {
        const to = ((y0 + y) * width + x0 + x) * 3;
        const inside = x >= FRAME && y >= FRAME && x < p.size + FRAME && y < p.size + FRAME;
        const from = inside ? ((y - FRAME) * p.size + x - FRAME) * channels : -1;
        for (let c = 0; c < 3; c++) sheet[to + c] = inside ? p.image[from + (channels === 1 ? 0 : c)] : frame[c];
      }
    }
  });
  return encodePng(sheet, width, rows * cell);
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

const METRIC_FIELDS = ['error', 'auc', 'pixelError', 'miou', 'boundaryF1'] as const;

/**
 * Results exported before 2026-11-27 recorded a default split with train, val and test folders,
 * where it was never used and where a config may no longer name one: it is left out to read them.
 */
function withoutRecordedFolderSplit(config: Record<string, unknown>): Record<string, unknown> {
  const real = config.real;
  if (!isPlainObject(real) || real.all !== undefined || real.stored === true || real.split === undefined) return config;
  const { split: _, ...rest } = real;
  return { ...config, real: rest };
}

/**
 * Results exported as results.json, read back: the config is validated as a config, each run's
 * numbers are checked, and the summary and paired tests are recomputed from the runs (never taken
 * from the file), so an edited file cannot show numbers its runs do not support. Hard samples and
 * prediction images are not read back.
 */
export function resultsFromJson(text: string, fileName: string): ExperimentResults {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`${fileName} is not JSON; export results with "Export JSON".`);
  }
  if (!isPlainObject(raw) || !Array.isArray(raw.runs) || !isPlainObject(raw.config)) throw new Error(`${fileName} is not a SynthScope results file (it needs config and runs).`);
  let config;
  try {
    config = parseExperimentConfig(withoutRecordedFolderSplit(raw.config));
  } catch (e) {
    throw new Error(`${fileName}: its config is not valid: ${(e as Error).message}`);
  }
  if (raw.runs.length > config.runs * config.regimes.length) {
    throw new Error(`${fileName} holds ${raw.runs.length} runs; its config makes at most ${config.runs * config.regimes.length} (${config.runs} seeds × ${config.regimes.length} regimes).`);
  }
  const seen = new Set<string>();
  const runs: RunResult[] = raw.runs.map((r: unknown, i: number) => {
    const where = `${fileName}: runs[${i}]`;
    if (!isPlainObject(r) || !Number.isInteger(r.seed) || !REGIMES.includes(r.regime as RunResult['regime']) || !isPlainObject(r.metrics)) {
      throw new Error(`${where} needs a whole-number seed, a regime (${REGIMES.join(', ')}) and metrics.`);
    }
    // Runs are paired across regimes by seed: one of a seed or regime the config does not make, or a
    // second of a pair, would enter the means and tests as a run of its own.
    if (!config.seeds.includes(r.seed as number) || !config.regimes.includes(r.regime as RunResult['regime'])) {
      throw new Error(`${where} is seed ${r.seed} of regime ${r.regime}, which its config does not run (seeds ${config.seeds.join(', ')}; regimes ${config.regimes.join(', ')}).`);
    }
    const pair = `${r.seed} ${r.regime}`;
    if (seen.has(pair)) throw new Error(`${where} repeats seed ${r.seed} of regime ${r.regime}.`);
    seen.add(pair);
    const metrics = {} as RunResult['metrics'];
    for (const set of ['test', 'all'] as const) {
      const m = (r.metrics as Record<string, unknown>)[set];
      if (!isPlainObject(m) || !(Number.isInteger(m.n) && (m.n as number) >= 0)) throw new Error(`${where}.metrics.${set} needs a count n.`);
      const out: SetMetrics = { n: m.n as number };
      for (const f of METRIC_FIELDS) {
        if (m[f] === undefined) continue;
        // Every metric read back is a rate or an area under a curve: 0 to 1.
        if (typeof m[f] !== 'number' || !(m[f] >= 0 && m[f] <= 1)) throw new Error(`${where}.metrics.${set}.${f} must be a number from 0 to 1.`);
        (out as unknown as Record<string, number>)[f] = m[f] as number;
      }
      if (Array.isArray(m.errorCi99) && m.errorCi99.length === 2 && m.errorCi99.every((v) => Number.isFinite(v))) out.errorCi99 = m.errorCi99 as [number, number];
      if (Array.isArray(m.iou) && m.iou.every((v) => Number.isFinite(v))) out.iou = m.iou as number[];
      metrics[set] = out;
    }
    return { seed: r.seed as number, regime: r.regime as RunResult['regime'], metrics, ...(Number.isFinite(r.threshold) ? { threshold: r.threshold as number } : {}),
      ...(Number.isFinite(r.labelWidth) ? { labelWidth: r.labelWidth as number } : {}) };
  });
  return summarise(config, runs, raw.complete === true, typeof raw.backend === 'string' ? raw.backend : undefined);
}
