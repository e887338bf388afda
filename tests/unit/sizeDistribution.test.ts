import { describe, expect, it } from 'vitest';
import { grainStatistics } from '../../src/lib/analysis/grainStats';
import { kolmogorovSurvival, ksLognormal, sizeDistribution } from '../../src/lib/analysis/sizeDistribution';
import { Rng } from '../../src/lib/random';
import { generateGrainSample } from '../../src/lib/synth/grains/index';
import { recipe } from './helpers';

const areaOf = (ecd: number) => (Math.PI / 4) * ecd * ecd;
/** Whole grains with the given ECDs (µm), as grainStatistics reports them; round grains (aspect ratio 1). */
const grains = (diameters: number[]) => ({ diameters, areas: diameters.map(areaOf), aspectRatios: diameters.map(() => 1) });
const lognormalEcds = (n: number, median: number, sigma: number, seed: number) => {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => median * Math.exp(sigma * rng.normal()));
};

describe('grain size distribution', () => {
  it('recovers mu and sigma of lognormal ECDs, with a small KS D and a large p', () => {
    const d = sizeDistribution(grains(lognormalEcds(2000, 12, 0.35, 1)))!;
    expect(d.ecdFit.mu).toBeCloseTo(Math.log(12), 1);
    expect(Math.abs(d.ecdFit.sigma - 0.35)).toBeLessThan(0.02);
    expect(Math.abs(d.medianEcd - 12) / 12).toBeLessThan(0.03);
    expect(d.geometricSd).toBeCloseTo(Math.exp(d.ecdFit.sigma), 12);
    expect(d.ks.d).toBeLessThan(0.03);
    expect(d.ks.p).toBeGreaterThan(0.1);
    expect(d.duplex.flagged).toBe(false);
    expect(d.ala.flagged).toBe(false);
  });

  it('a sample of 200 drawn from a lognormal passes KS at 5 % for most seeds', () => {
    const passes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].filter((seed) => sizeDistribution(grains(lognormalEcds(200, 8, 0.4, seed)))!.ks.p > 0.05).length;
    expect(passes).toBeGreaterThanOrEqual(9);
  });

  it('Kolmogorov distribution: the familiar critical values and both series agreeing at their seam', () => {
    expect(kolmogorovSurvival(1.358)).toBeCloseTo(0.05, 3);
    expect(kolmogorovSurvival(1.628)).toBeCloseTo(0.01, 3);
    expect(kolmogorovSurvival(0.5)).toBeCloseTo(0.9639, 3);
    expect(Math.abs(kolmogorovSurvival(1.18 - 1e-9) - kolmogorovSurvival(1.18))).toBeLessThan(1e-8);
    expect(kolmogorovSurvival(0)).toBe(1);
  });

  it('KS D against a lognormal by hand: one value at the median gives D = ½', () => {
    expect(ksLognormal([Math.E], 1, 0.5).d).toBeCloseTo(0.5, 12);
  });

  it('a bimodal mixture fits a lognormal badly (large D, small p) and is duplex', () => {
    const small = lognormalEcds(160, 8, 0.15, 11), large = lognormalEcds(40, 32, 0.15, 12);
    const d = sizeDistribution(grains([...small, ...large]))!;
    expect(d.ks.d).toBeGreaterThan(0.15);
    expect(d.ks.p).toBeLessThan(0.001);
    expect(d.duplex.flagged).toBe(true);
    // ECDs 4× apart: 4 G numbers (a factor 16 in area).
    expect(d.duplex.gSeparation!).toBeGreaterThan(3.5);
    expect(d.duplex.gSeparation!).toBeLessThan(4.5);
    expect(d.duplex.fine!.grains).toBe(160);
    expect(d.duplex.coarse!.grains).toBe(40);
    // Area shares: 160·8² against 40·32² (≈ 0.2 fine).
    expect(d.duplex.fine!.areaShare).toBeGreaterThan(0.15);
    expect(d.duplex.fine!.areaShare).toBeLessThan(0.25);
    expect(d.ala.flagged).toBe(false);
  });

  it('one population is not duplex: equal sizes, a narrow uniform spread, wide lognormals', () => {
    expect(sizeDistribution(grains(new Array(100).fill(10)))!.duplex.flagged).toBe(false);
    const rng = new Rng(5);
    expect(sizeDistribution(grains(Array.from({ length: 150 }, () => rng.uniform(8, 12))))!.duplex.flagged).toBe(false);
    for (const seed of [21, 22, 23, 24, 25]) expect(sizeDistribution(grains(lognormalEcds(300, 10, 0.6, seed)))!.duplex.flagged).toBe(false);
  });

  it('two populations only 2 G numbers apart are not duplex (E1181 asks for 3)', () => {
    const d = sizeDistribution(grains([...lognormalEcds(150, 10, 0.08, 31), ...lognormalEcds(80, 20, 0.08, 32)]))!;
    expect(d.duplex.fine).toBeDefined(); // two components found…
    expect(d.duplex.gSeparation!).toBeLessThan(2.5);
    expect(d.duplex.flagged).toBe(false); // …but too close in size
  });

  it('one huge grain among many small ones is an ALA grain, not a duplex structure', () => {
    const ecds = [...lognormalEcds(400, 10, 0.2, 41), 40];
    const d = sizeDistribution(grains(ecds))!;
    expect(d.ala.flagged).toBe(true);
    expect(d.ala.largestEcd).toBe(40);
    expect(d.ala.coarserBy).toBeGreaterThan(3.5); // ECD ×4 ≈ 4 G numbers
    expect(d.ala.coarseAreaShare).toBeLessThan(0.05);
    expect(d.duplex.flagged).toBe(false);
  });

  it('a huge grain in a small field holds too much of the area to be ALA', () => {
    // 30 grains of 10 µm and one of 40 µm: ≥ 3 G coarser, but 16 / (30 + 16) of the area.
    const d = sizeDistribution(grains([...new Array(30).fill(10), 40]))!;
    expect(d.ala.coarserBy).toBeGreaterThan(3);
    expect(d.ala.coarseAreaShare).toBeGreaterThan(0.3);
    expect(d.ala.flagged).toBe(false);
  });

  it('gives nothing for fewer than 20 whole grains', () => {
    expect(sizeDistribution(grains(new Array(19).fill(10)))).toBeUndefined();
  });

  it('reports mean and median aspect ratio', () => {
    const d = sizeDistribution({ ...grains(new Array(20).fill(10)), aspectRatios: [...new Array(15).fill(1), 2, 2, 3, 3, 6] })!;
    expect(d.aspectRatio.median).toBe(1);
    expect(d.aspectRatio.mean).toBeCloseTo((15 + 16) / 20, 12);
  });

  it('a synthetic micrograph of one grain population: a good lognormal fit, no ALA grain, not duplex', () => {
    const sample = generateGrainSample(recipe({ size: 512, seed: 3 }, { maskWidth: 1.5, grainDiameter: 30 }), 0);
    const s = grainStatistics(sample.mask, 512, 512, 0.5);
    expect(s.aspectRatios).toHaveLength(s.areas.length);
    const d = sizeDistribution(s)!;
    expect(d.grains).toBe(s.grainsInside);
    expect(d.ks.p).toBeGreaterThan(0.05);
    expect(d.aspectRatio.mean).toBeGreaterThan(1);
    expect(d.aspectRatio.mean).toBeLessThan(2);
    expect(d.ala.flagged).toBe(false);
    expect(d.duplex.flagged).toBe(false);
  });
});
