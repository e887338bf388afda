import { describe, expect, it } from 'vitest';
import { chipRow, chipsCsv, imageRow, imagesCsv, overChips, overImages, windowsCsv } from '../../src/lib/analysis/batch';
import type { GrainStatistics } from '../../src/lib/analysis/grainStats';
import { chipVerdict, crackResult, DEFAULT_VERDICT, verdictRuleProblem } from '../../src/lib/analysis/result';
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
    // An image no test line crossed a boundary in has no intercept G: left out, and counted.
    const blank = imageRow('blank.png', { ...stats(2.4), intersections: 0, gIntercept: NaN });
    const withBlank = overImages([...rows, blank]);
    expect(withBlank.gIntercept).toMatchObject({ images: 3, mean: o.gIntercept.mean, sd: o.gIntercept.sd });
    expect(withBlank.gPlanimetric.images).toBe(4);
    expect(imagesCsv([...rows, blank])).toMatch(/summary,G_intercept over 3 images,mean 9.2,/);
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

describe('many chip images', () => {
  const image = (width: number, height: number) => ({ width, height, pixels: new Uint8Array(width * height) });
  // 2×2 windows of 64 px on a 128² image, and one window on a 64² image.
  const a = crackResult('a.png', image(128, 128), 64, [0.2, 0.7, 0.9, 0.5].map((probability, k) => ({ x: (k % 2) * 64, y: Math.floor(k / 2) * 64, probability })));
  const b = crackResult('b, 2.png', image(64, 64), 64, [{ x: 0, y: 0, probability: 0.3 }]);

  it('flag windows strictly above the threshold and call an image crack from the minimum count up', () => {
    expect(chipVerdict(a.windows, DEFAULT_VERDICT)).toEqual({ flagged: 2, verdict: 'crack' }); // 0.5 is not above 0.5
    expect(chipVerdict(a.windows, { threshold: 0.5, minFlagged: 2 })).toEqual({ flagged: 2, verdict: 'crack' });
    expect(chipVerdict(a.windows, { threshold: 0.5, minFlagged: 3 })).toEqual({ flagged: 2, verdict: 'no crack' });
    expect(chipVerdict(a.windows, { threshold: 0.1, minFlagged: 4 })).toEqual({ flagged: 4, verdict: 'crack' });
    // A probability cannot be above 1: no image is crack at threshold 1.
    expect(chipVerdict([{ x: 0, y: 0, probability: 1 }], { threshold: 1, minFlagged: 1 }).verdict).toBe('no crack');
    expect(chipVerdict([], DEFAULT_VERDICT)).toEqual({ flagged: 0, verdict: 'no crack' });
  });

  it('re-decide rows from the kept probabilities, with the max window probability and a summary', () => {
    expect(chipRow(a, DEFAULT_VERDICT)).toEqual({ name: 'a.png', width: 128, height: 128, windows: 4, flagged: 2, maxProbability: 0.9, verdict: 'crack' });
    const strict = { threshold: 0.95, minFlagged: 1 };
    expect(chipRow(a, strict)).toMatchObject({ flagged: 0, maxProbability: 0.9, verdict: 'no crack' });
    expect(overChips([a, b].map((r) => chipRow(r, DEFAULT_VERDICT)))).toEqual({ images: 2, crack: 1 });
    expect(overChips([a, b].map((r) => chipRow(r, strict)))).toEqual({ images: 2, crack: 0 });
    expect(Number.isNaN(chipRow({ ...b, windows: [] }, DEFAULT_VERDICT).maxProbability)).toBe(true);
  });

  it('write one CSV line per image and a summary naming the rule, quoting names with commas', () => {
    const rule = { threshold: 0.6, minFlagged: 2 };
    const csv = chipsCsv([a, b, { ...b, name: 'c.png', windows: [] }].map((r) => chipRow(r, rule)), rule).trim().split('\n');
    expect(csv).toEqual([
      'image,width,height,windows,flagged_windows,max_crack_probability,verdict',
      'a.png,128,128,4,2,0.9,crack',
      '"b, 2.png",64,64,1,0,0.3,no crack',
      'c.png,64,64,0,0,,no crack',
      'summary,1 of 3 images called crack,"window crack probability above 0.6, at least 2 flagged windows"',
    ]);
  });

  it('write every window, flagged at the rule’s threshold', () => {
    const csv = windowsCsv([a, b], { threshold: 0.6, minFlagged: 1 }).trim().split('\n');
    expect(csv[0]).toBe('image,x,y,window,crack_probability,flagged');
    expect(csv.slice(1).map((l) => l.split(',').at(-1))).toEqual(['false', 'true', 'true', 'false', 'false']);
    expect(csv[5]).toBe('"b, 2.png",0,0,64,0.3,false');
  });

  it('accept a rule only with a threshold from 0 to 1 and a whole minimum count from 1, naming the setting', () => {
    expect(verdictRuleProblem(DEFAULT_VERDICT)).toBe('');
    expect(verdictRuleProblem({ threshold: 0, minFlagged: 1 })).toBe('');
    expect(verdictRuleProblem({ threshold: 1, minFlagged: 40 })).toBe('');
    for (const threshold of [-0.1, 1.5, NaN, null as unknown as number]) expect(verdictRuleProblem({ threshold, minFlagged: 1 })).toMatch(/^Verdict threshold: /);
    for (const minFlagged of [0, 1.5, -2, NaN, null as unknown as number]) expect(verdictRuleProblem({ threshold: 0.5, minFlagged })).toMatch(/^Minimum flagged windows: /);
  });
});
