import { describe, expect, it } from 'vitest';
import { ParamError, parseSettings, sampleParams, validateSettings } from '../../src/lib/params/space';
import { Rng } from '../../src/lib/random';
import { recipeFromSpec } from '../../src/lib/synth/recipe';
import { GRAIN_PARAMS, GRAIN_PRESETS } from '../../src/lib/synth/grains/space';

const preset = GRAIN_PRESETS[0].settings;

function messageFor(settings: object): string {
  try {
    validateSettings(GRAIN_PARAMS, settings as never);
  } catch (e) {
    expect(e).toBeInstanceOf(ParamError);
    return (e as Error).message;
  }
  throw new Error('expected a validation error');
}

describe('parameter validation', () => {
  it('accepts every preset', () => {
    for (const p of GRAIN_PRESETS) expect(() => validateSettings(GRAIN_PARAMS, p.settings)).not.toThrow();
  });

  it('names the field and its allowed range for a value out of range', () => {
    expect(messageFor({ ...preset, blurSigma: { lo: 0, hi: 9 } })).toBe(
      'Blur sigma (blurSigma) is 9, outside the allowed range 0 to 4 px.',
    );
    expect(messageFor({ ...preset, grainDiameter: { lo: 2, hi: 10 } })).toContain('grainDiameter) is 2, outside the allowed range 6 to 400 px');
  });

  it('rejects reversed ranges, fractions for integers, non-numbers, unknown and missing fields', () => {
    expect(messageFor({ ...preset, lineWidth: { lo: 3, hi: 1 } })).toContain('the lower end 3 is above the upper end 1');
    expect(messageFor({ ...preset, lloydIterations: { lo: 1.5, hi: 2 } })).toContain('must be a whole number from 0 to 10');
    expect(messageFor({ ...preset, noiseSigma: { lo: null, hi: 0.1 } })).toContain('White noise (noiseSigma) must be a number');
    expect(messageFor({ ...preset, grainSize: { lo: 1, hi: 2 } })).toContain('Unknown parameter "grainSize"');
    const { blurSigma: _, ...missing } = preset;
    expect(messageFor(missing)).toContain('Blur sigma (blurSigma) is missing');
  });

  it('parses the loose JSON forms and reports bad ones by name', () => {
    expect(parseSettings({ a: 1, b: [2, 3], c: { lo: 4, hi: 5 } })).toEqual({ a: { lo: 1, hi: 1 }, b: { lo: 2, hi: 3 }, c: { lo: 4, hi: 5 } });
    expect(() => parseSettings({ blurSigma: 'big' })).toThrow('blurSigma must be a number, [lo, hi]');
    // "__proto__" from JSON is a name like any other: kept, so validation refuses it as unknown.
    const hostile = parseSettings(JSON.parse('{"__proto__": 5}'));
    expect(Object.keys(hostile)).toEqual(['__proto__']);
    expect(() => validateSettings(GRAIN_PARAMS, { ...GRAIN_PRESETS[0].settings, ...hostile })).toThrow(ParamError);
    // A field of the other kind is refused, not dropped.
    expect(() => recipeFromSpec('cracks', { preset: 'etched-lines', micronsPerPixel: 1 }, 128, 2, 1)).toThrow('preset and micronsPerPixel belong to grain recipes, not to cracks; remove them.');
    expect(() => recipeFromSpec('grains', { crack: { smooth: 1 } }, 128, 2, 1)).toThrow('crack belongs to crack tiles, not to grains; remove it.');
  });

  it('samples inside every range, integers as integers, and fixed values exactly', () => {
    const rng = new Rng(5);
    for (let k = 0; k < 200; k++) {
      const values = sampleParams(GRAIN_PARAMS, preset, rng);
      for (const spec of GRAIN_PARAMS) {
        const v = values[spec.name];
        // A parameter the preset leaves out is sampled at its `off` value.
        const range = preset[spec.name] ?? { lo: spec.off!, hi: spec.off! };
        expect(v).toBeGreaterThanOrEqual(range.lo);
        expect(v).toBeLessThanOrEqual(range.hi);
        if (spec.distribution === 'int') expect(Number.isInteger(v)).toBe(true);
      }
      expect(values.maskWidth).toBe(3);
    }
  });
});
