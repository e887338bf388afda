/**
 * What an experiment reports, with no TF.js: per-run metrics, the summary over runs (mean, sd,
 * 99 % t-interval) and paired t-tests between regimes. The UI imports this to show and store
 * partial results while the engine runs the experiment.
 */
import type { Metrics, Prediction } from '../ml/config';
import type { ExperimentConfig, Regime } from './config';
import { agrestiCoull, mean, pairedTTest, sd, unitInterval } from './stats';

export type SetName = 'test' | 'all';

export interface SetMetrics {
  n: number;
  error?: number;
  /** Agresti–Coull 99 % interval of this run's error proportion. */
  errorCi99?: [number, number];
  /** Classification: ROC AUC (threshold-free ranking quality; 0.5 is chance). */
  auc?: number;
  pixelError?: number;
  iou?: number[];
  miou?: number;
  boundaryF1?: number;
}

export interface RunResult {
  seed: number;
  regime: Regime;
  metrics: Record<SetName, SetMetrics>;
  /** Segmentation: the boundary threshold used, picked by boundary F1 on validation data (synthetic, or real for real and mixed). */
  threshold?: number;
  /** Grains with `synthetic.labelWidth` "real-train": the boundary width (px at the input size) the run's real training masks draw, which its synthetic labels took. */
  labelWidth?: number;
}

export interface MetricSummary {
  mean: number;
  sd: number;
  ci99: [number, number];
}

/** What adaptive sampling found hard (first run, first round): for the gallery and histograms. */
export interface HardSamples {
  /** Every recorded parameter that varies among the scored samples: a histogram for each. */
  parameters: string[];
  /** Those adaptive sampling moves (the config's adaptive.parameters). */
  moved?: string[];
  /** The run's seed and the adaptive round (from 0) these samples were found in. */
  seed?: number;
  round?: number;
  /** Index in the synthetic recipe, score, the sample's values, and the model's prediction. */
  hard: { index: number; score: number; params: Record<string, number | number[]>; prediction?: number | Uint8Array }[];
  /** Each movable parameter's values over all scored validation samples (the prior as drawn). */
  prior: Record<string, number[]>;
  higherIsWorse: boolean;
}

export interface ExperimentResults {
  name: string;
  task: ExperimentConfig['task'];
  config: ExperimentConfig;
  runs: RunResult[];
  summary: Partial<Record<Regime, Partial<Record<SetName, Record<string, MetricSummary>>>>>;
  tests: { a: Regime; b: Regime; metric: string; set: SetName; p: number; t: number }[];
  /** False when cancelled: the finished runs are kept. */
  complete: boolean;
  backend?: string;
  /** The first run's first round, with the model's predictions (for the gallery). */
  hardSamples?: HardSamples;
  /** Every run's every adaptive round, without predictions: which samples were hard, and what they were. */
  hardRounds?: HardSamples[];
  /** The first run's predictions on (up to 8 of) the real test images, per regime: to look at, not in results.json. */
  predictions?: RegimePredictions[];
}

export interface RegimePredictions {
  regime: Regime;
  seed: number;
  items: Prediction[];
}

/**
 * What an earlier attempt at the same experiment finished: its runs and the first run's extras.
 * A resume passes it in; those runs are kept as they are and only the missing ones are trained.
 */
export type FinishedRuns = Pick<ExperimentResults, 'runs' | 'hardSamples' | 'hardRounds' | 'predictions'>;

export interface ExperimentProgress {
  run: number;
  runs: number;
  seed: number;
  regime: Regime;
  phase: string;
}

export function setMetrics(m: Metrics, n: number): SetMetrics {
  if ('error' in m) {
    const errors = Math.round(m.error * n);
    return { n, error: m.error, errorCi99: agrestiCoull(errors, n, 0.99), ...(m.auc === undefined ? {} : { auc: m.auc }) };
  }
  return { n, pixelError: m.pixelError, iou: m.iou, miou: m.miou, boundaryF1: m.boundaryF1 };
}

/** The scalar metrics summarised and compared across runs. */
export const SUMMARY_METRICS = ['error', 'auc', 'pixelError', 'miou', 'boundaryF1'] as const;

export function summarise(config: ExperimentConfig, runs: readonly RunResult[], complete: boolean, backend?: string,
  { hardSamples, hardRounds, predictions }: Omit<FinishedRuns, 'runs'> = {}): ExperimentResults {
  const summary: ExperimentResults['summary'] = {};
  const tests: ExperimentResults['tests'] = [];
  for (const regime of config.regimes) {
    const mine = runs.filter((r) => r.regime === regime);
    if (!mine.length) continue;
    for (const set of ['test', 'all'] as const) {
      for (const metric of SUMMARY_METRICS) {
        const values = mine.map((r) => r.metrics[set][metric]).filter((v): v is number => typeof v === 'number');
        if (values.length !== mine.length) continue;
        ((summary[regime] ??= {})[set] ??= {})[metric] = { mean: mean(values), sd: sd(values), ci99: unitInterval(values, 0.99) };
      }
    }
  }
  for (let i = 0; i < config.regimes.length; i++) for (let j = i + 1; j < config.regimes.length; j++) {
    const a = config.regimes[i], b = config.regimes[j];
    const seeds = config.seeds.filter((s) => runs.some((r) => r.seed === s && r.regime === a) && runs.some((r) => r.seed === s && r.regime === b));
    if (seeds.length < 2) continue;
    for (const set of ['test', 'all'] as const) for (const metric of SUMMARY_METRICS) {
      const pick = (g: Regime) => seeds.map((s) => runs.find((r) => r.seed === s && r.regime === g)!.metrics[set][metric] as number | undefined);
      const va = pick(a), vb = pick(b);
      if (va.some((v) => typeof v !== 'number') || vb.some((v) => typeof v !== 'number')) continue;
      const { p, t } = pairedTTest(va as number[], vb as number[]);
      tests.push({ a, b, metric, set, p, t });
    }
  }
  return { name: config.name, task: config.task, config, runs: [...runs], summary, tests, complete, backend, hardSamples,
    ...(hardRounds?.length ? { hardRounds: [...hardRounds] } : {}), predictions };
}

