import { describe, expect, it } from 'vitest';
import { imageRow, imagesCsv, overImages } from '../../src/lib/analysis/batch';
import type { GrainStatistics } from '../../src/lib/analysis/grainStats';
import { sizeDistribution } from '../../src/lib/analysis/sizeDistribution';

const stats = (g: number, name = ''): GrainStatistics => ({
  grainsInside: 60, grainsOnBorder: 10, equivalentGrains: 65, areas: [], diameters: [], aspectRatios: [], meanArea: 100, meanDiameter: 11, meanIntercept: 9,
  intersections: 200, intercepts: 190, gPlanimetric: g, gIntercept: g + 0.2, ...(name ? { warning: name } : {}),
});

describe('many micrographs', () => {
  it('summarise G over images with mean, sd and the 95 % t-interval (t(0.975, 2) = 4.303)', () => {
    const rows = [imageRow('a.png', stats(8)), imageRow('b.png', stats(9)), imageRow('c.png', stats(10))];
    const o = overImages(rows);
    expect(o.images).toBe(3);
    expect(o.gPlanimetric.mean).toBeCloseTo(9, 12);
    expect(o.gPlanimetric.sd).toBeCloseTo(1, 12);
    expect(o.gPlanimetric.ci95[1] - 9).toBeCloseTo(4.302653 / Math.sqrt(3), 5);
    expect(o.gIntercept.mean).toBeCloseTo(9.2, 12);
  });

  it('write one CSV line per image and the summary, quoting names with commas', () => {
    const csv = imagesCsv([imageRow('a, 1.png', stats(8, 'only 40 grains')), imageRow('b.png', stats(9))]).trim().split('\n');
    expect(csv[0]).toBe('image,grains,grains_on_border,mean_area_um2,mean_ecd_um,mean_intercept_um,G_planimetric,G_intercept,warning,'
      + 'ecd_lognormal_mu,ecd_lognormal_sigma,ecd_median_um,ecd_geometric_sd,ks_D,ks_p,aspect_ratio_mean,aspect_ratio_median,G_ALA,ALA,duplex');
    // No size distribution for these rows: its columns are empty.
    expect(csv[1]).toBe('"a, 1.png",60,10,100,11,9,8,8.2,only 40 grains' + ','.repeat(11));
    expect(csv).toHaveLength(5);
    expect(csv[3]).toMatch(/^summary,G_planimetric over 2 images,mean 8.5,sd 0.707107,95% CI/);
  });

  it('append the size distribution to an image\'s line: lognormal fit, KS, aspect ratio, ALA G and the two flags', () => {
    const ecds = Array.from({ length: 40 }, (_, k) => 10 * Math.exp(0.3 * Math.sin(k)));
    const s = { ...stats(8), areas: ecds.map((e) => (Math.PI / 4) * e * e), diameters: ecds, aspectRatios: ecds.map(() => 1.5) };
    const d = sizeDistribution(s)!;
    const line = imagesCsv([imageRow('a.png', s, d)]).split('\n')[1].split(',');
    expect(line).toHaveLength(20);
    expect(+line[9]).toBeCloseTo(d.ecdFit.mu, 5);
    expect(+line[11]).toBeCloseTo(d.medianEcd, 4);
    expect(+line[15]).toBe(1.5);
    expect(+line[17]).toBeCloseTo(d.ala.gLargest, 4);
    expect(line.slice(18)).toEqual(['false', 'false']);
  });
});
