/**
 * The engine's API: every long or TF.js-bound job the UI asks of the one engine worker, with its
 * arguments, progress events and result. Types only (no TF.js), so the UI thread can import it.
 */
import type { ModelRecord } from '../data/db';
import type { GreyImage } from '../data/tiling';
import type { AnalysisResult } from '../analysis/result';
import type { ExperimentConfig, RealItem } from '../experiment/config';
import type { ExperimentProgress, ExperimentResults, FinishedRuns, RunResult, SetMetrics } from '../experiment/summary';
import type { BackendInfo, BackendPreference } from '../ml/backend';
import type { EpochRecord, Metrics, Prediction, StepProgress, TrainConfig, TrainState } from '../ml/config';
import type { Recipe } from '../synth/recipe';
import type { Method } from './rpc';

/** Progress every GPU job may report: the backend it got, and notes in words. */
export type EngineNote = { kind: 'backend'; info: BackendInfo } | { kind: 'status'; message: string };

export type TrainProgress = EngineNote
  | { kind: 'step'; progress: StepProgress }
  | { kind: 'epoch'; record: EpochRecord; state: TrainState; predictions: Prediction[]; numTensors: number };

export interface LrResult {
  lrs: number[];
  losses: number[];
  smoothed: number[];
  suggestion: number;
}

export interface Evaluation {
  metrics: Metrics;
  valLoss: number;
  /** Last-class probability (classifier) or predicted boundary share (U-Net) of the first outputs. */
  outputs: number[];
  numTensors: { before: number; after: number };
}

export interface AnalyseArgs {
  modelId: string;
  /**
   * Each image's grey, and for a colour upload its RGB (3 bytes per pixel, interleaved) beside:
   * grey models read the grey, RGB models the RGB (a grey image repeated in three channels).
   */
  images: { name: string; image: GreyImage; colour?: Uint8Array; truth?: GreyImage }[];
  /** Crack windows: step between windows, px. */
  stride: number;
  micronsPerPixel: number;
  /**
   * Grain U-Nets: resample each micrograph to the model's training scale before segmenting
   * (analysis/scale.ts); results stay in µm of the original. Refused when that scale is unknown.
   */
  rescale?: boolean;
  backend: BackendPreference;
}

/** One model on the real test tiles of the Real data tab's current split. */
export interface RealEvaluation {
  modelId: string;
  name: string;
  task: 'classify' | 'segment';
  /** Pooled over the test tiles: error with its 99 % Agresti–Coull interval and AUC, or pixel metrics. */
  metrics: SetMetrics;
  /** Mean loss over the test tiles (the training loss function). */
  loss: number;
  /** Test tiles and the images they come from. */
  images: number;
  /**
   * Segmentation with test tiles from at least two images: 99 % t-intervals of per-image mIoU and
   * boundary F1 (images are the units a new micrograph varies by; overlapping tiles are not).
   */
  ci99?: { miou: [number, number]; boundaryF1: [number, number] };
  /** Test tiles this model trained or validated on (the split or the pins changed after it was fine-tuned). */
  seen: number;
  /** The input size the tiles were evaluated at. */
  size: number;
}

// A type alias, not an interface: aliases are indexable, so it satisfies the RPC's method map.
export type EngineApi = {
  /** Trains the stored model (fresh, or from its checkpoint). A cancel keeps the last finished epoch. */
  train: Method<{ modelId: string; backend: BackendPreference }, TrainProgress, TrainState>;
  /** LR range test on a throwaway model of this config. */
  findLr: Method<{ datasetId: string; config: TrainConfig; backend: BackendPreference }, EngineNote | { kind: 'point'; lr: number; loss: number }, LrResult>;
  /** Validation metrics of a stored model on its dataset, and its first outputs. */
  evaluate: Method<{ modelId: string; backend: BackendPreference }, EngineNote, Evaluation>;
  /**
   * Every seed and regime of an experiment, evaluated on the real data given; with `done` (a
   * resume), only the runs it lacks. Each finished run comes with the results so far, to store.
   */
  experiment: Method<{ config: ExperimentConfig; recipe: Recipe; real: RealItem[]; backend: BackendPreference; done?: FinishedRuns },
    EngineNote | { kind: 'progress'; progress: ExperimentProgress } | { kind: 'run'; run: RunResult; results: ExperimentResults }, ExperimentResults>;
  /** Stored models on the real test tiles (Real data tab), one row each, for one comparison table. */
  evaluateReal: Method<{ modelIds: string[]; backend: BackendPreference }, EngineNote | { kind: 'evaluated'; done: number; total: number }, RealEvaluation[]>;
  /** A stored model over the user's images: crack heatmaps, or grain boundaries and statistics. */
  analyse: Method<AnalyseArgs, EngineNote | { kind: 'analysed'; done: number; total: number }, AnalysisResult[]>;
  /** One zip file: model.json, weights.bin, metadata.json. */
  exportModel: Method<{ modelId: string }, never, Uint8Array>;
  importModel: Method<{ bytes: Uint8Array; fileName: string }, never, ModelRecord>;
  deleteModel: Method<{ modelId: string }, never, void>;
};

export type EngineMethod = keyof EngineApi & string;
