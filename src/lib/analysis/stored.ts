/**
 * A finished analysis as it is kept (IndexedDB store `analyses`) and listed in Analyse: its name,
 * date, the model (id and name, so it still reads after the model is deleted), the options it ran
 * with, and each image's result without the big per-pixel buffers.
 *
 * What is kept, and why: a micrograph's boundary map and a chip image's heatmap are width × height
 * (1 or 4 bytes a pixel) and only draw overlays on pixels that are not kept either, so both go. A
 * micrograph keeps its grain statistics (the per-grain areas, diameters and aspect ratios the
 * per-grain CSV lists), its size distribution, its comparison with a traced mask and its rescale; a
 * chip image keeps every window's probability (a few numbers per window), so the verdict rule can
 * still re-decide it. The per-image rows and the summary over images are not stored beside these:
 * they are computed from them by the same functions (batch.ts) as for a fresh result, so a stored
 * analysis shows and exports exactly what it showed when it finished, and cannot disagree with itself.
 */
import { isPlainObject } from '../params/space';
import { chipRow, imageRow, overChips, overImages, ruleText, type ChipRow, type ImageRow } from './batch';
import type { GrainMeasureOptions } from './grainStats';
import { verdictRuleProblem, type AnalysisResult, type ClassifyResult, type VerdictRule } from './result';
import { fixed } from '../format';

/** Bumped when the stored shape changes; a record of another version is listed as damaged, not misread. */
export const ANALYSIS_RECORD_VERSION = 1;

type SegmentResult = Extract<AnalysisResult, { kind: 'segment' }>;
/** A segmented micrograph without its boundary map. */
export type StoredMicrograph = Omit<SegmentResult, 'kind' | 'boundary'>;
/** A scanned chip image without its heatmap (heatmap() rebuilds it from the windows). */
export type StoredChip = Omit<ClassifyResult, 'kind' | 'heat'>;

export interface GrainAnalysisOptions {
  micronsPerPixel: number;
  /** Segmented at the model's training scale (analysis/scale.ts). */
  rescale: boolean;
  /** A pixel was boundary above this probability (the model's own threshold, or BOUNDARY_THRESHOLD). */
  boundaryThreshold: number;
  /** How the boundary was cleaned before grains were counted. */
  measure: GrainMeasureOptions;
}

export interface ChipAnalysisOptions {
  /** Step between windows, px. */
  stride: number;
  /** The verdict rule the analysis finished under; its window probabilities let another rule re-decide it. */
  rule: VerdictRule;
}

interface Common {
  id: string;
  version: typeof ANALYSIS_RECORD_VERSION;
  name: string;
  createdAt: number;
  model: { id: string; name: string };
}

export type AnalysisRecord = Common & (
  | { kind: 'segment'; options: GrainAnalysisOptions; images: StoredMicrograph[] }
  | { kind: 'classify'; options: ChipAnalysisOptions; images: StoredChip[] });

export type GrainAnalysisRecord = Extract<AnalysisRecord, { kind: 'segment' }>;
export type ChipAnalysisRecord = Extract<AnalysisRecord, { kind: 'classify' }>;

export interface AnalysisRecordInput {
  id: string;
  createdAt: number;
  /** Absent: a name from the images (defaultAnalysisName). */
  name?: string;
  model: { id: string; name: string };
  /** Only the options of the results' kind are kept. */
  options: { micronsPerPixel: number; rescale: boolean; boundaryThreshold: number; measure: GrainMeasureOptions; stride: number; rule: VerdictRule };
  results: readonly AnalysisResult[];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "3 micrographs (a.png, …)" / "1 chip photo (b.png)": the list shows the model and the date beside it. */
export function defaultAnalysisName(kind: AnalysisRecord['kind'], names: readonly string[]): string {
  return `${plural(names.length, kind === 'segment' ? 'micrograph' : 'chip photo')} (${names[0]}${names.length > 1 ? ', …' : ''})`;
}

/** The name a user typed, trimmed; an empty one is refused with a message. */
export function analysisName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw new Error('An analysis name cannot be empty.');
  return trimmed;
}

