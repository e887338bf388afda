/**
 * Many micrographs at once: one row per image (what a report lists) and the summary over images
 * that people quote — mean, standard deviation and 95 % t-interval of ASTM E112 G.
 */
import { mean, sd, tInterval } from '../experiment/stats';
import type { GrainStatistics } from './grainStats';

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
}

export interface OverImages {
  images: number;
  /** Per G estimate: mean, sd and 95 % t-interval of the mean over images. */
  gPlanimetric: { mean: number; sd: number; ci95: [number, number] };
  gIntercept: { mean: number; sd: number; ci95: [number, number] };
}

export function imageRow(name: string, s: GrainStatistics): ImageRow {
  return { name, grains: s.grainsInside, grainsOnBorder: s.grainsOnBorder, meanAreaUm2: s.meanArea, meanDiameterUm: s.meanDiameter,
    meanInterceptUm: s.meanIntercept, gPlanimetric: s.gPlanimetric, gIntercept: s.gIntercept, warning: s.warning ?? '' };
}

export function overImages(rows: readonly ImageRow[]): OverImages {
  const of = (values: number[]) => ({ mean: mean(values), sd: values.length > 1 ? sd(values) : 0, ci95: tInterval(values, 0.95) });
  return { images: rows.length, gPlanimetric: of(rows.map((r) => r.gPlanimetric)), gIntercept: of(rows.map((r) => r.gIntercept)) };
}

const field = (v: string | number) => (typeof v === 'number' ? String(+v.toPrecision(6)) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** One line per image, then the summary lines. */
export function imagesCsv(rows: readonly ImageRow[]): string {
  const head = 'image,grains,grains_on_border,mean_area_um2,mean_ecd_um,mean_intercept_um,G_planimetric,G_intercept,warning';
  const lines = rows.map((r) => [r.name, r.grains, r.grainsOnBorder, r.meanAreaUm2, r.meanDiameterUm, r.meanInterceptUm, r.gPlanimetric, r.gIntercept, r.warning].map(field).join(','));
  const o = overImages(rows);
  const summary = (['gPlanimetric', 'gIntercept'] as const).map((k) => `summary,${k === 'gPlanimetric' ? 'G_planimetric' : 'G_intercept'} over ${o.images} images,mean ${field(o[k].mean)},sd ${field(o[k].sd)},95% CI ${field(o[k].ci95[0])} to ${field(o[k].ci95[1])}`);
  return [head, ...lines, ...summary].join('\n') + '\n';
}
