import { readdirSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeGreyPng } from '../../src/lib/data/png';
import { ConfigError, parseExperimentConfig, recipeFromConfig, withMatchedRanges } from '../../src/lib/experiment/config';
import { lumaOf } from '../../src/lib/synth/grains/colour';
import { generateGrainSample, type GrainRecipe } from '../../src/lib/synth/grains/index';
import type { RealItem } from '../../src/lib/experiment/config';
import { interleaveClasses, realSplit, prepareReal, runExperiment, withTrainingTexture } from '../../src/lib/experiment/run';
import { summarise, type RunResult } from '../../src/lib/experiment/summary';
import { madeSource } from '../../src/lib/experiment/synthetic';
import { labelBoundaryWidth } from '../../src/lib/synth/grains/matchLabels';
import { resizeSquare } from '../../src/lib/data/tiling';
import { DEFAULT_CRACK_MODEL, DEFAULT_TEXTURE_SETTINGS } from '../../src/lib/synth/cracks/space';
import type { Recipe } from '../../src/lib/synth/recipe';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tilesDir = 'tests/fixtures/realdata/cracks/ceramic-tile-tiles';
const realTiles = (): RealItem[] => ['crack', 'no_crack'].flatMap((label) =>
  readdirSync(`${tilesDir}/${label}`).sort().map((f) => ({ name: f, set: 'all' as const, image: decodeGreyPng(readFileSync(`${tilesDir}/${label}/${f}`)), label: label === 'crack' ? 1 : 0 })));

function config(overrides: Record<string, unknown> = {}) {
  return parseExperimentConfig({
    name: 'unit', task: 'cracks', synthetic: { count: 16, size: 64, seed: 1 }, real: { all: 'x', split: { val: 0.25, test: 0.25 } },
    regimes: ['synthetic', 'real', 'mixed'], runs: 2, input: { size: 32 }, model: { depth: 10, width: 0.125 },
    train: { batchSize: 8, synthetic: [{ epochs: 1, maxLr: 0.002 }], real: [{ epochs: 1, maxLr: 0.001 }], augment: false }, ...overrides,
  });
}

