/**
 * What analysing one image yields, with no TF.js: crack verdicts from window probabilities and
 * grain statistics from a boundary probability map. The engine computes the probabilities; these
 * pure steps turn them into the result the UI shows, and are tested in Node.
 */
import type { GreyImage } from '../data/tiling';
import { compareToTruth, grainStatistics, type GrainStatistics, type TruthComparison } from './grainStats';
import type { Rescale } from './scale';
import { sizeDistribution, type SizeDistribution } from './sizeDistribution';

export interface WindowResult {
  x: number;
  y: number;
  probability: number;
}

export type AnalysisResult =
  /** The windows' probabilities are kept, not a verdict: the user's rule (VerdictRule) decides it and may change. */
  | { kind: 'classify'; name: string; width: number; height: number; window: number; windows: WindowResult[]; heat: Float32Array }
  | { kind: 'segment'; name: string; width: number; height: number; boundary: Uint8Array; stats: GrainStatistics;
      /** Lognormal fit, aspect ratio, ALA and duplex checks of the whole grains; absent when too few were measured. */
      distribution?: SizeDistribution; comparison?: TruthComparison;
      /** Present when the micrograph was segmented at its model's scale; statistics are still of the original pixels. */
      rescaled?: Rescale };

export type ClassifyResult = Extract<AnalysisResult, { kind: 'classify' }>;
export type Verdict = 'crack' | 'no crack';

/** How a chip image's window probabilities become its verdict; the user sets both in Analyse. */
export interface VerdictRule {
  /** A window is flagged when its crack probability is above this. */
  threshold: number;
  /** An image with at least this many flagged windows is "crack". */
  minFlagged: number;
}

/** Any window more likely crack than not makes the image "crack". */
export const DEFAULT_VERDICT: Readonly<VerdictRule> = Object.freeze({ threshold: 0.5, minFlagged: 1 });

/** What is wrong with a rule, naming the setting and its allowed values; '' when it can be used. */
export function verdictRuleProblem(rule: VerdictRule): string {
  const { threshold, minFlagged } = rule as { threshold: unknown; minFlagged: unknown };
  if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1)) return 'Verdict threshold: must be a window probability from 0 to 1.';
  if (typeof minFlagged !== 'number' || !Number.isInteger(minFlagged) || minFlagged < 1) return 'Minimum flagged windows: must be a whole number from 1 up.';
  return '';
}

export const isFlagged = (w: WindowResult, rule: VerdictRule): boolean => w.probability > rule.threshold;

export function chipVerdict(windows: readonly WindowResult[], rule: VerdictRule): { flagged: number; verdict: Verdict } {
  const flagged = windows.filter((w) => isFlagged(w, rule)).length;
  return { flagged, verdict: flagged >= rule.minFlagged ? 'crack' : 'no crack' };
}
/** A pixel is boundary above this probability, for models without a decision rule of their own. */
export const BOUNDARY_THRESHOLD = 0.5;

/** Per-pixel mean probability of the windows covering it (0 where none does). */
export function heatmap(results: readonly WindowResult[], width: number, height: number, window: number): Float32Array {
  const sum = new Float32Array(width * height), count = new Float32Array(width * height);
  for (const r of results) for (let y = r.y; y < r.y + window; y++) for (let x = r.x; x < r.x + window; x++) {
    sum[y * width + x] += r.probability;
    count[y * width + x]++;
  }
  for (let i = 0; i < sum.length; i++) sum[i] = count[i] ? sum[i] / count[i] : 0;
  return sum;
}

export function crackResult(name: string, image: GreyImage, window: number, windows: WindowResult[]): ClassifyResult {
  return { kind: 'classify', name, width: image.width, height: image.height, window, windows, heat: heatmap(windows, image.width, image.height, window) };
}

export function grainResult(name: string, image: GreyImage, probability: Float32Array, micronsPerPixel: number, truth?: GreyImage,
  threshold = BOUNDARY_THRESHOLD, rescaled?: Rescale): AnalysisResult {
  const boundary = Uint8Array.from(probability, (p) => (p > threshold ? 1 : 0));
  const stats = grainStatistics(boundary, image.width, image.height, micronsPerPixel);
  const comparison = truth ? compareToTruth(boundary, Uint8Array.from(truth.pixels, (v) => (v > 127 ? 1 : 0)), image.width, image.height, micronsPerPixel) : undefined;
  return { kind: 'segment', name, width: image.width, height: image.height, boundary, stats, distribution: sizeDistribution(stats), comparison, ...(rescaled ? { rescaled } : {}) };
}

/** The result's big buffers, to transfer rather than copy. */
export function resultBuffers(r: AnalysisResult): ArrayBuffer[] {
  return [r.kind === 'classify' ? r.heat.buffer : r.boundary.buffer] as ArrayBuffer[];
}
