/**
 * What a training run is, as plain data and with no TF.js: model and training configs, their
 * validation, the defaults (one place for each), and the records a run reports. The UI thread
 * imports only this; the engine worker builds networks from it.
 */
import { DEFAULT_AUGMENT } from './augment';
import type { AugmentConfig, InputNorm } from './augment';
import type { ClassifyMetrics, SegmentMetrics } from './metrics';

export type Depth = 10 | 18 | 34 | 50;
export type Task = 'classify' | 'segment';

export interface ModelConfig {
  task: Task;
  /** ResNet depth: 10 / 18 / 34 use basic blocks, 50 bottleneck blocks. */
  depth: Depth;
  /** Width multiplier: stage widths are 64, 128, 256, 512 × width (at least 4 filters). */
  width: number;
  /** Classes: 2 for crack / no crack and for boundary / interior. */
  classes: number;
  /** Classifier only: URL of a TF.js layers model whose features replace the ResNet encoder. */
  pretrained?: string;
  /** Seeds the initial weights, so a seeded run starts from the same network every time. */
  seed?: number;
  /** Input channels: 1 grey, 3 RGB (colour datasets); absent (older models) = 1. */
  channels?: 1 | 3;
}

/** A model's input channels (1 unless it says otherwise). */
export const modelChannels = (c: ModelConfig): 1 | 3 => c.channels ?? 1;

/** Words for a channel count, for messages. */
export const channelWords = (channels: number) => (channels === 3 ? 'colour (RGB, 3 channels)' : 'grey (1 channel)');

export const DEPTHS: Record<Depth, { blocks: number[]; bottleneck: boolean }> = {
  10: { blocks: [1, 1, 1, 1], bottleneck: false },
  18: { blocks: [2, 2, 2, 2], bottleneck: false },
  34: { blocks: [3, 4, 6, 3], bottleneck: false },
  50: { blocks: [3, 4, 6, 3], bottleneck: true },
};

/** U-Net inputs must be divisible by this (stem and four stages halve the size five times). */
export const UNET_MULTIPLE = 32;

/**
 * The smallest image side a crack classifier analyses: its windows are resized to the input (128
 * px by default), and a window under 16 px would reach it as little more than blur.
 */
export const MIN_CLASSIFY_SIDE = 16;

export function modelConfigError(c: ModelConfig): string | undefined {
  if (c.task !== 'classify' && c.task !== 'segment') return `Task must be classify or segment; got "${c.task}".`;
  if (!Object.hasOwn(DEPTHS, c.depth)) return `Depth must be one of ${Object.keys(DEPTHS).join(', ')}; got ${c.depth}.`;
  if (!(c.width > 0 && c.width <= 2)) return `Width multiplier must be above 0 and at most 2; got ${c.width}.`;
  if (!(Number.isInteger(c.classes) && c.classes >= 2)) return `Classes must be a whole number of at least 2; got ${c.classes}.`;
  if (c.channels !== undefined && c.channels !== 1 && c.channels !== 3) return `Channels must be 1 (grey) or 3 (RGB); got ${String(c.channels)}.`;
  if (c.pretrained !== undefined) {
    if (c.channels === 3) return 'The pretrained encoder takes grey input here; train a colour (3-channel) model from scratch.';
    if (c.task !== 'classify') return 'A pretrained encoder is offered for the classifier only; the U-Net trains its ResNet encoder from scratch.';
    if (!/^(https?:|indexeddb:)/.test(c.pretrained)) return `The pretrained encoder must be an http(s) URL of a TF.js model.json; got "${c.pretrained}".`;
  }
  return undefined;
}

export type LossName = 'ce' | 'weighted-ce' | 'dice' | 'focal' | 'weighted-ce+dice';
export const SEGMENT_LOSSES: LossName[] = ['weighted-ce+dice', 'weighted-ce', 'dice', 'focal', 'ce'];
export const DEFAULT_SEGMENT_LOSS: LossName = 'weighted-ce+dice';

/** The classifier's optional pretrained encoder: MobileNet v1 0.25, a TF.js layers model (downloaded once, then cached). */
export const DEFAULT_PRETRAINED_URL = 'https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.25_224/model.json';