describe('experiment configs', () => {
  it('name the field at fault', () => {
    const bad = (raw: object, field: string) => {
      try {
        parseExperimentConfig(raw);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        expect((e as ConfigError).field).toBe(field);
        return;
      }
      throw new Error(`accepted a config with a bad ${field}`);
    };
    const good = { task: 'cracks', synthetic: { count: 8, size: 64 }, real: { all: 'x' }, runs: 2 };
    expect(() => parseExperimentConfig(good)).not.toThrow();
    bad({ ...good, task: 'cells' }, 'task');
    bad({ ...good, synthetic: { ...good.synthetic, crack: 'smooth' } }, 'synthetic.crack');
    bad({ ...good, synthetic: { ...good.synthetic, preset: 'etched-lines' } }, 'synthetic.preset');
    bad({ ...good, seeds: [1, 1] }, 'seeds');
    bad({ ...good, model: { loss: 'dice' } }, 'model.loss');
    bad({ ...good, train: { augment: 'off' } }, 'train.augment');
    bad({ ...good, train: { weightDecay: 'lots' } }, 'train.weightDecay');
    bad({ ...good, real: { all: 'x', test: 'y' } }, 'real.all');
    bad({ ...good, real: { train: 'x', test: 'y', split: { val: 0.2, test: 0.2 } } }, 'real.split');
    bad({ ...good, real: { train: 'x', test: 'y', pinTest: ['a.png'] } }, 'real.pinTest');
    bad({ ...good, synthetic: { ...good.synthetic, params: [1, 2] } }, 'synthetic.params');
    bad({ ...good, task: 'grains', synthetic: { ...good.synthetic, crack: { smooth: 0.5 } } }, 'synthetic.crack');
    bad({ ...good, runs: 0 }, 'runs');
    bad({ ...good, regimes: ['synthetic', 'magic'] }, 'regimes');
    bad({ ...good, seeds: [1] }, 'seeds');
    bad({ ...good, real: {} }, 'real');
    bad({ ...good, synthetic: { count: 8 } }, 'synthetic.size');
    bad({ ...good, task: 'grains', input: { size: 100 } }, 'input.size');
    bad({ ...good, train: { real: [{ epochs: 0, maxLr: 0.1 }] } }, 'train.real[0].epochs');
    bad({ ...good, train: { synthetic: [{ epochs: 1, maxLr: 0.1, freezeEncoder: true }] } }, 'train.synthetic[0].freezeEncoder');
    bad({ ...good, real: { test: 'x' } }, 'real.train'); // the default regimes train on real data
    bad({ ...good, synthetic: { count: 8, size: 64, texture: 'mine' } }, 'synthetic.texture');
    bad({ ...good, task: 'grains', input: { size: 64 }, synthetic: { count: 8, size: 64, texture: 'real-train' } }, 'synthetic.texture');
    expect(parseExperimentConfig({ ...good, synthetic: { count: 8, size: 64, texture: 'real-train' } }).synthetic.texture).toBe('real-train');
    bad({ ...good, synthetic: { count: 8, size: 64, match: 'mine' } }, 'synthetic.match'); // cracks
    bad({ ...good, task: 'grains', input: { size: 64 }, synthetic: { count: 8, size: 64, match: 3 } }, 'synthetic.match');
    bad({ ...good, real: { all: 'x', adapt: 'yes' } }, 'real.adapt');
    bad({ ...good, task: 'grains', input: { size: 64 }, synthetic: { count: 8, size: 64, labelWidth: 'wide' } }, 'synthetic.labelWidth');
    bad({ ...good, synthetic: { count: 8, size: 64, labelWidth: 'real-train' } }, 'synthetic.labelWidth'); // cracks
    const widthFromMasks = { ...good, task: 'grains', input: { size: 64 }, synthetic: { count: 8, size: 64, labelWidth: 'real-train' } };
    expect(parseExperimentConfig(widthFromMasks).adaptive.parameters.maskWidth).toBeUndefined(); // not moved by adaptive rounds
    bad({ ...widthFromMasks, synthetic: { ...widthFromMasks.synthetic, params: { maskWidth: 3 } } }, 'synthetic.labelWidth');
    bad({ ...widthFromMasks, synthetic: { ...widthFromMasks.synthetic, dataset: 'mine' } }, 'synthetic.labelWidth');
    bad({ ...widthFromMasks, real: { test: 'x' }, regimes: ['synthetic'] }, 'synthetic.labelWidth'); // no training masks
    bad({ ...widthFromMasks, adaptive: { parameters: { maskWidth: 1 } } }, 'adaptive.parameters');
    bad({ ...good, real: { test: 'x', adapt: true }, regimes: ['synthetic'] }, 'real.adapt'); // nothing to adapt to but test images
    expect(parseExperimentConfig({ ...good, real: { all: 'x', adapt: true } }).real.adapt).toBe(true);
    expect(parseExperimentConfig(good).real.adapt).toBeUndefined();
    // Evaluate-only: a synthetic-only experiment may name just its real test folder.
    expect(parseExperimentConfig({ ...good, real: { test: 'x' }, regimes: ['synthetic'] }).real).toMatchObject({ test: 'x' });
  });

  it('refuse a field they do not take, at every level, with the one meant when it is a slip away', () => {
    const good = { task: 'cracks', synthetic: { count: 8, size: 64 }, real: { all: 'x' }, runs: 2 };
    const refusal = (raw: object) => {
      try {
        parseExperimentConfig(raw);
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(refusal({ ...good, trian: {} })).toMatch(/^trian: .*is not a field of a config; did you mean train\?/);
    expect(refusal({ ...good, regime: ['synthetic'] })).toMatch(/^regime: .*did you mean regimes\?/);
    expect(refusal({ ...good, model: { dpeth: 18 } })).toMatch(/^model\.dpeth: .*did you mean depth\?/);
    expect(refusal({ ...good, train: { batchsize: 4 } })).toMatch(/^train\.batchsize: .*did you mean batchSize\?/);
    expect(refusal({ ...good, synthetic: { ...good.synthetic, cuont: 9 } })).toMatch(/^synthetic\.cuont: .*did you mean count\?/);
    expect(refusal({ ...good, real: { all: 'x', fitt: 'tile' } })).toMatch(/^real\.fitt: .*did you mean fit\?/);
    expect(refusal({ ...good, real: { all: 'x', split: { val: 0.2, tset: 0.2 } } })).toMatch(/^real\.split\.tset: /);
    expect(refusal({ ...good, train: { synthetic: [{ epochs: 1, maxLr: 0.001, szie: 64 }] } })).toMatch(/^train\.synthetic\[0\]\.szie: .*did you mean size\?/);
    expect(refusal({ ...good, adaptive: { fractoin: 0.2 } })).toMatch(/^adaptive\.fractoin: /);
    expect(refusal({ ...good, notes: 'mine' })).toMatch(/^notes: is not a field of a config\. It takes name, task/);
    // Sections of the wrong type, and values of the wrong type, are refused rather than replaced by defaults.
    expect(refusal({ ...good, model: 'resnet18' })).toMatch(/^model: must be an object/);
    expect(refusal({ ...good, train: [{ epochs: 5, maxLr: 0.001 }] })).toMatch(/^train: must be an object/);
    expect(refusal({ ...good, adaptive: 0.5 })).toMatch(/^adaptive: must be an object/);
    expect(refusal({ ...good, name: 42 })).toMatch(/^name: must be text/);
    expect(refusal({ ...good, train: { synthetic: [{ epochs: 1, maxLr: 0.001, freezeEncoder: 'no' }] } })).toMatch(/^train\.synthetic\[0\]\.freezeEncoder: must be false/);
  });
});

describe('matched ranges in experiments', () => {
  it('match true fits the recipe to the real folders\' own images, and preset "matched" takes the preset the match names for the model\'s channels', () => {
    const grains = (synthetic: object, input: object = { size: 128 }, real: object = { test: 'x' }) => parseExperimentConfig({ task: 'grains',
      synthetic: { count: 8, size: 256, ...synthetic }, real, regimes: ['synthetic'], runs: 1, input });
    expect(grains({ match: true, preset: 'matched' }).synthetic).toMatchObject({ match: true, preset: 'matched' });
    expect(() => grains({ preset: 'matched' })).toThrow(/"matched" takes the preset Match my images names/);
    expect(() => grains({ match: false })).toThrow(/or true \(the experiment's own real images\)/);
    expect(() => grains({ match: true }, { size: 128 }, { stored: true })).toThrow(/with real.stored, name a folder/);
    const to = (suggested: string, input?: object) => withMatchedRanges(grains({ match: true, preset: 'matched' }, input), {}, 256, suggested).synthetic.preset;
    expect(to('etched-lines')).toBe('etched-lines');
    expect(to('sem')).toBe('sem');
    expect(to('tint-etched')).toBe('tint-etched');
    expect(to('colour-etched')).toBe('tint-etched'); // a grey model: the grey twin
    expect(to('etched-lines', { size: 128, channels: 3 })).toBe('colour-etched'); // an RGB model: the colour preset
    // A named preset stays whatever the match suggests.
    expect(withMatchedRanges(grains({ match: true, preset: 'sem' }), {}, 256, 'etched-lines').synthetic.preset).toBe('sem');
    expect(recipeFromConfig(withMatchedRanges(grains({ match: true, preset: 'matched' }), {}, 256, 'sem'), [], '').kind).toBe('grains');
  });

  it('scale lengths from the user’s pixels to the synthetic images’, and give way to the config’s own params', () => {
    const grains = (fit: 'tile' | 'resize', params?: object) => parseExperimentConfig({ task: 'grains', synthetic: { count: 8, size: 256, match: 'm', ...(params ? { params } : {}) },
      real: { all: 'x', fit }, regimes: ['synthetic'], runs: 1, input: { size: 128 } });
    const matched = { grainDiameter: { lo: 40, hi: 60 }, lineWidth: { lo: 1, hi: 2 }, meanIntensity: { lo: 0.8, hi: 0.9 } };
    // Tiles reach the network at native scale, synthetic 256² images are halved to 128²: lengths double.
    expect(withMatchedRanges(grains('tile'), matched, 800).synthetic.params).toEqual({ grainDiameter: { lo: 80, hi: 120 }, lineWidth: { lo: 2, hi: 4 }, meanIntensity: { lo: 0.8, hi: 0.9 } });
    // Whole 800-px images resized to the input: synthetic px per user px is 256 / 800.
    expect(withMatchedRanges(grains('resize'), matched, 800).synthetic.params!.grainDiameter).toEqual({ lo: 12.8, hi: 19.2 });
    expect(withMatchedRanges(grains('tile', { grainDiameter: [20, 30] }), matched, 800).synthetic.params!.grainDiameter).toEqual([20, 30]);
    // Pits: their diameter is a length; their count per 100² px falls as the pixels get smaller (lengths double: a quarter).
    const pits = withMatchedRanges(grains('tile'), { pitDensity: { lo: 0, hi: 2 }, pitSize: { lo: 2, hi: 4 } }, 800).synthetic.params!;
    expect(pits.pitDensity).toEqual({ lo: 0, hi: 0.5 });
    expect(pits.pitSize).toEqual({ lo: 4, hi: 8 });
  });
});

describe('experiment runs', () => {
  it('show kept test predictions of both classes', () => {
    const samples = [0, 0, 0, 1, 1, 0].map((label) => ({ label }));
    expect(interleaveClasses([0, 1, 2, 3, 4, 5], samples)).toEqual([3, 0, 4, 1, 2, 5]);
    expect(interleaveClasses([2, 0], [{}, {}, {}])).toEqual([2, 0]);
  });

  it('take crack texture from the crack-free images of the run’s training split only', () => {
    const items = realTiles();
    const c = config({ synthetic: { count: 16, size: 64, seed: 1, texture: 'real-train' } });
    const real = prepareReal(items, 32, 'resize');
    const split = realSplit(real, c, 7);
    const train = new Set(split.train.map((i) => real[i].group));
    const base = { kind: 'cracks' as const, size: 64, count: 16, seed: 1, settings: DEFAULT_TEXTURE_SETTINGS, crack: DEFAULT_CRACK_MODEL, exemplars: [], exemplarSource: '' };
    const recipe = withTrainingTexture(base, items, train, 7);
    const expected = items.filter((it) => train.has(it.name) && it.label === 0);
    expect(expected.length).toBeGreaterThan(0);
    expect(recipe.exemplars.map((e) => e.pixels)).toEqual(expected.map((it) => it.image.pixels));
    const test = new Set(split.test.map((i) => real[i].group));
    for (const e of recipe.exemplars) expect(items.filter((it) => test.has(it.name)).some((it) => it.image.pixels === e.pixels)).toBe(false);
    expect(() => withTrainingTexture(base, items.filter((it) => it.label === 1), train, 7)).toThrow(/needs crack-free real training images/);
  });

  it('split real data by seed, stratified, keeping pinned images in test', () => {
    const c = config({ real: { all: 'x', split: { val: 0.25, test: 0.25 }, pinTest: ['001-0-128.png'] } });
    const real = prepareReal(realTiles(), 32, 'resize');
    const a = realSplit(real, c, 1), b = realSplit(real, c, 2);
    expect(a.test).not.toEqual(b.test);
    expect(a.test.map((i) => real[i].group)).toContain('001-0-128.png');
    expect([...a.train, ...a.val, ...a.test].sort((x, y) => x - y)).toEqual(real.map((_, i) => i));
    expect(a.test.filter((i) => real[i].label === 1).length).toBeGreaterThanOrEqual(3);
  });

  it('run every regime for every seed and summarise with intervals and paired tests', async () => {
    const index = JSON.parse(readFileSync('public/exemplars/index.json', 'utf8'));
    const exemplars = index.files.map((f: string) => decodeGreyPng(readFileSync(`public/exemplars/${f}`)));
    const recipe: Recipe = { kind: 'cracks', size: 64, count: 16, seed: 1, settings: DEFAULT_TEXTURE_SETTINGS, crack: DEFAULT_CRACK_MODEL, exemplars, exemplarSource: 'bundled' };
    const progress: string[] = [];
    const results = await runExperiment(config(), recipe, realTiles(), { onProgress: (p) => progress.push(`${p.run}/${p.runs} ${p.regime}`) });
    expect(results.complete).toBe(true);
    expect(results.runs.map((r) => `${r.seed}:${r.regime}`).sort()).toEqual(['1:mixed', '1:real', '1:synthetic', '2:mixed', '2:real', '2:synthetic']);
    for (const r of results.runs) for (const set of ['test', 'all'] as const) {
      expect(r.metrics[set].error).toBeGreaterThanOrEqual(0);
      expect(r.metrics[set].errorCi99![0]).toBeLessThanOrEqual(r.metrics[set].error!);
    }
    for (const regime of ['synthetic', 'real', 'mixed'] as const) {
      const s = results.summary[regime]!.test!.error;
      expect(s.ci99[0]).toBeLessThanOrEqual(s.mean);
      expect(s.ci99[1]).toBeGreaterThanOrEqual(s.mean);
    }
    expect(results.tests.filter((t) => t.metric === 'error').map((t) => `${t.a}-${t.b}-${t.set}`).sort()).toEqual(
      ['real-mixed-all', 'real-mixed-test', 'synthetic-mixed-all', 'synthetic-mixed-test', 'synthetic-real-all', 'synthetic-real-test']);
    expect(progress).toContain('2/2 mixed');
  }, 120_000);

  it('segment real micrographs with a boundary threshold picked on validation data, recorded per run, and labels as wide as the training masks', async () => {
    const dir = 'tests/fixtures/realdata/grains/mlographypp-tbm';
    const items: RealItem[] = readdirSync(`${dir}/images`).sort().slice(0, 6).map((f) => ({
      name: f, set: 'all' as const, image: decodeGreyPng(readFileSync(`${dir}/images/${f}`)), mask: decodeGreyPng(readFileSync(`${dir}/masks/${f}`)) }));
    const c = parseExperimentConfig({
      name: 'unit grains', task: 'grains', synthetic: { count: 8, size: 256, seed: 1, labelWidth: 'real-train' }, real: { all: 'x', split: { val: 0.34, test: 0.34 } },
      regimes: ['synthetic', 'mixed'], runs: 1, input: { size: 128 }, model: { depth: 10, width: 0.125 },
      train: { batchSize: 4, synthetic: [{ epochs: 1, maxLr: 0.002 }], real: [{ epochs: 1, maxLr: 0.001 }], augment: false },
    });
    const { DEFAULT_PRESET } = await import('../../src/lib/synth/grains/space');
    const recipe: Recipe = { kind: 'grains', preset: DEFAULT_PRESET.id, settings: DEFAULT_PRESET.settings, size: 256, count: 8, seed: 1 };
    const served: number[] = [];
    const results = await runExperiment(c, recipe, items, { syntheticSource: (count, size, make) => {
      const source = madeSource(count, size, make);
      // Measured at the input size, as the network sees the synthetic labels.
      const width = (mask: Uint8Array) => labelBoundaryWidth([{ pixels: resizeSquare({ pixels: mask, width: size, height: size }, 128, true), width: 128, height: 128 }]) ?? 0;
      return { ...source, get: async (indices) => (await source.get(indices)).map((s) => (served.push(width(s.mask!)), s)) };
    } });
    expect(results.runs.map((r) => r.regime)).toEqual(['synthetic', 'mixed']);
    const real = prepareReal(items, 128, 'resize');
    const trainMasks = realSplit(real, c, c.seeds[0]).train.map((i) => ({ pixels: real[i].mask!, width: 128, height: 128 }));
    const width = labelBoundaryWidth(trainMasks)!;
    // The synthetic labels reach the network as wide as the training masks (the recipe's own 3 px at 256 px would be 1.5 px there).
    const drawn = served.filter((w) => w > 0).sort((a, b) => a - b);
    expect(Math.abs(drawn[drawn.length >> 1] / width - 1)).toBeLessThan(0.15);
    for (const r of results.runs) {
      expect(r.labelWidth).toBeCloseTo(width, 2);
      expect(r.threshold).toBeGreaterThanOrEqual(0.1);
      expect(r.threshold).toBeLessThanOrEqual(0.9);
      expect(r.metrics.test.boundaryF1).toBeGreaterThanOrEqual(0);
    }
  }, 120_000);

  it('adapt batch-norm statistics to the run\'s real training and validation images before testing, when asked', async () => {
    const index = JSON.parse(readFileSync('public/exemplars/index.json', 'utf8'));
    const exemplars = index.files.map((f: string) => decodeGreyPng(readFileSync(`public/exemplars/${f}`)));
    const recipe: Recipe = { kind: 'cracks', size: 64, count: 8, seed: 1, settings: DEFAULT_TEXTURE_SETTINGS, crack: DEFAULT_CRACK_MODEL, exemplars, exemplarSource: 'bundled' };
    const c = config({ synthetic: { count: 8, size: 64, seed: 1 }, regimes: ['synthetic'], runs: 1, real: { all: 'x', split: { val: 0.25, test: 0.25 }, adapt: true } });
    const phases: string[] = [];
    const plain = await runExperiment({ ...c, real: { ...c.real, adapt: undefined } }, recipe, realTiles());
    const adapted = await runExperiment(c, recipe, realTiles(), { onProgress: (p) => phases.push(p.phase) });
    expect(phases.some((p) => /adapting batch-norm statistics to \d+ real training and validation images/.test(p))).toBe(true);
    expect(adapted.runs[0].metrics.test.n).toBe(plain.runs[0].metrics.test.n);
    // The same trained network, tested with other statistics, scores the tiles differently.
    expect(adapted.runs[0].metrics.test.auc).not.toBe(plain.runs[0].metrics.test.auc);
    const tooFew = config({ synthetic: { count: 8, size: 64, seed: 1 }, regimes: ['synthetic'], runs: 1, real: { all: 'x', split: { val: 0.0, test: 0.99 }, adapt: true } });
    await expect(runExperiment(tooFew, recipe, realTiles())).rejects.toThrow(/real\.adapt: run seed 1 has \d real training and validation images; adapting needs at least 4/);
  }, 120_000);

  it('resume: skip the finished runs, keep them, and end with the results of an uninterrupted experiment', async () => {
    const index = JSON.parse(readFileSync('public/exemplars/index.json', 'utf8'));
    const exemplars = index.files.map((f: string) => decodeGreyPng(readFileSync(`public/exemplars/${f}`)));
    const recipe: Recipe = { kind: 'cracks', size: 64, count: 8, seed: 1, settings: DEFAULT_TEXTURE_SETTINGS, crack: DEFAULT_CRACK_MODEL, exemplars, exemplarSource: 'bundled' };
    const c = config({ synthetic: { count: 8, size: 64, seed: 1 } });
    const fresh = await runExperiment(c, recipe, realTiles());
    expect(fresh.runs.map((r) => `${r.seed}:${r.regime}`)).toEqual(['1:synthetic', '1:mixed', '1:real', '2:synthetic', '2:mixed', '2:real']);
    // Interrupted after seed 1's synthetic run: mixed needs seed 1's synthetic model again, trained anew.
    const kept = { ...fresh.runs[0], metrics: { ...fresh.runs[0].metrics } };
    const trained: string[] = [];
    const resumed = await runExperiment(c, recipe, realTiles(), { onRun: (r, sofar) => {
      trained.push(`${r.seed}:${r.regime}`);
      expect(sofar.runs[0]).toBe(kept);
    } }, { runs: [kept, { ...kept, seed: 99 }], predictions: fresh.predictions!.slice(0, 1) });
    expect(trained).toEqual(['1:mixed', '1:real', '2:synthetic', '2:mixed', '2:real']);
    expect(resumed.runs[0]).toBe(kept); // kept as it was, not recomputed
    expect(resumed.complete).toBe(true);
    // Same seeds and splits (each set's n) and the same trained weights (each metric), run for run.
    expect(resumed.runs).toEqual(fresh.runs);
    expect(resumed.summary).toEqual(fresh.summary);
    expect(resumed.tests).toEqual(fresh.tests);
    expect(resumed.predictions!.map((p) => p.regime)).toEqual(['synthetic', 'mixed', 'real']);
    // Nothing left to run: the finished runs are summarised as they are.
    const noop = await runExperiment(c, recipe, realTiles(), { onRun: () => { throw new Error('ran a finished run'); } }, fresh);
    expect(noop.runs).toEqual(fresh.runs);
    expect(noop.complete).toBe(true);
  }, 180_000);

  it('keep finished runs when cancelled', () => {
    const c = config();
    const one: RunResult = { seed: 1, regime: 'synthetic', metrics: { test: { n: 4, error: 0.25 }, all: { n: 16, error: 0.5 } } };
    const results = summarise(c, [one], false);
    expect(results.complete).toBe(false);
    expect(results.runs).toHaveLength(1);
    expect(results.summary.synthetic!.test!.error.mean).toBe(0.25);
  });
});

describe('shipped experiment configs', () => {
  it('all parse, and so does the config each records in its results (to run it again)', () => {
    for (const file of readdirSync('experiments').filter((f) => f.endsWith('.json'))) {
      const parsed = parseExperimentConfig(JSON.parse(readFileSync(`experiments/${file}`, 'utf8')));
      expect(parseExperimentConfig(JSON.parse(JSON.stringify(parsed))), file).toEqual(parsed);
    }
  });
});

describe('adaptive sampling', () => {
  it('selects exactly the worst fraction, by the right direction, ties by index', async () => {
    const { selectWorst } = await import('../../src/lib/experiment/adaptive');
    const scores = [0.9, 0.1, 0.5, 0.1, 0.7, 0.3, 0.8, 0.2, 0.6, 0.4];
    expect(selectWorst(scores, 0.2, false)).toEqual([1, 3]); // IoU: lowest are worst
    expect(selectWorst(scores, 0.3, true)).toEqual([0, 6, 4]); // loss: highest are worst
    expect(selectWorst([NaN, 0.5], 0.5, false)).toEqual([0]); // a failed score counts as worst
  });

  it('never moves colour: a dataset is all grey or all RGB', async () => {
    const { adaptiveConfigError } = await import('../../src/lib/experiment/adaptive');
    const a = { fraction: 0.2, variations: 2, rounds: 1, parameters: { colour: 1 } };
    expect(adaptiveConfigError('grains', a)).toMatch(/^adaptive\.parameters\.colour: unknown/);
    expect(adaptiveConfigError('grains', { ...a, parameters: { grainDiameter: 5 } })).toBeUndefined();
  });

  it('perturbs only the chosen parameters, within their intervals and the space, the same for the same seed', async () => {
    const { variationRecipe } = await import('../../src/lib/experiment/adaptive');
    const { generateGrainSample } = await import('../../src/lib/synth/grains/index');
    const { GRAIN_PARAMS, GRAIN_PRESETS } = await import('../../src/lib/synth/grains/space');
    const { validateAnyRecipe } = await import('../../src/lib/synth/recipe');
    const preset = GRAIN_PRESETS[0];
    const recipe = { kind: 'grains' as const, preset: preset.id, settings: preset.settings, size: 64, count: 10, seed: 1 };
    const sample = generateGrainSample(recipe, 3);
    const moves = { grainContrast: 0.15, lineWidth: 0.75, maskWidth: 0.75 };
    const seen = new Set<number>();
    for (let v = 0; v < 10; v++) {
      const r = variationRecipe(recipe, sample.params, sample.seed, moves, 0, v);
      expect(r).toEqual(variationRecipe(recipe, sample.params, sample.seed, moves, 0, v));
      validateAnyRecipe(r);
      const made = generateGrainSample(r as typeof recipe, 0).params;
      for (const spec of GRAIN_PARAMS) {
        const delta = moves[spec.name as keyof typeof moves];
        if (delta === undefined) expect(made[spec.name]).toBe(sample.params[spec.name]);
        else {
          expect(Math.abs(made[spec.name] - sample.params[spec.name])).toBeLessThanOrEqual(delta + 1e-12);
          expect(made[spec.name]).toBeGreaterThanOrEqual(spec.min);
          expect(made[spec.name]).toBeLessThanOrEqual(spec.max);
        }
      }
      seen.add(made.lineWidth);
    }
    expect(seen.size).toBeGreaterThan(5);
  });

  it('a tiny adaptive round records the random and the adaptive regime side by side, with what was hard', async () => {
    const index = JSON.parse(readFileSync('public/exemplars/index.json', 'utf8'));
    const exemplars = index.files.map((f: string) => decodeGreyPng(readFileSync(`public/exemplars/${f}`)));
    const recipe: Recipe = { kind: 'cracks', size: 64, count: 20, seed: 1, settings: DEFAULT_TEXTURE_SETTINGS, crack: DEFAULT_CRACK_MODEL, exemplars, exemplarSource: 'bundled' };
    const c = config({ regimes: ['random-finetune', 'adaptive-finetune'], runs: 2, synthetic: { count: 20, size: 64, seed: 1 },
      adaptive: { fraction: 0.25, variations: 3, phases: [{ epochs: 1, maxLr: 0.0005 }] } });
    const results = await runExperiment(c, recipe, realTiles());
    expect(results.runs.map((r) => `${r.seed}:${r.regime}`).sort()).toEqual(['1:adaptive-finetune', '1:random-finetune', '2:adaptive-finetune', '2:random-finetune']);
    expect(results.tests.some((t) => t.a === 'random-finetune' && t.b === 'adaptive-finetune' && t.metric === 'error')).toBe(true);
    expect(results.hardSamples!.hard).toHaveLength(1); // 25 % of 4 validation samples
    expect(results.hardSamples!.moved).toEqual(['crackWidth', 'crackIntensity']);
    // Histograms for every parameter the samples were drawn with, moved or not (texture ones too).
    expect(results.hardSamples!.parameters).toEqual(expect.arrayContaining(['crackWidth', 'crackIntensity', 'patchSize']));
    // Every run and round is recorded; only the first keeps predictions.
    expect(results.hardRounds!.map((h) => `${h.seed}:${h.round}`)).toEqual(['1:0', '2:0']);
    expect(results.hardRounds!.every((h) => h.hard.every((x) => x.prediction === undefined))).toBe(true);
    expect(results.hardSamples!.hard[0].prediction).toBeDefined();
  }, 120_000);
});

describe('streamed synthetic data', () => {
  it('gives the results of a held synthetic set, asking for at most one batch of samples at a time', async () => {
    const { heldSource, madeSource } = await import('../../src/lib/experiment/synthetic');
    const index = JSON.parse(readFileSync('public/exemplars/index.json', 'utf8'));
    const exemplars = index.files.map((f: string) => decodeGreyPng(readFileSync(`public/exemplars/${f}`)));
    const recipe: Recipe = { kind: 'cracks', size: 64, count: 20, seed: 1, settings: DEFAULT_TEXTURE_SETTINGS, crack: DEFAULT_CRACK_MODEL, exemplars, exemplarSource: 'bundled' };
    const c = config({ regimes: ['synthetic', 'random-finetune', 'adaptive-finetune'], runs: 1, synthetic: { count: 20, size: 64, seed: 1 },
      adaptive: { fraction: 0.25, variations: 3, phases: [{ epochs: 1, maxLr: 0.0005 }] } });
    let largest = 0, asked = 0;
    const counting: typeof madeSource = (count, size, make) => {
      const source = madeSource(count, size, make);
      return { ...source, get: (indices) => {
        largest = Math.max(largest, indices.length);
        asked += indices.length;
        return source.get(indices);
      } };
    };
    const streamed = await runExperiment(c, recipe, realTiles(), { syntheticSource: counting });
    const held = await runExperiment(c, recipe, realTiles(), { syntheticSource: heldSource });
    expect(streamed).toEqual(held);
    expect(largest).toBeLessThanOrEqual(c.train.batchSize);
    expect(asked).toBeGreaterThan(recipe.count); // every epoch and validation pass made its samples anew
  }, 120_000);
});

describe('results files', () => {
  it('read back what was exported, recomputing summary and tests from the runs; refuse what is not results', async () => {
    const { resultsFromJson, resultsJson } = await import('../../src/lib/experiment/export');
    const c = config();
    const runs: RunResult[] = [1, 2].flatMap((seed) => (['synthetic', 'real', 'mixed'] as const).map((regime, k) => ({
      seed, regime, metrics: { test: { n: 20, error: 0.1 * (k + 1) + 0.01 * seed, errorCi99: [0, 0.5] as [number, number], auc: 0.8 }, all: { n: 40, error: 0.2 } },
      ...(regime === 'real' ? {} : { threshold: 0.45, labelWidth: 2.83 }) })));
    const exported = summarise(c, runs, true, 'wasm');
    const back = resultsFromJson(resultsJson(exported), 'r.json');
    expect(back.runs).toEqual(exported.runs);
    expect(back.summary).toEqual(exported.summary);
    expect(back.tests).toEqual(exported.tests);
    expect(back.complete).toBe(true);
    // An edited summary is not believed: it is recomputed from the runs.
    const edited = JSON.parse(resultsJson(exported));
    edited.summary.synthetic.test.error.mean = 0;
    expect(resultsFromJson(JSON.stringify(edited), 'r.json').summary).toEqual(exported.summary);
    expect(() => resultsFromJson('{', 'x.json')).toThrow('x.json is not JSON');
    expect(() => resultsFromJson('[]', 'x.json')).toThrow('not a SynthScope results file');
    expect(() => resultsFromJson(JSON.stringify({ ...edited, config: { ...edited.config, runs: 0 } }), 'x.json')).toThrow('its config is not valid');
    expect(() => resultsFromJson(JSON.stringify({ ...edited, runs: [{ seed: 1, regime: 'magic', metrics: {} }] }), 'x.json')).toThrow('runs[0] needs');
    expect(() => resultsFromJson(JSON.stringify({ ...edited, runs: [{ seed: 1, regime: 'real', metrics: { test: { n: 3, error: 'low' }, all: { n: 1 } } }] }), 'x.json')).toThrow('runs[0].metrics.test.error must be a number from 0 to 1');
    // Numbers no run can give, and runs the config does not make, are refused rather than summarised.
    const withRun = (patch: object, k = 0) => JSON.stringify({ ...edited, runs: edited.runs.map((r: object, i: number) => (i === k ? { ...r, ...patch } : r)) });
    expect(() => resultsFromJson(withRun({ metrics: { test: { n: 20, error: 7 }, all: { n: 40 } } }), 'x.json')).toThrow('runs[0].metrics.test.error must be a number from 0 to 1');
    expect(() => resultsFromJson(withRun({ seed: 99 }), 'x.json')).toThrow('runs[0] is seed 99 of regime synthetic, which its config does not run');
    expect(() => resultsFromJson(withRun({ seed: 1, regime: 'real' }, 2), 'x.json')).toThrow('runs[2] repeats seed 1 of regime real');
    expect(() => resultsFromJson(JSON.stringify({ ...edited, runs: [...edited.runs, edited.runs[0]] }), 'x.json')).toThrow('x.json holds 7 runs; its config makes at most 6');
    // A config recorded before with train, val and test folders held a default split; it reads.
    const folders = { ...edited, config: { ...edited.config, real: { train: 't', val: 'v', test: 'x', split: { val: 0.2, test: 0.2 }, pinTest: [], fit: 'resize' } } };
    expect(resultsFromJson(JSON.stringify(folders), 'old.json').config.real).toMatchObject({ train: 't', test: 'x' });
  });
});

describe('prediction pictures', () => {
  it('put every classified tile on one sheet, most crack-like first, framed green where right and red where wrong', async () => {
    const { predictionPngs } = await import('../../src/lib/experiment/export');
    const { readPng, rgbOfPng } = await import('../../src/lib/data/png');
    // Tile k is filled with grey 10k; probabilities out of order; tile 1 is a missed crack.
    const tile = (grey: number, truth: number, predicted: number, probability: number) => ({ image: new Uint8Array(16).fill(grey), size: 4, truth, predicted, probability });
    const items = [tile(10, 0, 0, 0.2), tile(20, 1, 0, 0.4), tile(30, 1, 1, 0.9)];
    const results = { ...summarise(config(), [], false, 'wasm'), predictions: [{ regime: 'synthetic' as const, seed: 1, items }] };
    const files = predictionPngs(results);
    expect(Object.keys(files).filter((f) => f.startsWith('synthetic/') && /-truth-/.test(f))).toHaveLength(3);
    const sheet = rgbOfPng(readPng(files['synthetic/sheet-by-crack-probability.png']));
    const cell = 4 + 2 * 3;
    expect([sheet.width, sheet.height]).toEqual([3 * cell, cell]);
    const at = (x: number, y: number) => Array.from(sheet.pixels.subarray((y * sheet.width + x) * 3, (y * sheet.width + x) * 3 + 3));
    expect([0, 1, 2].map((k) => at(k * cell + 5, 5)[0])).toEqual([30, 20, 10]);
    expect(at(0, 0)).toEqual([40, 170, 60]);
    expect(at(cell, 0)).toEqual([220, 40, 40]);
    expect(at(2 * cell + cell - 1, cell - 1)).toEqual([40, 170, 60]);
  });
});

describe('colour experiments', () => {
  const colourConfig = (overrides: Record<string, unknown> = {}) => parseExperimentConfig({
    name: 'colour', task: 'grains', synthetic: { count: 8, size: 64, seed: 1, preset: 'colour-etched' }, real: { test: 'x' },
    regimes: ['synthetic'], runs: 1, input: { size: 64, channels: 3 }, model: { depth: 10, width: 0.125 },
    train: { batchSize: 4, synthetic: [{ epochs: 1, maxLr: 0.002 }], augment: false }, ...overrides,
  });

  it('input.channels is 1 or 3, for grains, and must match what the recipe renders', () => {
    expect(colourConfig().input).toEqual({ size: 64, channels: 3 });
    expect(colourConfig({ input: { size: 64 } }).input).toEqual({ size: 64 }); // grey configs keep their shape
    expect(() => colourConfig({ input: { size: 64, channels: 2 } })).toThrow(/input\.channels/);
    expect(() => colourConfig({ task: 'cracks', synthetic: { count: 8, size: 64 }, input: { size: 64, channels: 3 } })).toThrow(/crack tiles are grey/);
    expect(() => recipeFromConfig(colourConfig({ synthetic: { count: 8, size: 64, preset: 'tint-etched' } }), [], '')).toThrow(/renders grey/);
    expect(() => recipeFromConfig(colourConfig({ input: { size: 64 } }), [], '')).toThrow(/renders colour/);
    expect(recipeFromConfig(colourConfig({ synthetic: { count: 8, size: 64, preset: 'tint-etched', params: { colour: 1 } } }), [], '').kind).toBe('grains');
  });

  it('real images come in the model\'s channels: RGB resized per channel, grey repeated, RGB to luma for grey models', () => {
    const rgb = { width: 4, height: 4, pixels: Uint8Array.from({ length: 48 }, (_, i) => [200, 100, 50][i % 3]) };
    const [colour] = prepareReal([{ name: 'a', set: 'test', image: rgb }], 2, 'resize', 3);
    expect(Array.from(colour.image)).toEqual([200, 100, 50, 200, 100, 50, 200, 100, 50, 200, 100, 50]);
    const [grey] = prepareReal([{ name: 'a', set: 'test', image: rgb }], 4, 'resize', 1);
    expect(grey.image).toEqual(lumaOf(rgb.pixels));
    const [repeated] = prepareReal([{ name: 'g', set: 'test', image: { width: 2, height: 2, pixels: Uint8Array.of(1, 2, 3, 4) } }], 2, 'tile', 3);
    expect(Array.from(repeated.image)).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
  });

  it('a colour grain experiment trains an RGB U-Net and its results record the channels', async () => {
    const c = colourConfig();
    const recipe = recipeFromConfig(c, [], '');
    const real: RealItem[] = [0, 1].map((i) => {
      const s = generateGrainSample({ ...(recipe as GrainRecipe), seed: 99 }, i);
      return { name: `r${i}`, set: 'test', image: { width: 64, height: 64, pixels: s.image }, mask: { width: 64, height: 64, pixels: s.mask } };
    });
    const results = await runExperiment(c, recipe, real);
    expect(results.config.input.channels).toBe(3);
    expect(results.runs).toHaveLength(1);
    expect(results.runs[0].metrics.test.miou).toBeGreaterThan(0);
    // The prediction PNGs show the RGB input in colour beside grey truth and prediction.
    const { predictionPngs } = await import('../../src/lib/experiment/export');
    const { readPng, rgbOfPng } = await import('../../src/lib/data/png');
    const pngs = Object.entries(predictionPngs(results));
    expect(pngs.length).toBe(2);
    const strip = rgbOfPng(readPng(pngs[0][1]));
    expect([strip.width, strip.height]).toEqual([192, 64]);
    const input = results.predictions![0].items[0].image;
    expect(input.length).toBe(3 * 64 * 64);
    expect(Array.from(strip.pixels.subarray(0, 6))).toEqual(Array.from(input.subarray(0, 6)));
    const truth = results.predictions![0].items[0].truth as Uint8Array;
    expect(Array.from(strip.pixels.subarray(3 * 64, 3 * 65))).toEqual([truth[0], truth[0], truth[0]]);
  }, 240_000);
});
