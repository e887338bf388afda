/** Messages between the UI thread and the training worker. */
import type { BackendInfo, BackendPreference } from '../lib/ml/backend';
import type { EpochRecord, Prediction, StepProgress, TrainConfig, TrainState } from '../lib/ml/trainer';

export type TrainRequest =
  /** Train the model whose record is stored under modelId (fresh, or from its checkpoint). */
  | { type: 'train'; modelId: string; backend: BackendPreference }
  | { type: 'findLr'; datasetId: string; config: TrainConfig; backend: BackendPreference }
  /** Metrics of a stored model on its dataset's validation samples, and its first outputs. */
  | { type: 'evaluate'; modelId: string; backend: BackendPreference }
  /** Run an experiment: every seed and regime, evaluated on the real data given. */
  | { type: 'experiment'; config: import('../lib/experiment/config').ExperimentConfig; recipe: import('../lib/synth/recipe').Recipe;
      real: import('../lib/experiment/run').RealItem[]; backend: BackendPreference }
  /** Analyse real images with a stored model (crack heatmaps, or grain boundaries and statistics). */
  | { type: 'analyse'; modelId: string; images: { name: string; image: import('../lib/data/tiling').GreyImage; truth?: import('../lib/data/tiling').GreyImage }[];
      stride: number; micronsPerPixel: number; backend: BackendPreference }
  /** Finish the current step, checkpoint, and stop. */
  | { type: 'stop' };

export type TrainMessage =
  | { type: 'backend'; info: BackendInfo }
  | { type: 'status'; message: string }
  | { type: 'step'; progress: StepProgress }
  | { type: 'epoch'; record: EpochRecord; state: TrainState; predictions: Prediction[]; numTensors: number }
  | { type: 'lrPoint'; lr: number; loss: number }
  | { type: 'lrDone'; lrs: number[]; losses: number[]; smoothed: number[]; suggestion: number }
  | { type: 'done'; state: TrainState; stopped: boolean }
  | { type: 'evaluated'; modelId: string; metrics: import('../lib/ml/trainer').Metrics; valLoss: number; outputs: number[] }
  | { type: 'experimentProgress'; progress: import('../lib/experiment/run').ExperimentProgress }
  | { type: 'experimentRun'; run: import('../lib/experiment/run').RunResult }
  | { type: 'experimentDone'; results: import('../lib/experiment/run').ExperimentResults }
  | { type: 'analysed'; index: number; total: number; result: AnalysisResult }
  | { type: 'analyseDone'; stopped: boolean }
  | { type: 'error'; message: string };

export type AnalysisResult =
  | { kind: 'classify'; name: string; width: number; height: number; window: number; windows: import('../lib/analysis/inference').WindowResult[];
      heat: Float32Array; flagged: number; verdict: 'crack' | 'no crack' }
  | { kind: 'segment'; name: string; width: number; height: number; boundary: Uint8Array; stats: import('../lib/analysis/grainStats').GrainStatistics;
      comparison?: import('../lib/analysis/grainStats').TruthComparison };