export interface Phase {
  epochs: number;
  maxLr: number;
  /** Train the head (classifier) or decoder (U-Net) only. */
  freezeEncoder: boolean;
  /** Input size for this phase (progressive resizing); classification may keep the stored size. */
  size: number;
}

export interface TrainConfig {
  model: ModelConfig;
  loss: LossName;
  batchSize: number;
  phases: Phase[];
  weightDecay: number;
  augment: AugmentConfig;
  seed: number;
  /** Share of the samples held out for validation. */
  valFraction: number;
  /** Input normalisation, the same at training and inference; absent (older models) = 'fixed'. */
  norm?: InputNorm;
  /**
   * Seconds of training wanted: when set, a fresh run first times a few steps on the chosen
   * backend and scales every phase's epochs so the whole schedule fits (sizeSchedule).
   */
  budgetSeconds?: number;
  /**
   * The phases as asked for, kept when a budget sizes them: a run resumed before its first epoch
   * sizes these again, not the sized ones (sizing those again drifted: 1 + 19 epochs sized to
   * 1 + 2 became 1 + 1 at the same speed).
   */
  budgetPhases?: Phase[];
}

/**
 * Scales the phases' epochs so that training `trainCount` images per epoch at `imagesPerSecond`
 * (measured on this backend, per phase size) takes about `budgetSeconds`, keeping the phases'
 * proportions; every phase keeps at least one epoch.
 */
export function sizeSchedule(phases: Phase[], trainCount: number, imagesPerSecond: (size: number) => number, budgetSeconds: number): Phase[] {
  const secondsNow = phases.reduce((a, p) => a + (p.epochs * trainCount) / imagesPerSecond(p.size), 0);
  const factor = budgetSeconds / secondsNow;
  return phases.map((p) => ({ ...p, epochs: Math.max(1, Math.round(p.epochs * factor)) }));
}

/** Decision rule of a segmentation model, picked on synthetic validation after training. */
export interface Decision {
  /** Boundary where its probability exceeds this (the best boundary F1 on validation). */
  threshold: number;
  boundaryF1: number;
  /** Share of pixels predicted boundary at that threshold, and the labels' share: over-prediction shows. */
  predictedFraction: number;
  labelFraction: number;
}

export type Metrics = ClassifyMetrics | SegmentMetrics;

export interface EpochRecord {
  phase: number;
  epoch: number;
  trainLoss: number;
  valLoss: number;
  metrics: Metrics;
  imagesPerSecond: number;
  seconds: number;
}

/** An optimiser's variables as plain data (Adam: the step count, then first and second moments). */
export type OptimizerWeights = { name: string; shape: number[]; values: Float32Array }[];

/** Where a run is: the next epoch to train is `epoch` of phase `phase`. */
export interface TrainState {
  phase: number;
  epoch: number;
  history: EpochRecord[];
}

export interface StepProgress {
  phase: number;
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
  lr: number;
  imagesPerSecond: number;
  /** Wall time of this step, seconds (loading, augmenting, forward, backward, update). */
  stepSeconds: number;
  /** Seconds left in the whole run, from the pace so far. */
  etaSeconds: number;
}

export interface Prediction {
  /** The input as shown: grey, or RGB interleaved for an RGB model (the length tells). */
  image: Uint8Array;
  size: number;
  truth: Uint8Array | number;
  predicted: Uint8Array | number;
  /** Classification: probability of the last class. */
  probability?: number;
}

/** Why a phase may not freeze an encoder that was not pretrained. */
export const FROZEN_RANDOM_ENCODER = 'freezes an encoder that starts from random weights, so it would never learn features; freeze only a pretrained encoder.';