/**
 * The record of a finished analysis: plain data only (fresh objects and copies of the options, so a
 * reactive proxy never reaches IndexedDB), with the per-pixel buffers left out. All results must be
 * of one kind (one model made them).
 */
export function analysisRecord(input: AnalysisRecordInput): AnalysisRecord {
  const { results, options: o } = input;
  if (results.length === 0) throw new Error('An analysis without images is not stored.');
  const kind = results[0].kind;
  if (results.some((r) => r.kind !== kind)) throw new Error('An analysis holds the results of one model: all micrographs or all chip images.');
  const common: Common = {
    id: input.id, version: ANALYSIS_RECORD_VERSION, createdAt: input.createdAt,
    name: input.name === undefined ? defaultAnalysisName(kind, results.map((r) => r.name)) : analysisName(input.name),
    model: { id: input.model.id, name: input.model.name },
  };
  if (kind === 'segment') {
    return { ...common, kind, options: { micronsPerPixel: o.micronsPerPixel, rescale: o.rescale, boundaryThreshold: o.boundaryThreshold, measure: { ...o.measure } },
      images: (results as SegmentResult[]).map(({ kind: _, boundary: __, ...kept }) => kept) };
  }
  const problem = verdictRuleProblem(o.rule);
  if (problem) throw new Error(problem);
  return { ...common, kind, options: { stride: o.stride, rule: { threshold: o.rule.threshold, minFlagged: o.rule.minFlagged } },
    images: (results as ClassifyResult[]).map(({ kind: _, heat: __, ...kept }) => kept) };
}

/**
 * Bytes the record takes once serialized, from above (what checkValueSize is given): a window is
 * three numbers with their keys (≈ 40 bytes in V8's serializer), a grain three numbers.
 */
export function analysisRecordBytes(record: AnalysisRecord): number {
  const per = record.kind === 'segment'
    ? (record.images as StoredMicrograph[]).reduce((a, i) => a + 32 * i.stats.areas.length, 0)
    : (record.images as StoredChip[]).reduce((a, i) => a + 48 * i.windows.length, 0);
  return 4096 + 2048 * record.images.length + per;
}

const isText = (v: unknown) => typeof v === 'string';
const isCount = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;

function imageError(image: unknown, kind: AnalysisRecord['kind']): string | undefined {
  if (!isPlainObject(image) || !isText(image.name) || !isCount(image.width) || !isCount(image.height)) return 'has an image without its name and size';
  if (kind === 'segment') {
    const s = image.stats;
    if (!isPlainObject(s) || !Array.isArray(s.areas) || !Array.isArray(s.diameters) || !Array.isArray(s.aspectRatios)
      || !['gPlanimetric', 'gIntercept', 'meanArea', 'meanDiameter', 'meanIntercept'].every((k) => typeof s[k] === 'number')
      || !isCount(s.grainsInside) || !isCount(s.grainsOnBorder)) return `has no grain statistics for ${image.name}`;
    // The size distribution is absent below 20 grains; present, every part the tables read must be there.
    const d = image.distribution;
    if (d !== undefined && !(isPlainObject(d) && ['ecdFit', 'ks', 'aspectRatio', 'ala', 'duplex'].every((k) => isPlainObject(d[k])))) return `has an incomplete size distribution for ${image.name}`;
  } else if (!Number.isInteger(image.window) || (image.window as number) < 1 || !Array.isArray(image.windows)
    || !image.windows.every((w) => isPlainObject(w) && [w.x, w.y, w.probability].every((v) => typeof v === 'number'))) return `has no window probabilities for ${image.name}`;
  return undefined;
}

