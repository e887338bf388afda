import { describe, expect, it } from 'vitest';
import { gFromGrainsPerMm2, grainStatistics } from '../../src/lib/analysis/grainStats';
import { grainResult } from '../../src/lib/analysis/result';
import { compareScales, gFromDiameter, resample, rescaledSize, samplesOf, segmentAtScale, SCALE_MISMATCH_FACTOR, trainingSamples, trainingScale } from '../../src/lib/analysis/scale';
import type { GreyImage } from '../../src/lib/data/tiling';
import { datasetRecordError } from '../../src/lib/data/records';
import { datasetFingerprint } from '../../src/lib/synth/dataset';
import { generateGrainSample, validateRecipe } from '../../src/lib/synth/grains/index';
import { recipeFromSpec, recipeKey, SampleMaker } from '../../src/lib/synth/recipe';
import { micronsToPx, pxToMicrons } from '../../src/lib/synth/scale';
import { LINK_PREFIX, recipeFromLinkHash, recipeLinkHash } from '../../src/lib/synth/shareLink';
import { recipe } from './helpers';

describe('pixel size conversions', () => {
  it('turn px into µm and back', () => {
    expect(pxToMicrons(40, 0.5)).toBe(20);
    expect(micronsToPx(20, 0.5)).toBe(40);
    expect(micronsToPx(pxToMicrons(37, 0.27), 0.27)).toBeCloseTo(37, 12);
  });

  it('give the E112 G of a grain diameter from the mean grain area', () => {
    // One grain per π/4·d²: 100 µm grains are 127.3 grains per mm².
    expect(gFromDiameter(100, 1)).toBeCloseTo(gFromGrainsPerMm2(1e6 / (Math.PI / 4 * 100 * 100)), 12);
    // Only the length in µm counts; twice the diameter is a quarter of the grains per mm², 2 G numbers coarser.
    expect(gFromDiameter(50, 2)).toBeCloseTo(gFromDiameter(100, 1), 12);
    expect(gFromDiameter(200, 1) - gFromDiameter(100, 1)).toBeCloseTo(-2, 4);
    // E112 Table 4: G 5 is 248 grains per mm² (mean area 4032 µm², ECD 71.6 µm), G 8 is 1984 (504 µm², ECD 25.3 µm).
    expect(gFromDiameter(71.6, 1)).toBeCloseTo(5, 1);
    expect(gFromDiameter(25.3, 1)).toBeCloseTo(8, 1);
  });
});

describe('recipes with a pixel size', () => {
  const spec = { preset: 'etched-lines' };
  it('leave recipes without one byte for byte as they were', () => {
    const old = recipeFromSpec('grains', spec, 128, 10, 1);
    expect('micronsPerPixel' in old).toBe(false);
    // The JSON a stored recipe, a share link and recipeKey are made of: the fields and their order before pixel sizes.
    expect(Object.keys(old)).toEqual(['kind', 'preset', 'settings', 'size', 'count', 'seed']);
    expect(recipeLinkHash(old)).toBe(LINK_PREFIX + Buffer.from(JSON.stringify(old)).toString('base64url'));
  });

  it('keep the pixel size through a share link and change no sample byte', () => {
    const plain = recipeFromSpec('grains', spec, 128, 3, 7);
    const scaled = recipeFromSpec('grains', { ...spec, micronsPerPixel: 0.5 }, 128, 3, 7);
    expect(scaled.kind === 'grains' && scaled.micronsPerPixel).toBe(0.5);
    expect(recipeFromLinkHash(recipeLinkHash(scaled))).toEqual(scaled);
    expect(recipeKey(scaled)).not.toBe(recipeKey(plain));
    const maker = new SampleMaker();
    const hashes = (r: typeof plain) => [0, 1, 2].map((i) => maker.make(r, i).hash);
    expect(datasetFingerprint(hashes(scaled))).toBe(datasetFingerprint(hashes(plain)));
    expect(datasetRecordError({ id: 'd', name: 'n', kind: 'grains', recipe: scaled, createdAt: 1, stored: 3, bytes: 1, status: 'complete', hashes: [] })).toBeUndefined();
  });

  it.each([[0], [-1], [NaN], [1e6], ['0.5'], [null]])('refuse a pixel size of %s, naming the field', (value) => {
    expect(() => validateRecipe(recipe({ micronsPerPixel: value as number }))).toThrow(/Pixel size \(micronsPerPixel\)/);
    const hash = LINK_PREFIX + Buffer.from(JSON.stringify({ ...recipe(), micronsPerPixel: value })).toString('base64url');
    expect(() => recipeFromLinkHash(hash)).toThrow(/not valid: Pixel size \(micronsPerPixel\)/);
  });
});

