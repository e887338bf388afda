/**
 * Many images at once: one row per image (what a report lists) and a summary over images. For
 * micrographs, the summary people quote — mean, standard deviation and 95 % t-interval of ASTM
 * E112 G; for chip images, how many were called crack under the user's verdict rule.
 */
import { mean, sd, tInterval } from '../experiment/stats';
import type { GrainStatistics } from './grainStats';
import { chipVerdict, isFlagged, type ClassifyResult, type Verdict, type VerdictRule } from './result';
import type { SizeDistribution } from './sizeDistribution';

export interface ImageRow {
  name: string;
  grains: number;
  grainsOnBorder: number;
  meanAreaUm2: number;
  meanDiameterUm: number;
  meanInterceptUm: number;
  gPlanimetric: number;
  gIntercept: number;
  warning: string;
  /** From the size distribution (sizeDistribution.ts); NaN, or undefined flags, when too few grains were measured. */
  ecdLognormalMu: number;
  ecdLognormalSigma: number;
  medianEcdUm: number;
  geometricSd: number;
  ksD: number;
  ksP: number;
  aspectRatioMean: number;
  aspectRatioMedian: number;
  gAla: number;
  ala?: boolean;
  duplex?: boolean;
}

/** One G estimate over images: mean, sd and 95 % t-interval of the mean, over the `images` that have one. */
export interface OverImagesG { images: number; mean: number; sd: number; ci95: [number, number] }

export interface OverImages {
  images: number;
  gPlanimetric: OverImagesG;
  gIntercept: OverImagesG;
}

export function imageRow(name: string, s: GrainStatistics, d?: SizeDistribution): ImageRow {
  return { name, grains: s.grainsInside, grainsOnBorder: s.grainsOnBorder, meanAreaUm2: s.meanArea, meanDiameterUm: s.meanDiameter,
    meanInterceptUm: s.meanIntercept, gPlanimetric: s.gPlanimetric, gIntercept: s.gIntercept, warning: s.warning ?? '',
    ecdLognormalMu: d?.ecdFit.mu ?? NaN, ecdLognormalSigma: d?.ecdFit.sigma ?? NaN, medianEcdUm: d?.medianEcd ?? NaN, geometricSd: d?.geometricSd ?? NaN,
    ksD: d?.ks.d ?? NaN, ksP: d?.ks.p ?? NaN, aspectRatioMean: d?.aspectRatio.mean ?? NaN, aspectRatioMedian: d?.aspectRatio.median ?? NaN,
    gAla: d?.ala.gLargest ?? NaN, ala: d?.ala.flagged, duplex: d?.duplex.flagged };
}

export function overImages(rows: readonly ImageRow[]): OverImages {
  // An image whose estimate is not a number (no test line crossed a boundary: one grain wider than
  // the image) has no G to average; the summary says over how many images each mean is.
  const of = (all: number[]): OverImagesG => {
    const values = all.filter(Number.isFinite);
    return { images: values.length, mean: mean(values), sd: values.length > 1 ? sd(values) : 0, ci95: tInterval(values, 0.95) };
  };
  return { images: rows.length, gPlanimetric: of(rows.map((r) => r.gPlanimetric)), gIntercept: of(rows.map((r) => r.gIntercept)) };
}

