/**
 * Statistics over seeded runs, as the paper reports them: mean ± sd, 99 % confidence intervals
 * (t-interval of a mean over runs; Agresti–Coull for an error proportion within one run), and the
 * paired two-tailed t-test between regimes. Distributions come from stdlib (@stdlib/stats-base-dists-*),
 * not hand-written special functions.
 */
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

export const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Sample standard deviation (n − 1); 0 for a single value. */
export function sd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Two-sided t-interval of the mean; with one value the interval is that value. */
export function tInterval(xs: readonly number[], level = 0.99): [number, number] {
  const m = mean(xs);
  if (xs.length < 2) return [m, m];
  const half = tQuantile(1 - (1 - level) / 2, xs.length - 1) * (sd(xs) / Math.sqrt(xs.length));
  return [m - half, m + half];
}

/**
 * The t-interval of a mean of values that lie in [0, 1] (errors, AUC, IoU, F1), kept inside [0, 1]
 * (two runs' t-interval easily reaches below 0 or above 1). One value says nothing about the
 * spread between runs or images, so its interval is all of [0, 1], not a width of 0.
 */
export function unitInterval(xs: readonly number[], level = 0.99): [number, number] {
  if (xs.length < 2) return [0, 1];
  const [lo, hi] = tInterval(xs, level);
  return [Math.max(0, lo), Math.min(1, hi)];
}

/** Agresti–Coull interval for a proportion of `errors` in `n` trials. */
export function agrestiCoull(errors: number, n: number, level = 0.99): [number, number] {
  const z = normalQuantile(1 - (1 - level) / 2, 0, 1);
  const nTilde = n + z * z;
  const p = (errors + (z * z) / 2) / nTilde;
  const half = z * Math.sqrt((p * (1 - p)) / nTilde);
  return [Math.max(0, p - half), Math.min(1, p + half)];
}

/** Paired two-tailed t-test of a against b: t, degrees of freedom and p. */
export function pairedTTest(a: readonly number[], b: readonly number[]): { t: number; df: number; p: number } {
  if (a.length !== b.length) throw new RangeError('A paired t-test needs the same number of values in both groups.');
  const d = a.map((x, i) => x - b[i]);
  const df = d.length - 1;
  if (df < 1) return { t: NaN, df, p: NaN };
  const s = sd(d), m = mean(d);
  if (s === 0) return { t: m === 0 ? 0 : Math.sign(m) * Infinity, df, p: m === 0 ? 1 : 0 };
  const t = m / (s / Math.sqrt(d.length));
  // 2·F(−|t|), not 2·(1 − F(|t|)): the lower tail keeps its precision, so p = 2e-47 stays 2e-47, not 0.
  return { t, df, p: 2 * tCdf(-Math.abs(t), df) };
}