describe('training scale', () => {
  const model = (size: number, extra = {}) => ({ task: 'segment' as const, config: { phases: [{ size: 64 }, { size }] } as never, ...extra });
  const dataset = (micronsPerPixel?: number) => ({ recipe: { ...recipe({ size: 256 }), ...(micronsPerPixel ? { micronsPerPixel } : {}) } });
  const samples = (micronsPerPixel?: number) => samplesOf(dataset(micronsPerPixel).recipe);

  it('is the dataset pixel size scaled by the resize to the input size', () => {
    expect(trainingScale(model(256), samples(0.5))).toBe(0.5);
    expect(trainingScale(model(128), samples(0.5))).toBe(1);
  });

  it('comes from the stored dataset, else from what the model record kept (an imported model, a deleted dataset)', () => {
    const kept = { kind: 'grains' as const, size: 512, micronsPerPixel: 0.25 };
    expect(trainingSamples({ samples: kept }, dataset(0.5))).toEqual({ kind: 'grains', size: 256, micronsPerPixel: 0.5 });
    expect(trainingSamples({ samples: kept }, undefined)).toBe(kept);
    expect(trainingScale(model(256), trainingSamples({ samples: kept }, undefined))).toBe(0.5);
    expect(trainingSamples({}, undefined)).toBeUndefined();
    // A fine-tune learnt from real tiles: what its record says, not its parent's dataset.
    const tiles = { kind: 'grains' as const, size: 128 };
    expect(trainingSamples({ samples: tiles, fineTune: { parentId: 'p', parentName: 'p', train: [], val: [] } }, dataset(0.5))).toBe(tiles);
  });

  it('is unknown without a pixel size, for fine-tunes and for crack classifiers', () => {
    expect(trainingScale(model(256), samples())).toBeUndefined();
    expect(trainingScale(model(256), undefined)).toBeUndefined();
    expect(trainingScale(model(256, { fineTune: { parentId: 'p', parentName: 'p', train: [], val: [] } }), samples(0.5))).toBeUndefined();
    expect(trainingScale({ ...model(256), task: 'classify' }, samples(0.5))).toBeUndefined();
  });

  it('is warned about beyond the stated factor, in either direction, naming both scales', () => {
    const c = compareScales(0.5, 1);
    expect(c).toMatchObject({ ratio: 2, differs: true });
    expect(c.message).toContain('0.5 µm/px');
    expect(c.message).toContain('1 µm/px');
    expect(c.message).toContain('2× larger');
    expect(compareScales(4, 1)).toMatchObject({ ratio: 4, differs: true });
    expect(compareScales(1.2, 1).differs).toBe(false);
    expect(compareScales(SCALE_MISMATCH_FACTOR, 1).differs).toBe(false);
  });
});

describe('resampling', () => {
  it('keeps a flat image flat and averages areas when shrinking', () => {
    expect([...resample(new Uint8Array(12).fill(77), 4, 3, 7, 5)].every((v) => Math.abs(v - 77) < 1e-4)).toBe(true);
    // 4×2 → 2×1: each output pixel is the mean of its 2×2 block.
    expect([...resample([0, 4, 8, 8, 2, 6, 0, 0], 4, 2, 2, 1)]).toEqual([3, 4]);
    // A factor that is not whole: 3 → 2 weights 1 and ½ of the pixel in between.
    const r = resample([0, 3, 6], 3, 1, 2, 1);
    expect(r[0]).toBeCloseTo(1, 6);
    expect(r[1]).toBeCloseTo(5, 6);
  });

  it('interpolates between pixel centres when enlarging, keeping the mean', () => {
    const src = Float32Array.from({ length: 64 }, (_, i) => (i * 37) % 255);
    const big = resample(src, 8, 8, 24, 24);
    const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
    expect(Math.min(...big)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...big)).toBeLessThanOrEqual(255);
    expect(Math.abs(mean(big) - mean(src))).toBeLessThan(3);
    expect(rescaledSize(512, 300, 0.5, 1)).toEqual({ width: 256, height: 150 });
  });
});