const field = (v: string | number) => (typeof v === 'number' ? String(+v.toPrecision(6)) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
/** The distribution's columns are empty where too few grains gave none. */
const optional = (v: number | boolean | undefined) => (v === undefined || Number.isNaN(v) ? '' : typeof v === 'boolean' ? String(v) : field(v));

/**
 * One line per image, then the summary lines. Columns after `warning` came later (the size
 * distribution): they were appended so that readers of the older columns keep working.
 */
export function imagesCsv(rows: readonly ImageRow[]): string {
  const head = 'image,grains,grains_on_border,mean_area_um2,mean_ecd_um,mean_intercept_um,G_planimetric,G_intercept,warning,'
    + 'ecd_lognormal_mu,ecd_lognormal_sigma,ecd_median_um,ecd_geometric_sd,ks_D,ks_p,aspect_ratio_mean,aspect_ratio_median,G_ALA,ALA,duplex';
  const lines = rows.map((r) => [
    ...[r.name, r.grains, r.grainsOnBorder, r.meanAreaUm2, r.meanDiameterUm, r.meanInterceptUm, r.gPlanimetric, r.gIntercept, r.warning].map(field),
    ...[r.ecdLognormalMu, r.ecdLognormalSigma, r.medianEcdUm, r.geometricSd, r.ksD, r.ksP, r.aspectRatioMean, r.aspectRatioMedian, r.gAla, r.ala, r.duplex].map(optional),
  ].join(','));
  const o = overImages(rows);
  const summary = (['gPlanimetric', 'gIntercept'] as const).map((k) => `summary,${k === 'gPlanimetric' ? 'G_planimetric' : 'G_intercept'} over ${o[k].images} images,mean ${field(o[k].mean)},sd ${field(o[k].sd)},95% CI ${field(o[k].ci95[0])} to ${field(o[k].ci95[1])}`);
  return [head, ...lines, ...summary].join('\n') + '\n';
}

/** Every whole grain of every micrograph: its area, equivalent circle diameter and aspect ratio. */
export function grainsCsv(results: readonly { name: string; stats: Pick<GrainStatistics, 'areas' | 'diameters' | 'aspectRatios'> }[]): string {
  return ['image,grain,area_um2,ecd_um,aspect_ratio', ...results.flatMap((r) =>
    r.stats.areas.map((a, k) => `${field(r.name)},${k + 1},${a},${r.stats.diameters[k]},${r.stats.aspectRatios[k]}`))].join('\n') + '\n';
}

export interface ChipRow {
  name: string;
  width: number;
  height: number;
  windows: number;
  flagged: number;
  /** NaN when the image had no window. */
  maxProbability: number;
  verdict: Verdict;
}

/** One chip image under a verdict rule; re-deciding from the kept window probabilities needs no model. */
export function chipRow(r: Pick<ClassifyResult, 'name' | 'width' | 'height' | 'windows'>, rule: VerdictRule): ChipRow {
  return { name: r.name, width: r.width, height: r.height, windows: r.windows.length, ...chipVerdict(r.windows, rule),
    maxProbability: r.windows.reduce((m, w) => Math.max(m, w.probability), r.windows.length ? -Infinity : NaN) };
}

export function overChips(rows: readonly ChipRow[]): { images: number; crack: number } {
  return { images: rows.length, crack: rows.filter((r) => r.verdict === 'crack').length };
}

/** The rule in words, for the summary line and the CSV: a table of verdicts means little without it. */
export const ruleText = (rule: VerdictRule) =>
  `window crack probability above ${rule.threshold}, at least ${rule.minFlagged} flagged window${rule.minFlagged === 1 ? '' : 's'}`;

/** One line per chip image, then a summary line with the rule that decided the verdicts. */
export function chipsCsv(rows: readonly ChipRow[], rule: VerdictRule): string {
  const head = 'image,width,height,windows,flagged_windows,max_crack_probability,verdict';
  const lines = rows.map((r) => [...[r.name, r.width, r.height, r.windows, r.flagged].map(field), optional(r.maxProbability), r.verdict].join(','));
  const o = overChips(rows);
  return [head, ...lines, `summary,${o.crack} of ${o.images} images called crack,${field(ruleText(rule))}`].join('\n') + '\n';
}

/** Every window of every chip image, flagged at the rule's threshold. */
export function windowsCsv(results: readonly Pick<ClassifyResult, 'name' | 'window' | 'windows'>[], rule: VerdictRule): string {
  return ['image,x,y,window,crack_probability,flagged', ...results.flatMap((r) =>
    r.windows.map((w) => [field(r.name), w.x, w.y, r.window, w.probability, isFlagged(w, rule)].join(',')))].join('\n') + '\n';
}
