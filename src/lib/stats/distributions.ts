/**
 * The few distributions crack statistics need: sampling, density (for plotting a fit over a
 * histogram) and maximum-likelihood fits, which for these families have closed forms.
 */
import type { Rng } from '../random';

export type Distribution =
  | { family: 'normal'; mean: number; sd: number }
  | { family: 'lognormal'; mu: number; sigma: number }
  | { family: 'uniform'; lo: number; hi: number }
  /** Whole numbers lo..hi, each equally likely. */
  | { family: 'integer'; lo: number; hi: number };

export function sample(d: Distribution, rng: Rng): number {
  switch (d.family) {
    case 'normal':
      return d.mean + d.sd * rng.normal();
    case 'lognormal':
      return Math.exp(d.mu + d.sigma * rng.normal());
    case 'uniform':
      return d.lo + (d.hi - d.lo) * rng.next();
    case 'integer':
      return rng.int(d.lo, d.hi);
  }
}

export function density(d: Distribution, x: number): number {
  switch (d.family) {
    case 'normal':
      return Math.exp(-0.5 * ((x - d.mean) / d.sd) ** 2) / (d.sd * Math.sqrt(2 * Math.PI));
    case 'lognormal':
      return x <= 0 ? 0 : Math.exp(-0.5 * ((Math.log(x) - d.mu) / d.sigma) ** 2) / (x * d.sigma * Math.sqrt(2 * Math.PI));
    case 'uniform':
      return x >= d.lo && x <= d.hi ? 1 / (d.hi - d.lo || 1) : 0;
    case 'integer':
      return Number.isInteger(x) && x >= d.lo && x <= d.hi ? 1 / (d.hi - d.lo + 1) : 0;
  }
}

export function mean(d: Distribution): number {
  switch (d.family) {
    case 'normal':
      return d.mean;
    case 'lognormal':
      return Math.exp(d.mu + (d.sigma * d.sigma) / 2);
    case 'uniform':
    case 'integer':
      return (d.lo + d.hi) / 2;
  }
}

const average = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Maximum-likelihood sd (divides by n); with fewer than two values it is 0. */
const mleSd = (xs: readonly number[], m: number) => Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / xs.length);

/** Maximum-likelihood fit. Needs at least two values; lognormal needs them all above 0. */
export function fit(family: Distribution['family'], values: readonly number[]): Distribution {
  if (values.length < 2) throw new RangeError(`Fitting a ${family} distribution needs at least 2 measurements; got ${values.length}.`);
  switch (family) {
    case 'normal': {
      const m = average(values);
      return { family, mean: m, sd: Math.max(1e-6, mleSd(values, m)) };
    }
    case 'lognormal': {
      if (values.some((v) => v <= 0)) throw new RangeError('A lognormal fit needs every measurement above 0.');
      const logs = values.map(Math.log);
      const m = average(logs);
      return { family, mu: m, sigma: Math.max(1e-6, mleSd(logs, m)) };
    }
    case 'uniform':
      return { family, lo: Math.min(...values), hi: Math.max(...values) };
    case 'integer':
      return { family, lo: Math.round(Math.min(...values)), hi: Math.round(Math.max(...values)) };
  }
}

/** A message naming the field when a distribution cannot be sampled, else undefined. */
export function distributionError(field: string, d: Distribution | undefined): string | undefined {
  if (!d || typeof d !== 'object') return `${field}: a distribution is required, e.g. {"family": "lognormal", "mu": 1, "sigma": 0.3} (or normal: mean, sd; uniform or integer: lo, hi).`;
  const finite = (...xs: number[]) => xs.every((x) => typeof x === 'number' && Number.isFinite(x));
  switch (d.family) {
    case 'normal':
      return finite(d.mean, d.sd) && d.sd >= 0 ? undefined : `${field}: a normal distribution needs a finite mean and an sd of 0 or more.`;
    case 'lognormal':
      return finite(d.mu, d.sigma) && d.sigma >= 0 ? undefined : `${field}: a lognormal distribution needs a finite mu and a sigma of 0 or more.`;
    case 'uniform':
    case 'integer':
      return finite(d.lo, d.hi) && d.lo <= d.hi ? undefined : `${field}: ${d.family} needs numbers lo ≤ hi.`;
    default:
      return `${field}: unknown family; use normal, lognormal, uniform or integer.`;
  }
}

/** The value 99.9 % of a distribution's draws stay under (its bulk's top): for checking a recipe's plausibility. */
export function bulkTop(d: Distribution): number {
  const z = 3.09; // the standard normal's 99.9th percentile
  switch (d.family) {
    case 'normal': return d.mean + z * d.sd;
    case 'lognormal': return Math.exp(d.mu + z * d.sigma);
    case 'uniform':
    case 'integer': return d.hi;
  }
}

/** Histogram with `bins` equal bins over [lo, hi]; counts scaled to a density so a pdf overlays it. */
export function histogram(values: readonly number[], bins: number, lo = Math.min(...values), hi = Math.max(...values)) {
  const width = (hi - lo) / bins || 1;
  const counts = new Array(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))]++;
  return { lo, hi, width, density: counts.map((c) => c / (values.length * width)) };
}