/** What is wrong with a stored analysis record (another version wrote it, or it was edited), or undefined. */
export function analysisRecordError(value: unknown): string | undefined {
  if (!isPlainObject(value)) return 'is not an object';
  for (const key of ['id', 'name']) if (!isText(value[key])) return `has no ${key} (text)`;
  if (!Number.isFinite(value.createdAt)) return 'has no creation time';
  if (value.version !== ANALYSIS_RECORD_VERSION) return `was stored by another version of SynthScope (record version ${String(value.version)}, this one reads ${ANALYSIS_RECORD_VERSION})`;
  if (!isPlainObject(value.model) || !isText(value.model.id) || !isText(value.model.name)) return 'does not name its model';
  if (value.kind !== 'segment' && value.kind !== 'classify') return 'is neither a grain nor a crack analysis';
  const o = value.options;
  if (!isPlainObject(o)) return 'has no options';
  if (value.kind === 'segment') {
    if (!(typeof o.micronsPerPixel === 'number' && o.micronsPerPixel > 0)) return 'has no pixel size';
    if (typeof o.boundaryThreshold !== 'number' || typeof o.rescale !== 'boolean') return 'has no boundary threshold';
    const m = o.measure;
    if (!isPlainObject(m) || !['gapLength', 'spurLength', 'minGrainArea', 'minGrainFraction'].every((k) => typeof m[k] === 'number')) return 'has no grain measuring options';
  } else {
    if (!(typeof o.stride === 'number' && o.stride >= 1)) return 'has no window stride';
    const problem = isPlainObject(o.rule) ? verdictRuleProblem(o.rule as unknown as VerdictRule) : 'no verdict rule';
    if (problem) return `has an unusable verdict rule: ${problem}`;
  }
  if (!Array.isArray(value.images) || value.images.length === 0) return 'has no images';
  for (const image of value.images) {
    const problem = imageError(image, value.kind);
    if (problem) return problem;
  }
  return undefined;
}

/** A stored grain analysis as the table shows it: one row per micrograph. */
export const storedImageRows = (record: GrainAnalysisRecord): ImageRow[] => record.images.map((i) => imageRow(i.name, i.stats, i.distribution));

/** A stored chip analysis under a rule (its own, or one the user tries): one row per image. */
export const storedChipRows = (record: ChipAnalysisRecord, rule: VerdictRule = record.options.rule): ChipRow[] => record.images.map((i) => chipRow(i, rule));

/** One line for the list: what the analysis found, in the summary's words. */
export function analysisSummaryText(record: AnalysisRecord): string {
  if (record.kind === 'classify') {
    const o = overChips(storedChipRows(record));
    return `${o.crack} of ${plural(o.images, 'image')} called crack (${ruleText(record.options.rule)})`;
  }
  const rows = storedImageRows(record);
  if (rows.length === 1) return `G planimetric ${fixed(rows[0].gPlanimetric)}, G intercept ${fixed(rows[0].gIntercept)} · ${rows[0].grains} grains`;
  const o = overImages(rows);
  return `G planimetric ${fixed(o.gPlanimetric.mean)} ± ${fixed(o.gPlanimetric.sd)}, G intercept ${fixed(o.gIntercept.mean)} ± ${fixed(o.gIntercept.sd)} over ${o.images} images`;
}

/** The options in words, for the opened analysis. */
export function analysisOptionsText(record: AnalysisRecord): string {
  if (record.kind === 'classify') return `stride ${record.options.stride} px; verdict: ${ruleText(record.options.rule)}`;
  const o = record.options;
  return `${+o.micronsPerPixel.toPrecision(4)} µm per px${o.rescale ? ', segmented at the model\u2019s scale' : ''}; boundary above ${+o.boundaryThreshold.toPrecision(3)}; `
    + `gaps ≤ ${o.measure.gapLength} px closed, spurs ≤ ${o.measure.spurLength} px pruned, grains under ${o.measure.minGrainArea} px or ${+(100 * o.measure.minGrainFraction).toPrecision(3)} % of the median absorbed`;
}
