import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateGrainSample, grainChannels, validateRecipe } from '../../src/lib/synth/grains/index';
import { lumaOf } from '../../src/lib/synth/grains/colour';
import { decodeGreyPng, decodeRgbPng, encodePng } from '../../src/lib/data/png';
import { renderGrains } from '../../src/lib/synth/grains/render';
import { GRAIN_PARAMS, GRAIN_PRESETS } from '../../src/lib/synth/grains/space';
import { sampleParams } from '../../src/lib/params/space';
import { Rng } from '../../src/lib/random';
import { countRegions, recipe } from './helpers';

/** Plain grains: flat tones, no texture, light, noise or blur, so pixel values are predictable. */
const plain = {
  meanIntensity: 0.8, grainContrast: 0, minNeighbourContrast: 0, textureStrength: 0, illumination: 0,
  noiseSigma: 0, blurSigma: 0, lineDarkness: 1, lineWidth: 3, maskWidth: 3,
  faintBoundaries: 0, pitDensity: 0, scratches: 0, stains: 0, doubledLines: 0, twins: 0, defocus: 0, brightEdges: 0,
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
      const r = { kind: 'grains' as const, preset: 'etched-lines', settings, size, count: 1, seed: 9 };
      validateRecipe(r);
      const s = generateGrainSample(r, 0);
      expect(s.image.length).toBe((end === 'hi' ? 3 : 1) * size * size); // colour's max is 1: RGB
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

describe('grain distractors', () => {
  const distractors: Record<string, Record<string, number>> = {
    'faint boundaries': { faintBoundaries: 0.6 },
    pits: { pitDensity: 5, pitSize: 4 },
    scratches: { scratches: 4, scratchContrast: 0.4 },
    stains: { stains: 0.3 },
    'doubled lines': { doubledLines: 0.8 },
    'unlabelled twins': { twins: 0.5, twinsLabelled: 0 },
    'out-of-focus regions': { defocus: 0.4 },
    'bright edges': { brightEdges: 0.6 },
  };
  it.each(Object.entries(distractors))('%s change the image and never the label', (_name, on) => {
    const base = recipe({ size: 192 }, plain);
    const off = generateGrainSample(base, 2);
    const with_ = generateGrainSample(recipe({ size: 192 }, { ...plain, ...on }), 2);
    expect(Buffer.from(with_.mask).equals(Buffer.from(off.mask))).toBe(true);
    expect(Buffer.from(with_.grainIds.buffer).equals(Buffer.from(off.grainIds.buffer))).toBe(true);
    let changed = 0;
    for (let i = 0; i < off.image.length; i++) if (off.image[i] !== with_.image[i]) changed++;
    expect(changed).toBeGreaterThan(100);
  });

  it('labelled twins add boundary label inside twinned grains only, and nowhere else', () => {
    const off = generateGrainSample(recipe({ size: 192 }, plain), 2);
    const on = generateGrainSample(recipe({ size: 192 }, { ...plain, twins: 0.6, twinsLabelled: 1 }), 2);
    let added = 0;
    for (let i = 0; i < off.mask.length; i++) {
      if (off.mask[i] && !on.mask[i]) throw new Error('a twin removed a boundary label');
      if (on.mask[i] && !off.mask[i]) added++;
    }
    expect(added).toBeGreaterThan(50);
  });

  it('bright edges (SEM) make labelled boundaries brighter than the grains beside them', () => {
    const s = generateGrainSample(recipe({ size: 192 }, { ...plain, meanIntensity: 0.4, lineDarkness: 0, brightEdges: 0.7 }), 1);
    let edge = 0, edges = 0, inside = 0, insides = 0;
    for (let i = 0; i < s.mask.length; i++) {
      if (s.mask[i]) { edge += s.image[i]; edges++; } else { inside += s.image[i]; insides++; }
    }
    expect(edge / edges).toBeGreaterThan(inside / insides + 40);
  });

  it('faint boundaries are lighter than full ones, and still labelled', () => {
    const full = generateGrainSample(recipe({ size: 192 }, plain), 1);
    const faint = generateGrainSample(recipe({ size: 192 }, { ...plain, faintBoundaries: 0.8 }), 1);
    const mean = (s: typeof full) => {
      let sum = 0, n = 0;
      for (let i = 0; i < s.mask.length; i++) if (s.mask[i]) { sum += s.image[i]; n++; }
      return sum / n;
    };
    expect(mean(faint)).toBeGreaterThan(mean(full) + 30);
  });

  it('a recipe made before the distractors existed validates and keeps its bytes', () => {
    const optional = new Set(GRAIN_PARAMS.filter((s) => s.off !== undefined).map((s) => s.name));
    const legacy = Object.fromEntries(Object.entries(GRAIN_PRESETS[0].settings).filter(([k]) => !optional.has(k)));
    const r = { ...recipe(), settings: legacy };
    expect(() => validateRecipe(r)).not.toThrow();
    const digest = (i: number) => {
      const s = generateGrainSample({ ...r, size: 128, count: 3, seed: 7 }, i);
      return createHash('sha256').update(s.image).update(s.mask).digest('hex').slice(0, 16);
    };
    // Bytes of the etched-lines preset's ranges as they were before distractors were added.
    expect([0, 1, 2].map(digest)).toEqual(['d780331be8ff7888', '5f14916adde5a7de', '11b94bd0a362e141']);
  });
});

describe('golden samples', () => {
  // An intended change to a generator's bytes updates these; an unintended one fails here instead of
  // silently changing what every share link and stored recipe reproduces.
  const golden: Record<string, string[]> = {"etched-lines":["8de0ac30d11564bb","816ea9dfa50c72b3","e48934f4e267c9bf"],"tint-etched":["954414bb1985fc5b","275490493b89e7e2","088fa567eee22556"],"sem":["d7d4e6f4f705d573","9ac0c5b92cccd541","08f063560f4d3cef"],"colour-etched":["77dbb4ae5137f4b5","e26da53e0fc06f2f","cc3977b35aa9af7a"]};
  it.each(GRAIN_PRESETS.map((p) => [p.id]))('preset %s at 128 px, seed 7, samples 0–2', (id) => {
    const preset = GRAIN_PRESETS.find((p) => p.id === id)!;
    const hashes = [0, 1, 2].map((i) => {
      const s = generateGrainSample({ kind: 'grains', preset: id, settings: preset.settings, size: 128, count: 3, seed: 7 }, i);
      return createHash('sha256').update(s.image).update(s.mask).digest('hex').slice(0, 16);
    });
    expect(hashes).toEqual(golden[id]);
  });
});

describe('colour etching', () => {
  const colourPreset = GRAIN_PRESETS.find((p) => p.id === 'colour-etched')!;
  const colourRecipe = (settings = colourPreset.settings) =>
    ({ kind: 'grains' as const, preset: 'colour-etched', settings, size: 128, count: 3, seed: 7 });

  it('renders RGB, deterministically, with the same mask and structure as grey', () => {
    const a = generateGrainSample(colourRecipe(), 1), b = generateGrainSample(colourRecipe(), 1);
    expect(a.image.length).toBe(3 * 128 * 128);
    expect(Buffer.from(a.image).equals(Buffer.from(b.image))).toBe(true);
    expect(grainChannels(colourRecipe())).toBe(3);
    expect(grainChannels(recipe())).toBe(1);
    // Colour off: the same recipe's grey render, and the same label.
    const grey = generateGrainSample(colourRecipe({ ...colourPreset.settings, colour: { lo: 0, hi: 0 } }), 1);
    expect(grey.image.length).toBe(128 * 128);
    expect(Buffer.from(grey.mask).equals(Buffer.from(a.mask))).toBe(true);
    // Tints have luma 1: where no channel clips, the colour image's luma is the grey image (± rounding).
    const l = lumaOf(a.image);
    let compared = 0;
    for (let i = 0; i < l.length; i++) {
      if (Math.max(a.image[3 * i], a.image[3 * i + 1], a.image[3 * i + 2]) === 255 || Math.min(a.image[3 * i], a.image[3 * i + 1], a.image[3 * i + 2]) === 0) continue;
      expect(Math.abs(l[i] - grey.image[i])).toBeLessThanOrEqual(2);
      compared++;
    }
    expect(compared).toBeGreaterThan(0.9 * l.length);
  });

  it('gives grains tints of their own, and boundaries the boundary hue', () => {
    const flat = { ...colourPreset.settings, blurSigma: { lo: 0, hi: 0 }, noiseSigma: { lo: 0, hi: 0 }, textureStrength: { lo: 0, hi: 0 },
      lineDarkness: { lo: 0, hi: 0 }, grainContrast: { lo: 0, hi: 0 }, minNeighbourContrast: { lo: 0, hi: 0 }, illumination: { lo: 0, hi: 0 },
      tintSaturation: { lo: 0.8, hi: 0.8 }, hueSpread: { lo: 1, hi: 1 }, boundaryTint: { lo: 0, hi: 0 } };
    const s = generateGrainSample(colourRecipe(flat), 0);
    // Mean red − blue per grain: grains differ in hue.
    const count = s.params.grainCount, sum = new Float64Array(count), n = new Float64Array(count);
    for (let i = 0; i < s.grainIds.length; i++) { sum[s.grainIds[i]] += s.image[3 * i] - s.image[3 * i + 2]; n[s.grainIds[i]]++; }
    const means = Array.from(sum, (v, g) => v / n[g]);
    expect(Math.max(...means) - Math.min(...means)).toBeGreaterThan(60);
    // Boundary stained blue (hue 220): boundary pixels turn bluer than with no boundary colour.
    const blue = generateGrainSample(colourRecipe({ ...flat, boundaryHue: { lo: 220, hi: 220 }, boundaryTint: { lo: 1, hi: 1 } }), 0);
    let before = 0, after = 0, k = 0;
    for (let i = 0; i < s.mask.length; i++) {
      if (s.mask[i] !== 255) continue;
      before += s.image[3 * i + 2] - s.image[3 * i]; after += blue.image[3 * i + 2] - blue.image[3 * i]; k++;
    }
    expect(after / k).toBeGreaterThan(before / k + 40);
  });

  it('round-trips through RGB PNG, and reads grey from it with the uploads\' luma', () => {
    const s = generateGrainSample(colourRecipe(), 2);
    const png = encodePng(s.image, 128, 128);
    expect(Buffer.from(decodeRgbPng(png).pixels).equals(Buffer.from(s.image))).toBe(true);
    expect(Buffer.from(decodeGreyPng(png).pixels).equals(Buffer.from(lumaOf(s.image)))).toBe(true);
    const grey = generateGrainSample(recipe(), 0);
    expect(decodeRgbPng(encodePng(grey.image, 128, 128)).pixels.filter((_, i) => i % 3 === 1)).toEqual(grey.image);
  });

  it('refuses a colour range that would mix grey and colour images', () => {
    expect(() => validateRecipe(colourRecipe({ ...colourPreset.settings, colour: { lo: 0, hi: 1 } }))).toThrow(/fixed at 0 \(grey\) or 1 \(RGB\)/);
  });
});