function phasesError(c: TrainConfig, phases: readonly Phase[]): string | undefined {
  for (const [i, p] of phases.entries()) {
    if (!(Number.isInteger(p.epochs) && p.epochs >= 1)) return `Phase ${i + 1}: epochs must be a whole number of at least 1.`;
    if (!(p.maxLr > 0 && p.maxLr < 10)) return `Phase ${i + 1}: the learning rate must be above 0 and below 10.`;
    if (!(Number.isInteger(p.size) && p.size >= 32 && p.size <= 1024)) return `Phase ${i + 1}: size must be a whole number from 32 to 1024.`;
    if (p.freezeEncoder && !c.model.pretrained) return `Phase ${i + 1} ${FROZEN_RANDOM_ENCODER}`;
    if (c.model.task === 'segment' && p.size % UNET_MULTIPLE !== 0) return `Phase ${i + 1}: a U-Net's input size must be a multiple of ${UNET_MULTIPLE}; got ${p.size}.`;
  }
  return undefined;
}

export function trainConfigError(c: TrainConfig): string | undefined {
  if (!(Number.isInteger(c.batchSize) && c.batchSize >= 1)) return `Batch size must be a whole number of at least 1; got ${c.batchSize}.`;
  if (!c.phases.length) return 'Give at least one training phase.';
  const phaseProblem = phasesError(c, c.phases);
  if (phaseProblem) return phaseProblem;
  if (c.budgetPhases !== undefined) {
    if (!Array.isArray(c.budgetPhases) || c.budgetPhases.length !== c.phases.length) return 'The phases asked for before a time budget sized them do not match the phases.';
    const asked = phasesError(c, c.budgetPhases);
    if (asked) return `As asked before a time budget sized them: ${asked}`;
  }
  if (!(c.weightDecay >= 0 && c.weightDecay < 1)) return 'Weight decay must be from 0 to below 1.';
  if (!(c.valFraction > 0 && c.valFraction < 1)) return 'The validation share must be above 0 and below 1.';
  if (c.budgetSeconds !== undefined && !(c.budgetSeconds >= 5)) return 'A time budget must be at least 5 seconds.';
  return undefined;
}

/**
 * Default batch sizes, the one place for them (Train form, Try it, experiment configs): the U-Net's
 * activations are far larger per image than the classifier's. The engine lowers either to fit the
 * GPU's buffer limit.
 */
export const DEFAULT_BATCH_SIZE: Record<Task, number> = { classify: 32, segment: 4 };

const multiple = (size: number) => Math.max(UNET_MULTIPLE, Math.round(size / UNET_MULTIPLE) * UNET_MULTIPLE);

/**
 * Classification: everything trains (a randomly initialised encoder must); with a pretrained
 * encoder, the head alone first, then everything (fastai's fine_tune). Segmentation: progressive
 * resizing — quarter, half, then full size, like the paper's 128 → 256 → 512.
 */
export function defaultPhases(task: Task, size: number, pretrained = false): Phase[] {
  if (task === 'classify') {
    return pretrained
      ? [{ epochs: 1, maxLr: 2e-3, freezeEncoder: true, size }, { epochs: 3, maxLr: 1e-3, freezeEncoder: false, size }]
      : [{ epochs: 4, maxLr: 2e-3, freezeEncoder: false, size }];
  }
  const sizes = [...new Set([multiple(size / 4), multiple(size / 2), multiple(size)])];
  return sizes.map((s, i) => ({ epochs: i === sizes.length - 1 ? 2 : 1, maxLr: 2e-3, freezeEncoder: false, size: s }));
}

/**
 * Fine-tuning a trained model on real data (the paper's mixed regime): every layer at a lower
 * peak learning rate than training from scratch, a few epochs, at one size. The Train view's
 * "fine-tune on real tiles" and experiment configs' `train.real` both start here.
 */
export function defaultFineTunePhases(size: number): Phase[] {
  return [{ epochs: 3, maxLr: 1e-3, freezeEncoder: false, size }];
}

/** Starting point for the training form, by task (the paper's schedules, scaled to a browser). */
export function defaultTrainConfig(task: Task, size: number, pretrained = false): TrainConfig {
  return {
    model: { task, depth: 18, width: 0.25, classes: 2 },
    loss: task === 'segment' ? DEFAULT_SEGMENT_LOSS : 'ce',
    batchSize: DEFAULT_BATCH_SIZE[task],
    phases: defaultPhases(task, size, pretrained),
    weightDecay: 0.01,
    augment: structuredClone(DEFAULT_AUGMENT),
    seed: 1,
    valFraction: 0.2,
    norm: 'standardise',
  };
}
