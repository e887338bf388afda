import { describe, expect, it } from 'vitest';
import { grainStatistics, labelGrains } from '../../src/lib/analysis/grainStats';
import { generateGrainSample } from '../../src/lib/synth/grains/index';
import { recipe } from './helpers';

/** Square grains of side `cell` px separated by 1-px lines. */
function squareGrid(size: number, cell: number): Uint8Array {
  const mask = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (x % (cell + 1) === cell || y % (cell + 1) === cell) mask[y * size + x] = 1;
  return mask;
}

describe('grain statistics', () => {
  it('count square grains exactly and size them within 5 %, leaving border grains out of sizes', () => {
    // 210 px with 20-px cells and 1-px lines: 10 × 10 cells; the last line lies on the right and
    // bottom edges, so only the top row and left column (19 cells) touch the border.
    const mask = squareGrid(210, 20);
    const s = grainStatistics(mask, 210, 210, 1);
    expect(s.grainsInside + s.grainsOnBorder).toBe(100);
    // Thinning gives each grain its share of the 1-px lines: 21 × 21 px a grain on average.
    const g = labelGrains(mask, 210, 210);
    expect(g.area.slice(1).reduce((a, b) => a + b, 0)).toBe(210 * 210);
    expect(s.grainsOnBorder).toBeGreaterThanOrEqual(19);
    expect(s.grainsInside + s.grainsOnBorder).toBe(100);
    expect(Math.abs(s.meanArea - 441) / 441).toBeLessThan(0.05);
    expect(Math.abs(s.meanDiameter - Math.sqrt((4 * 441) / Math.PI)) / Math.sqrt((4 * 441) / Math.PI)).toBeLessThan(0.03);
  });

  it('gives ASTM E112 G within 0.3 of the analytic value for square grains', () => {
    // 0.5 µm per px: a 21-px period is 10.5 µm. N_A = 1 / (10.5e-3 mm)² per mm²; G = 3.3219·log10(N_A) − 2.954.
    const mask = squareGrid(420, 20);
    const s = grainStatistics(mask, 420, 420, 0.5);
    const nA = 1 / (10.5e-3) ** 2;
    expect(Math.abs(s.gPlanimetric - (3.321928 * Math.log10(nA) - 2.954))).toBeLessThan(0.3);
    // Straight test lines across squares meet a boundary every 10.5 µm; circles slightly more often.
    expect(s.meanIntercept).toBeGreaterThan(8.5);
    expect(s.meanIntercept).toBeLessThan(10.6);
    expect(Math.abs(s.gIntercept - (-6.643856 * Math.log10(10.5e-3) - 3.288))).toBeLessThan(0.6);
    expect(s.warning).toBeUndefined();
  });

  it('finds every grain of a synthetic micrograph from its label mask, and warns under 50', () => {
    const sample = generateGrainSample(recipe({ size: 256 }, { maskWidth: 1.5, grainDiameter: 40 }), 2);
    const g = labelGrains(sample.mask, 256, 256);
    const big = g.area.filter((a, k) => k > 0 && a >= 4).length;
    expect(Math.abs(big - sample.params.grainCount)).toBeLessThanOrEqual(Math.ceil(0.05 * sample.params.grainCount));
    const s = grainStatistics(sample.mask, 256, 256, 1);
    expect(s.warning).toContain('ASTM E112 asks for at least 50');
  });
});
