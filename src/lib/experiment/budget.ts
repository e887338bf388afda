/**
 * An experiment's time budget, the rule (no TF.js: the runner measures, this decides):
 * the budget is for training, split evenly over the runs; within a run, every training a regime
 * needs (the synthetic model, the real-only model, the fine-tune on real for mixed, the adaptive
 * rounds) is costed at the config's epochs from the images per second measured at the start of
 * the experiment (on this backend, at each phase size), and all phase lists are scaled by one
 * factor so the run fits its share — the schedule keeps its proportions, as Train's
 * `sizeSchedule` does for one model (it is that function, given each list's share). Every phase
 * keeps at least one epoch, so a budget below one epoch each runs over. Making synthetic tiles and
 * evaluating come on top (seconds for the small sets a browser holds; segmentation scores four
 * mirror views of each tile, ml/predict.ts).
 */
import { sizeSchedule, type Phase } from '../ml/config';
import type { ExperimentConfig, Regime } from './config';

/** Validation is a forward pass only: about a third of a training step per image (as Train assumes). */
const VAL_COST = 1 / 3;

/** Images each training sees per epoch. */
export interface BudgetCounts {
  synthetic: { train: number; val: number };
  real: { train: number; val: number };
  /** Adaptive fine-tuning set per round (hard samples × variations, or as many random ones). */
  adaptive: number;
}

/** What the budget decided, kept in the results' config. */
export interface SizedSchedule {
  budgetMinutes: number;
  /** Measured training speed per phase size (px → images/s). */
  imagesPerSecond: Record<string, number>;
  /** Training seconds a run was given, and what the sized schedule is expected to take. */
  secondsPerRun: number;
  expectedSecondsPerRun: number;
}

const USES_SYNTHETIC_MODEL: Regime[] = ['synthetic', 'mixed', 'random-finetune', 'adaptive-finetune'];

/** Per list of phases: how many times a run trains it, and on how many images per epoch. */
function trainings(config: ExperimentConfig, counts: BudgetCounts) {
  const has = (g: Regime) => config.regimes.includes(g);
  const n = (list: Regime[]) => list.filter(has).length;
  return [
    { key: 'synthetic' as const, phases: config.train.synthetic, times: USES_SYNTHETIC_MODEL.some(has) ? 1 : 0,
      images: counts.synthetic.train + VAL_COST * counts.synthetic.val },
    { key: 'real' as const, phases: config.train.real, times: n(['real', 'mixed']), images: counts.real.train + VAL_COST * counts.real.val },
    // The adaptive fine-tune validates on a fifth of its set (run.ts).
    { key: 'adaptive' as const, phases: config.adaptive.phases, times: n(['random-finetune', 'adaptive-finetune']) * config.adaptive.rounds,
      images: counts.adaptive * (1 + VAL_COST / 5) },
  ];
}

const seconds = (phases: Phase[], images: number, ips: (size: number) => number) => phases.reduce((a, p) => a + (p.epochs * images) / ips(p.size), 0);

/** Adaptive fine-tuning set per round, as run.ts makes it (selectWorst keeps at least one). */
export function adaptiveSetSize(config: ExperimentConfig, syntheticVal: number): number {
  return Math.max(1, Math.round(config.adaptive.fraction * syntheticVal)) * config.adaptive.variations;
}

/** Every phase size a config trains at. */
export function phaseSizes(config: ExperimentConfig): number[] {
  return [...new Set([...config.train.synthetic, ...config.train.real, ...config.adaptive.phases].map((p) => p.size))].sort((a, b) => a - b);
}

/**
 * The config with its epochs sized to `train.budgetMinutes` and the sizing recorded in
 * `train.sized`; a config without a budget, or already sized (a resume), is returned as it is.
 */
export function sizeToBudget(config: ExperimentConfig, counts: BudgetCounts, imagesPerSecond: Record<number, number>): ExperimentConfig {
  const minutes = config.train.budgetMinutes;
  if (!minutes || config.train.sized) return config;
  const ips = (size: number) => {
    const v = imagesPerSecond[size];
    if (!(v > 0)) throw new Error(`No training speed was measured at ${size} px; the budget cannot size that phase.`);
    return v;
  };
  const secondsPerRun = (minutes * 60) / config.runs;
  const parts = trainings(config, counts).filter((t) => t.times > 0 && t.images > 0);
  const cost = (t: (typeof parts)[number]) => t.times * seconds(t.phases, t.images, ips);
  const total = parts.reduce((a, t) => a + cost(t), 0);
  if (!(total > 0)) return config;
  const sized: Partial<Record<'synthetic' | 'real' | 'adaptive', Phase[]>> = {};
  // Each list's share of the run is its present share of the cost: one factor for all of them.
  for (const t of parts) sized[t.key] = sizeSchedule(t.phases, t.images, ips, (secondsPerRun * cost(t)) / total / t.times);
  const after = { ...config, train: { ...config.train, synthetic: sized.synthetic ?? config.train.synthetic, real: sized.real ?? config.train.real },
    adaptive: { ...config.adaptive, phases: sized.adaptive ?? config.adaptive.phases } };
  const expectedSecondsPerRun = trainings(after, counts).reduce((a, t) => a + (t.times > 0 ? t.times * seconds(t.phases, t.images, ips) : 0), 0);
  return { ...after, train: { ...after.train, sized: {
    budgetMinutes: minutes, secondsPerRun, expectedSecondsPerRun,
    imagesPerSecond: Object.fromEntries(phaseSizes(config).map((s) => [String(s), imagesPerSecond[s]])),
  } } };
}
