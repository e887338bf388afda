import { describe, expect, it } from 'vitest';
import { generateGrainSample, validateRecipe } from '../../src/lib/synth/grains/index';
import { renderGrains } from '../../src/lib/synth/grains/render';
import { GRAIN_PARAMS, GRAIN_PRESETS } from '../../src/lib/synth/grains/space';
import { sampleParams } from '../../src/lib/params/space';
import { Rng } from '../../src/lib/random';
import { countRegions, recipe } from './helpers';

/** Plain grains: flat tones, no texture, light, noise or blur, so pixel values are predictable. */
const plain = {
  meanIntensity: 0.8, grainContrast: 0, minNeighbourContrast: 0, textureStrength: 0, illumination: 0,
  noiseSigma: 0, blurSigma: 0, lineDarkness: 1, lineWidth: 3, maskWidth: 3,
};

describe('grain generator', () => {
  it('is deterministic: same recipe and index, same bytes; another index, other bytes', () => {
    for (const preset of GRAIN_PRESETS) {
      const r = { ...recipe(), preset: preset.id, settings: preset.settings };
      const a = generateGrainSample(r, 3), b = generateGrainSample(r, 3), c = generateGrainSample(r, 4);
      expect(Buffer.from(a.image).equals(Buffer.from(b.image))).toBe(true);
      expect(Buffer.from(a.mask).equals(Buffer.from(b.mask))).toBe(true);
      expect(a.params).toEqual(b.params);
      expect(Buffer.from(a.image).equals(Buffer.from(c.image))).toBe(false);
    }
  });

  it('records every parameter and the seed with the sample', () => {
    const s = generateGrainSample(recipe(), 0);
    for (const spec of GRAIN_PARAMS) expect(typeof s.params[spec.name]).toBe('number');
    expect(s.params.grainCount).toBeGreaterThan(1);
    expect(s.seed).toBeGreaterThan(0);
    // Re-rendering from the recorded values and seed gives the same image (what adaptive sampling relies on).
    const again = renderGrains(128, s.params, s.seed);
    expect(Buffer.from(again.image).equals(Buffer.from(s.image))).toBe(true);
  });

  it('draws the boundary lines exactly where the label marks boundaries', () => {
    const s = generateGrainSample(recipe({ size: 256 }, plain), 0);
    const tone = Math.round(0.8 * 255);
    let maskPixels = 0;
    for (let i = 0; i < s.mask.length; i++) {
      if (s.mask[i] === 255) {
        maskPixels++;
        // A mask pixel lies within 1.5 px of a line 3 px wide drawn at full darkness: at least half covered.
        expect(s.image[i]).toBeLessThanOrEqual(Math.ceil(tone / 2));
      }
    }
    expect(maskPixels).toBeGreaterThan(500);
    // And the label sits on real grain boundaries: every mask pixel is within 2 px of a pixel whose
    // neighbour belongs to another grain.
    const size = 256;
    const edge = new Uint8Array(size * size);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
      const i = y * size + x, g = s.grainIds[i];
      if ((x + 1 < size && s.grainIds[i + 1] !== g) || (y + 1 < size && s.grainIds[i + size] !== g)) edge[i] = 1;
    }
    for (let i = 0; i < s.mask.length; i++) {
      if (s.mask[i] !== 255) continue;
      const x = i % size, y = Math.floor(i / size);
      let near = false;
      for (let dy = -2; dy <= 2 && !near; dy++) for (let dx = -2; dx <= 2 && !near; dx++) {
        const xx = x + dx, yy = y + dy;
        if (xx >= 0 && yy >= 0 && xx < size && yy < size && edge[yy * size + xx]) near = true;
      }
      expect(near).toBe(true);
    }
  });

  it('makes as many separate grain regions as the requested grain count', () => {
    // Tolerance: at most 5 % of grains may vanish under the label (slivers at the image border);
    // specks under 4 px, cut off where boundaries meet at sharp angles, are not grains.
    for (let index = 0; index < 4; index++) {
      const s = generateGrainSample(recipe({ size: 256 }, { ...plain, maskWidth: 1.5, grainDiameter: 20 + 10 * index }), index);
      const requested = s.params.grainCount;
      const regions = countRegions(256, (i) => s.mask[i] === 0, 4);
      expect(regions).toBeLessThanOrEqual(requested);
      expect(regions).toBeGreaterThanOrEqual(Math.floor(0.95 * requested));
      expect(new Set(s.grainIds).size).toBe(requested);
    }
  });

  it('makes grain areas more even with Lloyd iterations', () => {
    const cv = (lloyd: number) => {
      let total = 0;
      for (let index = 0; index < 5; index++) {
        const s = generateGrainSample(recipe({ size: 256 }, { ...plain, grainDiameter: 30, lloydIterations: lloyd }), index);
        const areas = new Array(s.params.grainCount).fill(0);
        for (const g of s.grainIds) areas[g]++;
        const mean = areas.reduce((a, b) => a + b) / areas.length;
        const sd = Math.sqrt(areas.reduce((a, b) => a + (b - mean) ** 2, 0) / areas.length);
        total += sd / mean;
      }
      return total / 5;
    };
    const poisson = cv(0), relaxed = cv(3);
    expect(poisson).toBeGreaterThan(0.35); // Poisson–Voronoi cells: CV of area about 0.5
    expect(relaxed).toBeLessThan(0.7 * poisson);
  });

  it('handles the corners of the parameter space at the smallest and a large size', () => {
    for (const size of [64, 512]) for (const end of ['lo', 'hi'] as const) {
      const settings = Object.fromEntries(GRAIN_PARAMS.map((s) => [s.name, { lo: s[end === 'lo' ? 'min' : 'max'], hi: s[end === 'lo' ? 'min' : 'max'] }]));
      const r = { kind: 'grains' as const, preset: 'custom', settings, size, count: 1, seed: 9 };
      validateRecipe(r);
      const s = generateGrainSample(r, 0);
      expect(s.image.length).toBe(size * size);
      expect(s.mask.length).toBe(size * size);
    }
  });

  it('rejects sizes outside 64–1024 with a message', () => {
    expect(() => validateRecipe(recipe({ size: 32 }))).toThrow('Image size must be a whole number of pixels from 64 to 1024; got 32.');
  });

  it('keeps parameter draws independent of the grain structure stream', () => {
    const params = sampleParams(GRAIN_PARAMS, recipe().settings, new Rng(1));
    const a = renderGrains(128, params, 77), b = renderGrains(128, { ...params, blurSigma: 0 }, 77);
    // Same seed, different blur: same grains.
    expect(Buffer.from(a.grainIds).equals(Buffer.from(b.grainIds))).toBe(true);
  });
});
