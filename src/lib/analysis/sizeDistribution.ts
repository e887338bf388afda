/**
 * The grain-size distribution of one micrograph, as metallographers report it beyond E112's mean G:
 * a lognormal fit with its goodness of fit, the grains' aspect ratios, the largest grain against
 * the rest (ASTM E930, "ALA") and a test for two grain-size populations (ASTM E1181, "duplex").
 *
 * Only whole grains enter (grainStatistics leaves grains cut by the image border out of `areas`,
 * `diameters` and `aspectRatios`): a cut grain's area is a piece of an unknown whole, and the
 * large grains are the likelier to be cut, so including them would bend the distribution small.
 */
import erfc from '@stdlib/math-base-special-erfc';
import { fit } from '../stats/distributions';
import { gFromGrainsPerMm2, type GrainStatistics } from './grainStats';

/** Fewer whole grains than this give no distribution: a fit, a KS test or a mixture on fewer says little. */
export const MIN_GRAINS_FOR_DISTRIBUTION = 20;

/**
 * ALA and duplex share E1181's line between them: coarse grains holding less than 5 % of the area
 * are isolated "as large as" grains, from 5 % on they are a second population.
 */
export const COARSE_AREA_SHARE = 0.05;
/** "Coarser by at least 3 G numbers" (E930/E1181): a factor 2³ = 8 in area, 2^1.5 ≈ 2.8 in ECD. */
export const G_SEPARATION = 3;
/** A population of the duplex test needs this many grains: one or two outliers are ALA grains, not a population. */
const MIN_POPULATION_GRAINS = 5;
/**
 * Least sd of a mixture component, in ln ECD (5 % of the ECD): keeps EM from shrinking a
 * component onto one grain or onto equal sizes, where the likelihood has no maximum.
 */
const MIN_LOG_SD = 0.05;
/** The KS test's level: below it, the sizes are reported as departing from a lognormal. */
export const KS_LEVEL = 0.05;
/** Ashman's D above which two Gaussian components are separated by a dip (Ashman, Bird & Zepf 1994). */
const MIN_ASHMAN_D = 2;

export interface GrainPopulation {
  grains: number;
  /** Share of the measured (whole-grain) area. */
  areaShare: number;
  /** E112 G from the population's mean area, and its median ECD (µm). */
  g: number;
  medianEcd: number;
}

export interface SizeDistribution {
  grains: number;
  /**
   * Maximum-likelihood lognormal of the ECD (µm): ln ECD ~ N(mu, sigma²). Fitted to ECD, the size
   * people plot; the area of a circle is π/4·ECD², so ln area is 2·ln ECD + a constant and the
   * area fit is this one rescaled (sigma doubles), with the same KS D: nothing is lost by the choice.
   */
  ecdFit: { family: 'lognormal'; mu: number; sigma: number };
  /** exp(mu) in µm, and the geometric sd exp(sigma): a factor (sizes spread ×/÷ it), not a length. */
  medianEcd: number;
  geometricSd: number;
  /**
   * Kolmogorov–Smirnov D of the ECDs against the fitted lognormal, and its p-value from the
   * asymptotic Kolmogorov distribution. The parameters were fitted to the same grains, which makes
   * D smaller than for a stated distribution, so this p is conservative (too large; Lilliefors 1967):
   * a small p is a safe rejection of lognormality, a large one is weaker evidence for it.
   */
  ks: { d: number; p: number };
  aspectRatio: { mean: number; median: number };
  ala: AlaCheck;
  duplex: DuplexCheck;
}

export interface AlaCheck {
  largestEcd: number;
  /** E930 ALA G: the E112 G of a field holding only the largest grain (N_A = 1 / its area). */
  gLargest: number;
  /** E112 G from the mean area of the other whole grains. */
  gRest: number;
  /** gRest − gLargest: how many G numbers the largest grain is coarser. */
  coarserBy: number;
  /** Share of the measured area held by the grains at least G_SEPARATION coarser than the rest. */
  coarseAreaShare: number;
  /**
   * ALA: the largest grain is at least G_SEPARATION G numbers coarser than the rest and the grains
   * that coarse hold less than COARSE_AREA_SHARE of the area (more is a population: see duplex).
   * E930 judges the whole specimen; here it is the measured field, so the share is of that field.
   */
  flagged: boolean;
}

