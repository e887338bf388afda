import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeGreyPng } from '../../src/lib/data/png';
import type { GreyImage } from '../../src/lib/data/tiling';
import { rangeError, type Settings } from '../../src/lib/params/space';
import { generateGrainSample } from '../../src/lib/synth/grains/index';
import { diameterFromIntercept, MATCH_CROP, matchGrainLook, MIN_MATCH_SIZE, type GrainMatch } from '../../src/lib/synth/grains/match';
import { GRAIN_PARAMS, GRAIN_PRESETS, presetById } from '../../src/lib/synth/grains/space';
import { labelBoundaryWidth, withLabelWidth } from '../../src/lib/synth/grains/matchLabels';
import { resizeSquare } from '../../src/lib/data/tiling';
import { lumaOf, repeatGrey } from '../../src/lib/synth/grains/colour';

/** Everything the matcher does not measure, fixed, distractors off. */
const quiet = {
  lloydIterations: 2, splinePoints: 3, boundaryWaviness: 0.06, minNeighbourContrast: 0, textureStrength: 0.02,
  textureWavelength: 0.4, maskWidth: 3, faintBoundaries: 0, pitDensity: 0, pitSize: 3, scratches: 0, scratchContrast: 0.25, stains: 0,
};

/** `count` images of the preset with every parameter fixed at `truth` (lo = hi). */
function images(presetId: string, truth: Record<string, number>, size: number, count: number, seed = 1): GreyImage[] {
  const preset = GRAIN_PRESETS.find((p) => p.id === presetId)!;
  const settings: Settings = structuredClone(preset.settings);
  for (const [name, v] of Object.entries(truth)) settings[name] = { lo: v, hi: v };
  const recipe = { kind: 'grains' as const, preset: preset.id, settings, size, count, seed };
  return Array.from({ length: count }, (_, i) => ({ width: size, height: size, pixels: generateGrainSample(recipe, i).image }));
}

const etchedA = {
  ...quiet, grainDiameter: 40, lineWidth: 2, lineDarkness: 0.7, meanIntensity: 0.85, grainContrast: 0.05,
  noiseSigma: 0.03, blurSigma: 0.8, illumination: 0,
};
const etchedB = {
  ...quiet, grainDiameter: 80, lineWidth: 3.5, lineDarkness: 0.6, meanIntensity: 0.75, grainContrast: 0.1,
  noiseSigma: 0.06, blurSigma: 1.2, illumination: 0.15,
};

function value(m: GrainMatch, name: keyof GrainMatch['estimates']): number {
  const e = m.estimates[name] as { value: number } | null;
  expect(e, `${name} measured`).not.toBeNull();
  return e!.value;
}

/** Returned ranges are valid settings for their parameters, and hold `truth` for the named ones. */
function expectValidRanges(m: GrainMatch, truth: Record<string, number>, names: string[]) {
  for (const [name, range] of Object.entries(m.settings)) {
    const spec = GRAIN_PARAMS.find((p) => p.name === name);
    expect(spec, name).toBeDefined();
    expect(rangeError(spec!, range), name).toBeUndefined();
  }
  for (const name of names) {
    const r = m.settings[name];
    expect(r, `${name} has a range`).toBeDefined();
    expect(truth[name], `${name} range ${r!.lo}…${r!.hi}`).toBeGreaterThanOrEqual(r!.lo);
    expect(truth[name], `${name} range ${r!.lo}…${r!.hi}`).toBeLessThanOrEqual(r!.hi);
  }
  // Every parameter is either given a range or listed as left alone, never both.
  expect([...Object.keys(m.settings), ...m.unmeasured].sort()).toEqual(GRAIN_PARAMS.map((p) => p.name).sort());
}

const measuredLook = ['grainDiameter', 'lineWidth', 'lineDarkness', 'meanIntensity', 'grainContrast', 'noiseSigma', 'blurSigma', 'illumination', 'textureStrength'];

