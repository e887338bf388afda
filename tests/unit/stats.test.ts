import { describe, expect, it } from 'vitest';
import { agrestiCoull, mean, pairedTTest, sd, tInterval, unitInterval } from '../../src/lib/experiment/stats';
import { addBoundaryCounts, boundaryF1, emptyBoundaryCounts, rocAuc } from '../../src/lib/ml/metrics';

// Student's sleep data (Cushny & Peebles 1905): extra hours of sleep with two drugs, 10 patients.
const drug1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
const drug2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

describe('statistics against published reference values', () => {
  it('paired t-test: t = −4.0621, df = 9, p = 0.002833 (as R’s t.test(paired = TRUE) prints)', () => {
    const { t, df, p } = pairedTTest(drug1, drug2);
    expect(t).toBeCloseTo(-4.0621, 4);
    expect(df).toBe(9);
    expect(p).toBeCloseTo(0.002833, 6);
  });

  it('99 % t-interval uses t(0.995, 9) = 3.2498 (t tables)', () => {
    const [lo, hi] = tInterval(drug1, 0.99);
    const half = 3.249836 * (sd(drug1) / Math.sqrt(10));
    expect(mean(drug1)).toBeCloseTo(0.75, 10);
    expect(sd(drug1)).toBeCloseTo(1.78901, 5);
    expect(lo).toBeCloseTo(0.75 - half, 5);
    expect(hi).toBeCloseTo(0.75 + half, 5);
  });

  it('Agresti–Coull: 10 errors in 50 at 95 % gives [0.1105, 0.3323]', () => {
    const [lo, hi] = agrestiCoull(10, 50, 0.95);
    expect(lo).toBeCloseTo(0.1105, 4);
    expect(hi).toBeCloseTo(0.3323, 4);
    const [lo99, hi99] = agrestiCoull(10, 50, 0.99);
    expect(lo99).toBeLessThan(lo);
    expect(hi99).toBeGreaterThan(hi);
  });

  it('paired t-test keeps tiny p-values: t = 25, df = 99 gives p = 1.4493e-44 (SciPy 2·t.cdf(−25, 99)), not 0', () => {
    const m = 2.5 * Math.sqrt(100 / 99);
    const a = Array.from({ length: 100 }, (_, i) => m + (i % 2 ? 1 : -1));
    const { t, df, p } = pairedTTest(a, new Array(100).fill(0));
    expect(t).toBeCloseTo(25, 9);
    expect(df).toBe(99);
    expect(p / 1.4493044898916672e-44).toBeCloseTo(1, 5);
  });

  it('ROC AUC: scikit-learn’s example (scores 0.1, 0.4, 0.35, 0.8; truth 0, 0, 1, 1) gives 0.75; ties count half', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
    expect(rocAuc([0.5, 0.5, 0.5], [0, 1, 1])).toBe(0.5);
    expect(rocAuc([0.9, 0.1], [1, 0])).toBe(1);
    expect(rocAuc([0.2, 0.3], [1, 1])).toBeNaN();
  });

  it('handles identical runs and single runs without NaN surprises', () => {
    expect(pairedTTest([0.1, 0.1], [0.1, 0.1]).p).toBe(1);
    expect(tInterval([0.3])).toEqual([0.3, 0.3]);
  });

  it('keeps intervals of errors, IoU and F1 inside [0, 1], and gives one run all of it', () => {
    expect(unitInterval([0.3])).toEqual([0, 1]);
    const [lo, hi] = tInterval([0.01, 0.05, 0.1]);
    expect(lo).toBeLessThan(0);
    expect(hi).toBeLessThan(1);
    expect(unitInterval([0.01, 0.05, 0.1])).toEqual([0, hi]);
    expect(unitInterval([0.05, 0.4])).toEqual([0, 1]); // two runs: t(1) reaches far past both ends
    expect(unitInterval([0.4, 0.5, 0.45])).toEqual(tInterval([0.4, 0.5, 0.45]));
  });
});

describe('boundary F1 with a 2-pixel tolerance', () => {
  it('forgives a boundary drawn 2 px off, not 3 px', () => {
    const size = 20, truth = new Uint8Array(size * size);
    for (let y = 0; y < size; y++) truth[y * size + 10] = 1;
    for (const [shift, expected] of [[0, 1], [2, 1], [3, 0]] as const) {
      const predicted = new Uint8Array(size * size);
      for (let y = 0; y < size; y++) predicted[y * size + 10 + shift] = 1;
      const c = emptyBoundaryCounts();
      addBoundaryCounts(c, truth, predicted, size);
      expect(boundaryF1(c)).toBeCloseTo(expected);
    }
  });
});