export interface DuplexCheck {
  /**
   * Two populations: a two-component Gaussian mixture of ln ECD beats one Gaussian (the lognormal)
   * by BIC, its components are separated by a dip (Ashman's D > 2), their grains' E112 G numbers
   * differ by at least G_SEPARATION, and each holds at least MIN_POPULATION_GRAINS grains and
   * COARSE_AREA_SHARE of the area. BIC alone would split any skewed or heavy-tailed sample; the
   * G and area rules are E1181's; the dip keeps a wide single population from counting as two.
   */
  flagged: boolean;
  /** The mixture's populations, when BIC prefers two components (flagged or not). */
  fine?: GrainPopulation;
  coarse?: GrainPopulation;
  /** fine.g − coarse.g, and Ashman's D of the two components. */
  gSeparation?: number;
  ashmanD?: number;
}

const meanOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b), h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}
/** E112 G of grains whose mean area is `meanAreaUm2` µm². */
const gOfMeanArea = (meanAreaUm2: number) => gFromGrainsPerMm2(1e6 / meanAreaUm2);
const normalCdf = (z: number) => 0.5 * erfc(-z / Math.SQRT2);
const normalLogPdf = (x: number, m: number, s: number) => -0.5 * ((x - m) / s) ** 2 - Math.log(s * Math.sqrt(2 * Math.PI));

/**
 * P(K > λ) for the Kolmogorov distribution (the limit of √n·D under the null). Below λ = 1.18 the
 * alternating series converges slowly, and the equivalent theta-function form is used instead.
 */
export function kolmogorovSurvival(lambda: number): number {
  if (!(lambda > 0)) return 1;
  if (lambda < 1.18) {
    const t = Math.exp(-(Math.PI * Math.PI) / (8 * lambda * lambda));
    let sum = 0;
    for (let k = 1; k <= 6; k++) sum += t ** ((2 * k - 1) ** 2);
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / lambda) * sum));
  }
  let p = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    p += (k % 2 ? 2 : -2) * term;
    if (term < 1e-17) break;
  }
  return Math.min(1, Math.max(0, p));
}

/**
 * Kolmogorov–Smirnov D of `values` against a lognormal, and the asymptotic p-value with Stephens'
 * finite-n factor (√n + 0.12 + 0.11/√n), close to exact from n ≈ 5 on.
 */
export function ksLognormal(values: readonly number[], mu: number, sigma: number): { d: number; p: number } {
  const s = [...values].sort((a, b) => a - b), n = s.length;
  let d = 0;
  s.forEach((x, i) => {
    const f = normalCdf((Math.log(x) - mu) / sigma);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  });
  const rootN = Math.sqrt(n);
  return { d, p: kolmogorovSurvival((rootN + 0.12 + 0.11 / rootN) * d) };
}

export function alaCheck(areas: readonly number[], diameters: readonly number[]): AlaCheck {
  let largest = 0;
  for (let k = 1; k < areas.length; k++) if (areas[k] > areas[largest]) largest = k;
  const total = areas.reduce((a, b) => a + b, 0);
  const restMean = (total - areas[largest]) / (areas.length - 1);
  const gLargest = gOfMeanArea(areas[largest]), gRest = gOfMeanArea(restMean);
  const coarse = areas.filter((a) => gOfMeanArea(a) <= gRest - G_SEPARATION).reduce((a, b) => a + b, 0);
  const coarserBy = gRest - gLargest, coarseAreaShare = coarse / total;
  return { largestEcd: diameters[largest], gLargest, gRest, coarserBy, coarseAreaShare,
    flagged: coarserBy >= G_SEPARATION && coarseAreaShare < COARSE_AREA_SHARE };
}

interface Component { weight: number; mean: number; sd: number }

/**
 * Two-component Gaussian mixture of `x` by EM, started from the Otsu split of the sorted values
 * (the cut that maximises the between-class variance), so the result is deterministic.
 */