describe('analysis at the model scale', () => {
  // A micrograph at 0.5 µm/px: plain grains of 64 px (32 µm), their label 5 px wide.
  const plain = {
    grainDiameter: 64, meanIntensity: 0.8, grainContrast: 0, minNeighbourContrast: 0, textureStrength: 0, illumination: 0, noiseSigma: 0, blurSigma: 0,
    lineDarkness: 1, lineWidth: 3, maskWidth: 5, faintBoundaries: 0, pitDensity: 0, scratches: 0, stains: 0, doubledLines: 0, twins: 0, defocus: 0,
  };
  const sample = generateGrainSample(recipe({ size: 512, seed: 11 }, plain), 0);
  const micrograph: GreyImage = { width: 512, height: 512, pixels: sample.mask };
  // A stand-in for a U-Net trained at its scale: it marks as boundary what covers a quarter of a pixel or more.
  const seen: [number, number][] = [];
  const network = async (im: GreyImage) => {
    seen.push([im.width, im.height]);
    return Float32Array.from(im.pixels, (v) => (v > 64 ? 1 : 0));
  };
  const direct = grainStatistics(Uint8Array.from(sample.mask, (v) => (v > 127 ? 1 : 0)), 512, 512, 0.5);

  it.each([[1, 256], [0.25, 1024]])('reports the same µm statistics for a model trained at %s µm/px', async (modelScale, side) => {
    seen.length = 0;
    const { probability, rescaled } = await segmentAtScale(micrograph, 0.5, modelScale, network);
    expect(seen).toEqual([[side, side]]);
    expect(rescaled).toEqual({ from: 0.5, to: modelScale, width: side, height: side });
    const r = grainResult('m.png', micrograph, probability, 0.5, undefined, 0.5, rescaled);
    if (r.kind !== 'segment') throw new Error('expected a grain result');
    expect(r.width).toBe(512);
    expect(r.rescaled).toEqual(rescaled);
    const s = r.stats;
    expect(direct.grainsInside).toBeGreaterThan(30);
    expect(Math.abs(s.grainsInside - direct.grainsInside)).toBeLessThanOrEqual(2);
    expect(s.meanArea / direct.meanArea).toBeGreaterThan(0.95);
    expect(s.meanArea / direct.meanArea).toBeLessThan(1.05);
    expect(s.meanDiameter / direct.meanDiameter).toBeGreaterThan(0.97);
    expect(s.meanDiameter / direct.meanDiameter).toBeLessThan(1.03);
    expect(s.meanIntercept / direct.meanIntercept).toBeGreaterThan(0.95);
    expect(s.meanIntercept / direct.meanIntercept).toBeLessThan(1.05);
    expect(Math.abs(s.gPlanimetric - direct.gPlanimetric)).toBeLessThan(0.1);
    expect(Math.abs(s.gIntercept - direct.gIntercept)).toBeLessThan(0.15);
    // And the grains are 32 µm across, as generated.
    expect(direct.meanDiameter).toBeGreaterThan(26);
    expect(direct.meanDiameter).toBeLessThan(38);
  });

  it('segments at the image scale when no model scale is given, and refuses sizes it cannot segment', async () => {
    seen.length = 0;
    expect((await segmentAtScale(micrograph, 0.5, undefined, network)).rescaled).toBeUndefined();
    expect(seen).toEqual([[512, 512]]);
    await expect(segmentAtScale(micrograph, 0.5, 20, network)).rejects.toThrow(/would be 13×13 px, smaller than the 32 px the U-Net needs/);
    await expect(segmentAtScale(micrograph, 0.5, 0.01, network)).rejects.toThrow(/would be 25600×25600 px, more than/);
  });
});