describe('matchGrainLook on generated etched-lines images with known parameters', () => {
  for (const [label, truth, size] of [['A (d 40, line 2 px, noise 0.03, blur 0.8)', etchedA, 384], ['B (d 80, line 3.5 px, noise 0.06, blur 1.2, light 0.15)', etchedB, 512]] as const) {
    describe(label, () => {
      let m: GrainMatch;
      beforeAll(() => { m = matchGrainLook(images('etched-lines', truth, size, 4), { size }); });

      it('sees dark boundary lines', () => {
        expect(m.boundaries).toBe('dark lines');
        expect(m.notes).toEqual([]);
      });
      it('grain diameter within 10 %', () => expect(Math.abs(value(m, 'grainDiameter') / truth.grainDiameter - 1)).toBeLessThan(0.1));
      it('line width within 0.5 px', () => expect(Math.abs(value(m, 'lineWidth') - truth.lineWidth)).toBeLessThan(0.5));
      it('line darkness within 0.1', () => expect(Math.abs(value(m, 'lineDarkness') - truth.lineDarkness)).toBeLessThan(0.1));
      it('grain tone within 0.02', () => expect(Math.abs(value(m, 'meanIntensity') - truth.meanIntensity)).toBeLessThan(0.02));
      it('tone spread between grains within 30 %', () => expect(Math.abs(value(m, 'grainContrast') / truth.grainContrast - 1)).toBeLessThan(0.3));
      it('white noise within 20 %', () => expect(Math.abs(value(m, 'noiseSigma') / truth.noiseSigma - 1)).toBeLessThan(0.2));
      it('blur within 0.25 px', () => expect(Math.abs(value(m, 'blurSigma') - truth.blurSigma)).toBeLessThan(0.25));
      it('illumination within 0.03', () => expect(Math.abs(value(m, 'illumination') - truth.illumination)).toBeLessThan(0.03));
      it('texture strength within 30 %', () => expect(Math.abs(value(m, 'textureStrength') / truth.textureStrength - 1)).toBeLessThan(0.3));
      it('returns valid ranges that hold the truth, and names what it left alone', () => {
        expectValidRanges(m, truth, measuredLook);
        for (const name of ['textureWavelength', 'faintBoundaries', 'pitSize', 'scratches', 'maskWidth']) expect(m.unmeasured).toContain(name);
        // No pits drawn: none seen, and the range starts at none.
        expect(value(m, 'pitDensity')).toBeLessThan(0.1);
        expect(m.settings.pitDensity!.lo).toBe(0);
      });
    });
  }

  it('texture wavelength within 25 % of the grain diameter share, where the texture stands out from the noise', () => {
    for (const tw of [0.3, 0.6]) {
      const truth = { ...etchedA, grainDiameter: 70, textureStrength: 0.08, textureWavelength: tw };
      const m = matchGrainLook(images('etched-lines', truth, 512, 4, 5), { size: 512 });
      expect(Math.abs(value(m, 'textureWavelength') / tw - 1), `textureWavelength ${tw}`).toBeLessThan(0.25);
      expectValidRanges(m, truth, ['textureWavelength']);
    }
  }, 60_000);

  it('counts pits and inclusions apart from the lines: density within 25 %, diameter within 1 px', () => {
    const truth = { ...etchedA, grainDiameter: 60, lineWidth: 2.5, blurSigma: 1, pitDensity: 2, pitSize: 4 };
    const m = matchGrainLook(images('etched-lines', truth, 512, 4, 3), { size: 512 });
    expect(Math.abs(value(m, 'pitDensity') / truth.pitDensity - 1)).toBeLessThan(0.25);
    expect(Math.abs(value(m, 'pitSize') - truth.pitSize)).toBeLessThan(1);
    expectValidRanges(m, truth, ['pitDensity', 'pitSize']);
  });

  it('grey-level percentiles and the 32-bin histogram describe all pixels', () => {
    const imgs = images('etched-lines', etchedA, 256, 2);
    const m = matchGrainLook(imgs, { size: 256 });
    const { p1, p5, p50, p95, p99 } = m.estimates.percentiles;
    expect(p1).toBeLessThanOrEqual(p5);
    expect(p5).toBeLessThanOrEqual(p50);
    expect(p50).toBeLessThanOrEqual(p95);
    expect(p95).toBeLessThanOrEqual(p99);
    // Grains (≈ 0.85) are most of the image; the lines make the dark tail.
    expect(Math.abs(p50 - 0.85)).toBeLessThan(0.04);
    expect(p1).toBeLessThan(0.5);
    const bins = m.estimates.histogram.bins;
    expect(bins).toHaveLength(32);
    expect(bins.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    const sorted = Array.from(imgs[0].pixels).concat(Array.from(imgs[1].pixels)).sort((a, b) => a - b);
    expect(p50).toBeCloseTo(sorted[Math.ceil(sorted.length / 2) - 1] / 255, 10);
  });

  it('the grain diameter follows the size of the images to be generated (larger border cells in small images)', () => {
    const m256 = matchGrainLook(images('etched-lines', etchedA, 256, 4), { size: 256 });
    const L = value(m256, 'meanIntercept');
    expect(value(m256, 'grainDiameter')).toBeCloseTo(diameterFromIntercept(L, 256), 10);
    expect(diameterFromIntercept(L, 256)).toBeLessThan(diameterFromIntercept(L, 1024));
    expect(Math.abs(value(m256, 'grainDiameter') / etchedA.grainDiameter - 1)).toBeLessThan(0.1);
    // 'native': generated as large as the images themselves (an experiment resizing both to its input).
    const ims = images('etched-lines', etchedA, 256, 2);
    expect(value(matchGrainLook(ims, { size: 'native' }), 'grainDiameter')).toBe(value(matchGrainLook(ims, { size: 256 }), 'grainDiameter'));
  });
});

describe('matchGrainLook on tint-etched images (no lines darker than the grains)', () => {
  const truth = {
    ...quiet, grainDiameter: 40, lineWidth: 1, lineDarkness: 0.05, meanIntensity: 0.5, grainContrast: 0.45, minNeighbourContrast: 0.1,
    textureStrength: 0.06, noiseSigma: 0.05, blurSigma: 1.5, illumination: 0.1,
  };
  let m: GrainMatch;
  beforeAll(() => { m = matchGrainLook(images('tint-etched', truth, 384, 4), { size: 384 }); });

  it('falls back to tone edges, says that line width and blur were not measured, and keeps lines as faint as they are', () => {
    expect(m.boundaries).toBe('tone edges');
    expect(m.preset).toBe('tint-etched');
    expect(m.notes.join(' ')).toMatch(/tone steps.*line width and blur were not measured, and line darkness ranges from 0/);
    // A recipe with dark lines (Etched lines' 0.55–0.9) would teach a network lines these images do not have.
    expect(m.settings.lineDarkness!.lo).toBe(0);
    expect(m.settings.lineDarkness!.hi).toBeLessThan(0.35);
    expect(m.settings.lineDarkness!.hi).toBeGreaterThanOrEqual(truth.lineDarkness);
    for (const name of ['lineWidth', 'blurSigma'] as const) {
      expect(m.estimates[name]).toBeNull();
      expect(m.unmeasured).toContain(name);
      expect(m.settings[name]).toBeUndefined();
    }
  });
  it('grain diameter within 25 % from tone edges', () => expect(Math.abs(value(m, 'grainDiameter') / truth.grainDiameter - 1)).toBeLessThan(0.25));
  it('never reads faint dark lines on grains of varied tone as bright (SEM) lines, which takes the grains 5× too large', () => {
    // Few grain interiors show on the inverted image there: with too few to compare, any faint bright profile won.
    for (const lineDarkness of [0.15, 0.25, 0.35]) {
      const look = { ...quiet, grainDiameter: 50, lineWidth: 1.5, lineDarkness, meanIntensity: 0.6, grainContrast: 0.3, noiseSigma: 0.03, blurSigma: 1, illumination: 0 };
      const faint = matchGrainLook(images('etched-lines', look, 384, 4, 8), { size: 384 });
      expect(faint.boundaries, `line darkness ${lineDarkness}`).not.toBe('bright lines');
      expect(value(faint, 'grainDiameter')).toBeLessThan(2 * look.grainDiameter);
    }
  });
  it('grain tone within 0.03 and tone spread within 30 %', () => {
    expect(Math.abs(value(m, 'meanIntensity') - truth.meanIntensity)).toBeLessThan(0.03);
    expect(Math.abs(value(m, 'grainContrast') / truth.grainContrast - 1)).toBeLessThan(0.3);
  });
  it('returns valid ranges holding the grain size, tone and spread', () => expectValidRanges(m, truth, ['grainDiameter', 'meanIntensity', 'grainContrast']));
});

describe('matchGrainLook on SEM-like images (bright boundary lines on darker grains)', () => {
  const semA = {
    ...quiet, grainDiameter: 40, brightEdges: 0.5, lineWidth: 2, lineDarkness: 0, noiseSigma: 0.08, blurSigma: 1, meanIntensity: 0.4, grainContrast: 0.15, illumination: 0,
  };
  const semB = {
    ...quiet, grainDiameter: 70, brightEdges: 0.7, lineWidth: 2.5, lineDarkness: 0, noiseSigma: 0.12, blurSigma: 1.2, meanIntensity: 0.35, grainContrast: 0.1, illumination: 0.1,
  };

  it.each([semA, semB])('sees bright lines and measures the grains by them: %o', (truth) => {
    const m = matchGrainLook(images('sem', truth, 384, 4, 3), { size: 384 });
    expect(m.boundaries).toBe('bright lines');
    expect(m.preset).toBe('sem');
    expect(Math.abs(value(m, 'grainDiameter') / truth.grainDiameter - 1)).toBeLessThan(0.1);
    expect(Math.abs(value(m, 'meanIntensity') - truth.meanIntensity)).toBeLessThan(0.03);
    expect(Math.abs(value(m, 'noiseSigma') / truth.noiseSigma - 1)).toBeLessThan(0.2);
    expect(Math.abs(value(m, 'blurSigma') - truth.blurSigma)).toBeLessThan(0.25);
    // Width and brightness share the line's area: each alone is rougher under this much noise.
    expect(Math.abs(value(m, 'brightEdges') / truth.brightEdges - 1)).toBeLessThan(0.35);
    expect(Math.abs(value(m, 'lineWidth') - truth.lineWidth)).toBeLessThan(1);
    expect(Math.abs((value(m, 'brightEdges') * value(m, 'lineWidth')) / (truth.brightEdges * truth.lineWidth) - 1)).toBeLessThan(0.15);
    // Not dark lines: darkness stays near 0, and no pits are counted from the noise.
    expect(m.settings.lineDarkness).toEqual({ lo: 0, hi: 0.05 });
    expect(m.estimates.pitDensity).toBeNull();
    expectValidRanges(m, truth, ['grainDiameter', 'meanIntensity', 'lineDarkness']);
  });
});

describe('matchGrainLook input', () => {
  it('refuses no images, and images under 32 px, with a clear message', () => {
    expect(() => matchGrainLook([])).toThrow(/at least one grain micrograph/);
    const small = { width: 31, height: 200, pixels: new Uint8Array(31 * 200) };
    expect(() => matchGrainLook([small])).toThrow(`Image 1 is 31×200 px; matching needs images of at least ${MIN_MATCH_SIZE}×${MIN_MATCH_SIZE} px.`);
    expect(() => matchGrainLook([{ width: 40, height: 40, pixels: new Uint8Array(10) }])).toThrow(/not a grey image/);
  });

  it('takes any size and shape: 32 px, a wide strip, a blank image', () => {
    const [a] = images('etched-lines', etchedA, 256, 1);
    const crop = (w: number, h: number): GreyImage => {
      const pixels = new Uint8Array(w * h);
      for (let y = 0; y < h; y++) pixels.set(a.pixels.subarray(y * 256, y * 256 + w), y * w);
      return { width: w, height: h, pixels };
    };
    for (const im of [crop(32, 32), crop(256, 40), crop(40, 256)]) {
      const m = matchGrainLook([im]);
      for (const range of Object.values(m.settings)) expect(range!.lo).toBeLessThanOrEqual(range!.hi);
      expect(Number.isFinite(m.estimates.meanIntensity.value)).toBe(true);
    }
    const blank = matchGrainLook([{ width: 64, height: 64, pixels: new Uint8Array(64 * 64).fill(200) }]);
    expect(blank.estimates.grainDiameter).toBeNull();
    expect(blank.unmeasured).toContain('grainDiameter');
    expect(blank.notes.join(' ')).toMatch(/too few to measure the grain size/);
  });

  it('measures a 2048² image in about the time of its central crop alone, which is all it reads', () => {
    const [tile] = images('etched-lines', etchedA, 1024, 1);
    const big = new Uint8Array(2048 * 2048);
    for (let y = 0; y < 2048; y++) for (let x = 0; x < 2048; x += 1024) big.set(tile.pixels.subarray((y % 1024) * 1024, (y % 1024) * 1024 + 1024), y * 2048 + x);
    const offset = (2048 - MATCH_CROP) / 2;
    const crop = new Uint8Array(MATCH_CROP * MATCH_CROP);
    for (let y = 0; y < MATCH_CROP; y++) crop.set(big.subarray((y + offset) * 2048 + offset, (y + offset) * 2048 + offset + MATCH_CROP), y * MATCH_CROP);
    // Timed against the crop in the same process, alternating, the faster of three each: a ratio
    // holds on a shared machine where a wall-clock limit does not (1.5 s failed at 2.1 s under load).
    const best = { big: Infinity, crop: Infinity };
    let m: GrainMatch | undefined;
    for (let run = 0; run < 3; run++) {
      let started = performance.now();
      m = matchGrainLook([{ width: 2048, height: 2048, pixels: big }]);
      best.big = Math.min(best.big, performance.now() - started);
      started = performance.now();
      matchGrainLook([{ width: MATCH_CROP, height: MATCH_CROP, pixels: crop }]);
      best.crop = Math.min(best.crop, performance.now() - started);
    }
    expect(best.big).toBeLessThan(1.5 * best.crop + 100);
    expect(best.big).toBeLessThan(5000);
    expect(m!.notes.join(' ')).toContain(`central crop of that many (${MATCH_CROP}×${MATCH_CROP})`);
    expect(Math.abs(value(m!, 'grainDiameter') / etchedA.grainDiameter - 1)).toBeLessThan(0.15);
  });
});

describe('matchGrainLook on the real NIST steel micrograph', () => {
  // Traced truth, from the hand-traced boundary mask in shared/realdata (not in the fixtures): its
  // thinned boundaries cross rows and columns every 41.6 px, and it holds 177.5 grains by the E112
  // planimetric count (800 × 600 px), an equivalent-circle diameter of 58.7 px.
  const TRACED_INTERCEPT = 41.6;
  let m: GrainMatch;
  beforeAll(() => {
    const im = decodeGreyPng(readFileSync('tests/fixtures/realdata/grains/nist-optical-steel/images/nist-steel.png'));
    m = matchGrainLook([im], { size: 512 });
  });

  it('sees dark lines on bright grains and a mean intercept within 25 % of the traced one', () => {
    expect(m.boundaries).toBe('dark lines');
    expect(m.preset).toBe('etched-lines');
    // The image misses faint boundaries the tracer drew, so the measured intercept runs long (≈ +15 %).
    expect(value(m, 'meanIntercept')).toBeGreaterThan(TRACED_INTERCEPT);
    expect(Math.abs(value(m, 'meanIntercept') / TRACED_INTERCEPT - 1)).toBeLessThan(0.25);
  });
  it('bright grains of little spread, dark thin lines, little light ramp', () => {
    expect(value(m, 'meanIntensity')).toBeGreaterThan(0.85);
    expect(value(m, 'grainContrast')).toBeLessThan(0.1);
    expect(value(m, 'lineDarkness')).toBeGreaterThan(0.5);
    expect(value(m, 'lineWidth')).toBeLessThan(3);
    expect(value(m, 'illumination')).toBeLessThan(0.05);
    expectValidRanges(m, {}, []);
  });
});

describe('matchGrainLook on colour (tint-etched) micrographs', () => {
  const colourPreset = GRAIN_PRESETS.find((p) => p.id === 'colour-etched')!;
  /** Colour samples with the tints fixed at `truth`, as an upload keeps them: grey (luma) and the RGB beside it. */
  function colourImages(truth: Record<string, number>, seed: number) {
    const settings: Settings = structuredClone(colourPreset.settings);
    for (const [name, v] of Object.entries(truth)) settings[name] = { lo: v, hi: v };
    const recipe = { kind: 'grains' as const, preset: colourPreset.id, settings, size: 256, count: 6, seed };
    return Array.from({ length: 6 }, (_, i) => {
      const colour = generateGrainSample(recipe, i).image;
      return { width: 256, height: 256, pixels: lumaOf(colour), colour };
    });
  }
  const tints = (m: GrainMatch) => m.estimates.tints!;

  it.each([
    { hueCentre: 45, oppositeHueShare: 0.4, tintSaturation: 0.4, hueSpread: 0.15 },
    { hueCentre: 200, oppositeHueShare: 0.1, tintSaturation: 0.7, hueSpread: 0.3 },
    { hueCentre: 120, oppositeHueShare: 0, tintSaturation: 0.25, hueSpread: 0.05 },
  ])('recovers the tints the images were made with: %o', (truth) => {
    const m = matchGrainLook(colourImages(truth, 3), { size: 256 });
    expect(m.estimates.tints).not.toBeNull();
    expect(m.preset).toBe('colour-etched');
    const t = tints(m);
    expect(Math.abs(t.hueCentre.value - truth.hueCentre)).toBeLessThan(10);
    expect(Math.abs(t.oppositeHueShare.value - truth.oppositeHueShare)).toBeLessThan(0.06);
    expect(Math.abs(t.tintSaturation.value / truth.tintSaturation - 1)).toBeLessThan(0.15);
    // Noise widens the hue spread a little; a narrow spread reads up to about 0.1 wider.
    expect(t.hueSpread.value - truth.hueSpread).toBeGreaterThan(-0.03);
    expect(t.hueSpread.value - truth.hueSpread).toBeLessThan(0.1);
    expectValidRanges(m, truth, ['hueCentre', 'oppositeHueShare', 'tintSaturation']);
  });

  it('names the opposite side the centre where the centre\'s range would cross 0°', () => {
    const m = matchGrainLook(colourImages({ hueCentre: 5, oppositeHueShare: 0.2, tintSaturation: 0.5, hueSpread: 0.1 }, 4), { size: 256 });
    const t = tints(m);
    expect(Math.abs(t.hueCentre.value - 185)).toBeLessThan(10);
    expect(Math.abs(t.oppositeHueShare.value - 0.8)).toBeLessThan(0.06);
    expect(m.settings.hueCentre!.lo).toBeGreaterThan(0);
  });

  it('leaves the tints unmeasured for grey images and for grey saved as colour', () => {
    const grey = images('tint-etched', {}, 128, 2);
    expect(matchGrainLook(grey).estimates.tints).toBeNull();
    const greyAsColour = grey.map((im) => ({ ...im, colour: repeatGrey(im.pixels) }));
    const m = matchGrainLook(greyAsColour);
    expect(m.estimates.tints).toBeNull();
    expect(m.settings.hueCentre).toBeUndefined();
    expect(m.notes.join(' ')).toMatch(/clearly coloured/);
  });
});

describe('label boundary width (the user\'s tracing convention)', () => {
  const band = (w: number, h: number, width: number, vertical: boolean) => {
    const pixels = new Uint8Array(w * h);
    const from = Math.floor((w - width) / 2);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((vertical ? x : y) >= from && (vertical ? x : y) < from + width) pixels[y * w + x] = 255;
    return { pixels, width: w, height: h };
  };

  it('reads the width of straight bands exactly, and nothing from empty masks', () => {
    for (const width of [1, 3, 5]) {
      expect(labelBoundaryWidth([band(64, 64, width, true)])).toBeCloseTo(width * 64 / 63, 5); // the skeleton ends a pixel short of the band's length
      expect(labelBoundaryWidth([band(64, 64, width, false), band(64, 64, width, true)])).toBeCloseTo(width * 64 / 63, 5);
    }
    expect(labelBoundaryWidth([{ pixels: new Uint8Array(64 * 64), width: 64, height: 64 }])).toBeUndefined();
  });

  it('sets the generator\'s label width so that its masks, at the size training brings them to, measure the width asked for (within 5 %)', () => {
    for (const [diameter, target, atSize] of [[25, 1.5, 256], [25, 3, 256], [60, 6, 256], [50, 2.8, 128]]) {
      const settings = { ...presetById('tint-etched').settings, grainDiameter: { lo: diameter, hi: diameter * 1.3 } };
      const { recipe, reached } = withLabelWidth({ kind: 'grains', preset: 'tint-etched', settings, size: 256, count: 16, seed: 3 }, target, atSize);
      expect(Math.abs(reached / target - 1)).toBeLessThan(0.05);
      const { lo, hi } = recipe.settings.maskWidth;
      expect(hi / lo).toBeCloseTo(1.1 / 0.9, 5);
      if (atSize < 256) expect(lo).toBeGreaterThan(target * 256 / atSize * 0.75); // drawn wider at 256 px, halved by the resize
      const middle = { ...recipe, settings: { ...recipe.settings, maskWidth: { lo: (lo + hi) / 2, hi: (lo + hi) / 2 } } };
      // Samples other than the ones the width was found on, brought to atSize the same way.
      const masks = [8, 9, 10, 11].map((i) => ({ pixels: resizeSquare({ pixels: generateGrainSample(middle, i).mask, width: 256, height: 256 }, atSize, true), width: atSize, height: atSize }));
      expect(Math.abs(labelBoundaryWidth(masks)! / target - 1)).toBeLessThan(0.05);
    }
  });

  it('says how wide the labels reach when the generator\'s limit holds them short', () => {
    const { recipe, reached } = withLabelWidth({ kind: 'grains', preset: 'tint-etched', settings: presetById('tint-etched').settings, size: 128, count: 8, seed: 3 }, 12);
    expect(recipe.settings.maskWidth.hi).toBe(9);
    expect(reached).toBeLessThan(9);
  });
});