function twoComponentMixture(x: readonly number[]): { components: [Component, Component]; logLikelihood: number; posteriorSecond: Float64Array } {
  const s = [...x].sort((a, b) => a - b), n = s.length;
  const prefix = [0];
  for (const v of s) prefix.push(prefix[prefix.length - 1] + v);
  let cut = 1, best = -1;
  for (let i = 1; i < n; i++) {
    const m0 = prefix[i] / i, m1 = (prefix[n] - prefix[i]) / (n - i), between = i * (n - i) * (m0 - m1) ** 2;
    if (between > best) { best = between; cut = i; }
  }
  const start = (part: number[]): Component => {
    const m = meanOf(part);
    return { weight: part.length / n, mean: m, sd: Math.max(MIN_LOG_SD, Math.sqrt(meanOf(part.map((v) => (v - m) ** 2)))) };
  };
  const c: [Component, Component] = [start(s.slice(0, cut)), start(s.slice(cut))];
  const r = new Float64Array(n);
  let logLikelihood = -Infinity;
  for (let iteration = 0; iteration < 500; iteration++) {
    let ll = 0;
    for (let i = 0; i < n; i++) {
      const a = Math.log(c[0].weight) + normalLogPdf(x[i], c[0].mean, c[0].sd), b = Math.log(c[1].weight) + normalLogPdf(x[i], c[1].mean, c[1].sd);
      const top = Math.max(a, b), total = top + Math.log(Math.exp(a - top) + Math.exp(b - top));
      r[i] = Math.exp(b - total);
      ll += total;
    }
    const converged = ll - logLikelihood < 1e-9 * n;
    logLikelihood = ll;
    if (converged) break;
    for (const [k, c_] of c.entries()) {
      let w = 0, m = 0;
      for (let i = 0; i < n; i++) { const ri = k ? r[i] : 1 - r[i]; w += ri; m += ri * x[i]; }
      if (w < 1e-9) return { components: c, logLikelihood, posteriorSecond: r }; // a component emptied: stop where it was
      m /= w;
      let v = 0;
      for (let i = 0; i < n; i++) v += (k ? r[i] : 1 - r[i]) * (x[i] - m) ** 2;
      c_.weight = w / n; c_.mean = m; c_.sd = Math.max(MIN_LOG_SD, Math.sqrt(v / w));
    }
  }
  return { components: c, logLikelihood, posteriorSecond: r };
}

export function duplexCheck(areas: readonly number[], diameters: readonly number[]): DuplexCheck {
  const x = diameters.map(Math.log), n = x.length;
  const m = meanOf(x), sd = Math.max(MIN_LOG_SD, Math.sqrt(meanOf(x.map((v) => (v - m) ** 2))));
  const oneLogLikelihood = x.reduce((a, v) => a + normalLogPdf(v, m, sd), 0);
  const mix = twoComponentMixture(x);
  // BIC = k·ln n − 2·ln L with 2 parameters for one Gaussian, 5 for two (2 means, 2 sds, a weight).
  if (5 * Math.log(n) - 2 * mix.logLikelihood >= 2 * Math.log(n) - 2 * oneLogLikelihood) return { flagged: false };
  const [a, b] = mix.components[0].mean <= mix.components[1].mean ? [0, 1] : [1, 0];
  const total = areas.reduce((s, v) => s + v, 0);
  const population = (k: number): GrainPopulation => {
    const members = areas.flatMap((area, i) => ((mix.posteriorSecond[i] > 0.5 ? 1 : 0) === k ? [i] : []));
    const memberAreas = members.map((i) => areas[i]);
    return { grains: members.length, areaShare: memberAreas.reduce((s, v) => s + v, 0) / total,
      g: members.length ? gOfMeanArea(meanOf(memberAreas)) : NaN, medianEcd: members.length ? medianOf(members.map((i) => diameters[i])) : NaN };
  };
  const fine = population(a), coarse = population(b);
  const [cf, cc] = [mix.components[a], mix.components[b]];
  const ashmanD = Math.abs(cc.mean - cf.mean) * Math.sqrt(2 / (cf.sd ** 2 + cc.sd ** 2));
  const gSeparation = fine.g - coarse.g;
  const flagged = ashmanD > MIN_ASHMAN_D && gSeparation >= G_SEPARATION
    && Math.min(fine.grains, coarse.grains) >= MIN_POPULATION_GRAINS && Math.min(fine.areaShare, coarse.areaShare) >= COARSE_AREA_SHARE;
  return { flagged, fine, coarse, gSeparation, ashmanD };
}

/** The distribution of the whole grains of `stats`; undefined below MIN_GRAINS_FOR_DISTRIBUTION grains. */
export function sizeDistribution(stats: Pick<GrainStatistics, 'areas' | 'diameters' | 'aspectRatios'>): SizeDistribution | undefined {
  const { areas, diameters, aspectRatios } = stats;
  if (diameters.length < MIN_GRAINS_FOR_DISTRIBUTION) return undefined;
  const ecdFit = fit('lognormal', diameters) as SizeDistribution['ecdFit'];
  return {
    grains: diameters.length, ecdFit, medianEcd: Math.exp(ecdFit.mu), geometricSd: Math.exp(ecdFit.sigma),
    ks: ksLognormal(diameters, ecdFit.mu, ecdFit.sigma),
    aspectRatio: { mean: meanOf(aspectRatios), median: medianOf(aspectRatios) },
    ala: alaCheck(areas, diameters), duplex: duplexCheck(areas, diameters),
  };
}
