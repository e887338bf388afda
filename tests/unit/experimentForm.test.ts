import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatasets } from '../../src/lib/data/db';
import { pinnedImages, storedRealSet, storedRealSummary } from '../../src/lib/data/realSet';
import { addRealImage, listTiles, putSplitSettings, putTiles } from '../../src/lib/data/realStore';
import { sizeToBudget, type BudgetCounts } from '../../src/lib/experiment/budget';
import { ConfigError, parseExperimentConfig, realFolders, recipeFromConfig, storedInputs, withStoredReal, type RealItem } from '../../src/lib/experiment/config';
import { applyForm, findDataset, formFromConfig, type StoredRecipe } from '../../src/lib/experiment/form';
import { prepareReal, realSplit, runExperiment } from '../../src/lib/experiment/run';
import { DEFAULT_CRACK_MODEL, DEFAULT_TEXTURE_SETTINGS } from '../../src/lib/synth/cracks/space';
import { presetById } from '../../src/lib/synth/grains/space';
import type { Recipe } from '../../src/lib/synth/recipe';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const BASE = {
  name: 'cracks, tiny', task: 'cracks', synthetic: { count: 64, size: 64, seed: 1 },
  real: { all: 'tiles', split: { val: 0.2, test: 0.2 } }, regimes: ['synthetic', 'real', 'mixed'], runs: 3,
  input: { size: 64 }, model: { depth: 10, width: 0.125 },
  train: { batchSize: 16, synthetic: [{ epochs: 2, maxLr: 0.002 }], real: [{ epochs: 2, maxLr: 0.001 }] },
};

const exemplar = { width: 40, height: 40, pixels: new Uint8Array(1600).fill(7) };
const crackSet: StoredRecipe = {
  id: 'd-crack', name: 'my cracks',
  recipe: { kind: 'cracks', size: 64, count: 12, seed: 9, settings: { ...DEFAULT_TEXTURE_SETTINGS, randomness: { lo: 0.1, hi: 0.3 } },
    crack: { ...DEFAULT_CRACK_MODEL, width: { family: 'uniform', lo: 1, hi: 2 } } as never, exemplars: [exemplar], exemplarSource: 'my no-crack tiles (3)' },
};
const grainSet: StoredRecipe = {
  id: 'd-grain', name: 'steel',
  recipe: { kind: 'grains', preset: 'tint-etched', size: 64, count: 8, seed: 3,
    settings: { ...presetById('tint-etched').settings, grainDiameter: { lo: 20, hi: 20 } } },
};

describe('the experiment form and the JSON', () => {
  it('shows a config’s fields and writes each field back to the keys it owns, keeping the rest', () => {
    const form = formFromConfig(parseExperimentConfig(BASE));
    expect(form).toEqual({ name: 'cracks, tiny', task: 'cracks', dataset: '', preset: expect.any(String), real: 'folders',
      regimes: ['synthetic', 'real', 'mixed'], runs: 3, depth: 10, width: 0.125, inputSize: 64, budgetMinutes: null });
    const changes = [{ name: 'renamed' }, { runs: 5 }, { depth: 18 as const }, { width: 0.25 }, { inputSize: 96 }, { budgetMinutes: 2.5 },
      { regimes: ['mixed' as const, 'synthetic' as const] }, { real: 'stored' as const }];
    for (const change of changes) {
      const raw = applyForm(BASE, change, []);
      expect(formFromConfig(parseExperimentConfig(raw))).toEqual({ ...form, ...change, ...(change.regimes ? { regimes: ['synthetic', 'mixed'] } : {}) });
      // Keys the form does not show are kept as written.
      expect(raw.train).toMatchObject({ batchSize: 16, synthetic: BASE.train.synthetic, real: BASE.train.real });
    }
    expect(BASE.runs).toBe(3); // the input is not changed in place
    // Back to no budget drops it, and a new budget drops the recorded sizing.
    const sized = { ...BASE, train: { ...BASE.train, budgetMinutes: 3, sized: { imagesPerSecond: { 64: 10 } } } };
    expect(applyForm(sized, { budgetMinutes: null }, []).train).not.toHaveProperty('budgetMinutes');
    expect(applyForm(sized, { budgetMinutes: 4 }, []).train).toMatchObject({ budgetMinutes: 4 });
    expect(applyForm(sized, { budgetMinutes: 4 }, []).train).not.toHaveProperty('sized');
  });

  it('an experiment defined field by field in the form is the experiment written as JSON', () => {
    let raw: Record<string, unknown> = BASE;
    for (const change of [{ name: 'made in the form' }, { runs: 2 }, { depth: 18 as const }, { width: 0.25 }, { inputSize: 96 },
      { regimes: ['synthetic' as const, 'mixed' as const] }]) raw = applyForm(raw, change, []);
    const written = { ...BASE, name: 'made in the form', runs: 2, regimes: ['synthetic', 'mixed'], input: { size: 96 }, model: { depth: 18, width: 0.25 } };
    expect(parseExperimentConfig(raw)).toEqual(parseExperimentConfig(written));
  });

  it('drops seeds that no longer fit the runs, and what belongs to the other task when the task changes', () => {
    expect(applyForm({ ...BASE, seeds: [4, 5, 6] }, { runs: 2 }, [])).not.toHaveProperty('seeds');
    expect(applyForm({ ...BASE, seeds: [4, 5, 6] }, { runs: 3 }, []).seeds).toEqual([4, 5, 6]);
    const cracky = { ...BASE, synthetic: { ...BASE.synthetic, texture: 'real-train', crack: { width: 2 } }, model: { depth: 10, width: 0.125, loss: 'ce' }, input: { size: 48 } };
    const grains = parseExperimentConfig(applyForm(cracky, { task: 'grains' }, []));
    expect(grains.synthetic).toEqual({ count: 64, size: 64, seed: 1, params: undefined, crack: undefined, preset: undefined });
    expect(grains.model.loss).toBe('weighted-ce+dice');
    expect(grains.input.size).toBe(128);
    expect(formFromConfig(parseExperimentConfig(applyForm(BASE, { task: 'grains' }, [])))).toMatchObject({ task: 'grains', dataset: '' });
  });

  it('copies a stored dataset’s recipe into the config, which rebuilds the very same recipe with the dataset’s texture', () => {
    for (const d of [crackSet, grainSet]) {
      const raw = applyForm({ ...BASE, task: d.recipe.kind, input: {} }, { dataset: d.id }, [crackSet, grainSet]);
      const config = parseExperimentConfig(raw);
      expect(config.synthetic).toMatchObject({ dataset: d.id, count: d.recipe.count, size: d.recipe.size, seed: d.recipe.seed });
      const exemplars = d.recipe.kind === 'cracks' ? d.recipe.exemplars : [];
      const source = d.recipe.kind === 'cracks' ? d.recipe.exemplarSource : '';
      const rebuilt = recipeFromConfig(config, exemplars, source) as Recipe;
      expect(rebuilt).toEqual(d.recipe);
      expect(formFromConfig(config).dataset).toBe(d.id);
    }
    // Back to the defaults: the recipe's own keys go, count, size and seed stay.
    const back = applyForm(applyForm(BASE, { dataset: crackSet.id }, [crackSet]), { dataset: '' }, [crackSet]);
    expect(back.synthetic).toEqual({ count: 12, size: 64, seed: 9 });
  });

  it('finds a dataset by id or unique name, and says what there is when it cannot', () => {
    expect(findDataset([crackSet, grainSet], 'my cracks', 'cracks').id).toBe('d-crack');
    expect(() => findDataset([crackSet], 'steel', 'grains')).toThrow(/no complete stored grains dataset has the id or name "steel".*Generate tab/);
    expect(() => findDataset([crackSet, grainSet], 'nope', 'cracks')).toThrow(/Complete cracks datasets: "my cracks"/);
    expect(() => findDataset([crackSet, { ...crackSet, id: 'other' }], 'my cracks', 'cracks')).toThrow(/2 stored cracks datasets are named "my cracks"/);
    expect(() => applyForm(BASE, { dataset: 'nope' }, [])).toThrow(ConfigError);
  });

  it('takes stored real data instead of folders, and refuses both at once', () => {
    const config = parseExperimentConfig(applyForm(BASE, { real: 'stored' }, []));
    expect(config.real).toMatchObject({ stored: true, pinTest: [] });
    expect(config.real.split).toBeUndefined(); // the Real data tab's shares, filled in on start
    expect(realFolders(config)).toEqual([]);
    expect(storedInputs(config)).toEqual(['real.stored (the Real data tab\'s tiles)']);
    expect(storedInputs(parseExperimentConfig(BASE))).toEqual([]);
    expect(() => parseExperimentConfig({ ...BASE, real: { stored: true, all: 'x' } })).toThrow(/real.all: cannot be named with real.stored/);
    // Switching back gives a folder to pick.
    expect(applyForm(applyForm(BASE, { real: 'stored' }, []), { real: 'folders' }, []).real).toEqual({ all: 'real', split: { val: 0.2, test: 0.2 } });
    const started = withStoredReal(config, { split: { val: 0.2, test: 0.1 }, pinTest: ['img-b'] });
    expect(started.real).toMatchObject({ stored: true, split: { val: 0.2, test: 0.1 }, pinTest: ['img-b'] });
    // The recorded config reads back as a config.
    expect(parseExperimentConfig(JSON.parse(JSON.stringify(started))).real.pinTest).toEqual(['img-b']);
    expect(() => withStoredReal(config, { split: { val: 0.2, test: 0 }, pinTest: [] })).toThrow(/no test set/);
    expect(withStoredReal(config, { split: { val: 0.2, test: 0 }, pinTest: ['img-a'] }).real.split).toEqual({ val: 0.2, test: 0 });
  });
});

describe('the stored real set', () => {
  /** Three tiles of each of eight images; image k's tiles share its class. */
  const items: RealItem[] = Array.from({ length: 8 }, (_, k) => Array.from({ length: 3 }, (_, t) => ({
    name: `img-${k}`, set: 'all' as const, label: k % 2, image: { width: 32, height: 32, pixels: new Uint8Array(1024).fill(k * 20 + t) } }))).flat();
  const config = withStoredReal(parseExperimentConfig({ ...BASE, real: { stored: true } }), { split: { val: 0.25, test: 0.25 }, pinTest: ['img-5'] });

  it('is split by each run’s seed with whole images together and pinned images in test', () => {
    const real = prepareReal(items, 32, 'resize');
    const splits = [1, 2, 3, 4].map((seed) => realSplit(real, config, seed));
    expect(realSplit(real, config, 1)).toEqual(splits[0]);
    expect(new Set(splits.map((s) => JSON.stringify(s.test))).size).toBeGreaterThan(1);
    for (const split of splits) {
      const where = new Map<string, Set<string>>();
      for (const set of ['train', 'val', 'test'] as const) for (const i of split[set]) where.set(real[i].group, new Set([...(where.get(real[i].group) ?? []), set]));
      for (const [, sets] of where) expect(sets.size).toBe(1);
      expect(where.get('img-5')).toEqual(new Set(['test']));
      expect([...split.train, ...split.val, ...split.test].sort((a, b) => a - b)).toEqual(real.map((_, i) => i));
    }
  });

  it('is read from the Real data tab: usable tiles by image, a pinned tile pinning its image, the tab’s shares', async () => {
    indexedDB.deleteDatabase('synthscope');
    const db = await openDatasets();
    const grey = (w: number, v: number) => ({ width: w, height: w, pixels: new Uint8Array(w * w).fill(v) });
    const a = await addRealImage(db, 'wall.png', grey(64, 90), null, [{ x: 0, y: 0, size: 32, label: 'crack' }, { x: 32, y: 0, size: 32, label: 'no_crack' }, { x: 0, y: 32, size: 32, label: null }]);
    const b = await addRealImage(db, 'tile.png', grey(32, 30), null, [{ x: 0, y: 0, size: 32, label: 'no_crack' }]);
    await putSplitSettings(db, { seed: 5, val: 0.3, test: 0.2 });
    const tiles = await listTiles(db);
    await putTiles(db, tiles.filter((t) => t.imageId === a.id && t.x === 32).map((t) => ({ ...t, pinnedTest: true })));
    const set = await storedRealSet(db, 'classify');
    expect(set.items.map((i) => [i.name, i.label, i.set])).toEqual([[a.id, 1, 'all'], [a.id, 0, 'all'], [b.id, 0, 'all']]);
    expect(set.pinTest).toEqual([a.id]);
    expect(set.summary).toEqual({ tiles: 3, images: 2, crack: 1, noCrack: 2, pinnedImages: 1, split: { val: 0.3, test: 0.2 } });
    expect(await storedRealSummary(db, 'segment')).toMatchObject({ tiles: 0, images: 0 }); // no image came with a mask
    expect(pinnedImages([{ imageId: 'x', pinnedTest: true }, { imageId: 'x', pinnedTest: true }, { imageId: 'y', pinnedTest: false }])).toEqual(['x']);
    db.close();
  });
});

describe('the time budget', () => {
  const config = parseExperimentConfig({ ...BASE, runs: 2, train: { ...BASE.train, budgetMinutes: 10,
    synthetic: [{ epochs: 1, maxLr: 0.002, size: 32 }, { epochs: 2, maxLr: 0.002 }], real: [{ epochs: 1, maxLr: 0.001 }] } });
  const counts: BudgetCounts = { synthetic: { train: 800, val: 200 }, real: { train: 60, val: 20 }, adaptive: 0 };
  const ips = { 32: 400, 64: 100 };

  it('splits the budget over the runs and scales every training of a run by one factor', () => {
    const sized = sizeToBudget(config, counts, ips);
    const s = sized.train.sized!;
    expect(s.secondsPerRun).toBe(300);
    expect(s.imagesPerSecond).toEqual({ 32: 400, 64: 100 });
    // Per run at the written epochs: synthetic (1 × 866.7 / 400 + 2 × 866.7 / 100) s, real and mixed 2 × 66.7 / 100 s.
    const synthetic = 866.67 / 400 + (2 * 866.67) / 100, real = 2 * (66.67 / 100);
    const factor = 300 / (synthetic + real);
    expect(sized.train.synthetic.map((p) => p.epochs)).toEqual([Math.round(factor), Math.round(2 * factor)]);
    expect(sized.train.real.map((p) => p.epochs)).toEqual([Math.round(factor)]);
    expect(Math.abs(s.expectedSecondsPerRun - 300) / 300).toBeLessThan(0.05);
    // Recorded once: a resume (or an already sized config) keeps its epochs; no budget, no change.
    expect(sizeToBudget(sized, counts, { 32: 1, 64: 1 })).toBe(sized);
    const unbudgeted = parseExperimentConfig(BASE);
    expect(sizeToBudget(unbudgeted, counts, ips)).toBe(unbudgeted);
    expect(parseExperimentConfig(JSON.parse(JSON.stringify(sized))).train.sized).toEqual(s);
  });

  it('keeps at least one epoch per phase, costs only the regimes that run, and refuses a bad budget', () => {
    const tiny = sizeToBudget({ ...config, train: { ...config.train, budgetMinutes: 0.001 } }, counts, ips);
    expect([...tiny.train.synthetic, ...tiny.train.real].every((p) => p.epochs === 1)).toBe(true);
    const realOnly = sizeToBudget({ ...config, regimes: ['real'] }, counts, ips);
    expect(realOnly.train.synthetic).toEqual(config.train.synthetic); // not trained, not sized
    expect(Math.abs(realOnly.train.sized!.expectedSecondsPerRun - 300) / 300).toBeLessThan(0.05);
    expect(() => parseExperimentConfig({ ...BASE, train: { budgetMinutes: 0 } })).toThrow(/train.budgetMinutes: must be a number of minutes above 0/);
    expect(() => parseExperimentConfig({ ...BASE, train: { budgetMinutes: '5' } })).toThrow(ConfigError);
  });

  it('is measured and recorded in the results’ config when an experiment runs', async () => {
    const items: RealItem[] = Array.from({ length: 8 }, (_, k) => ({ name: `r${k}`, set: 'all' as const, label: k % 2, image: { width: 32, height: 32, pixels: new Uint8Array(1024).fill(k * 30) } }));
    const c = withStoredReal(parseExperimentConfig({ name: 'budget', task: 'cracks', synthetic: { count: 8, size: 32, seed: 1 }, real: { stored: true }, regimes: ['synthetic'], runs: 1,
      input: { size: 32 }, model: { depth: 10, width: 0.0625 }, train: { batchSize: 4, synthetic: [{ epochs: 1, maxLr: 0.002 }], budgetMinutes: 0.02, augment: false } }),
    { split: { val: 0.25, test: 0.25 }, pinTest: [] });
    const recipe: Recipe = { kind: 'cracks', size: 32, count: 8, seed: 1, settings: DEFAULT_TEXTURE_SETTINGS, crack: DEFAULT_CRACK_MODEL, exemplars: [exemplar], exemplarSource: 'test' };
    const phases: string[] = [];
    const results = await runExperiment(c, recipe, items, { onProgress: (p) => phases.push(p.phase) });
    expect(phases[0]).toMatch(/timing a few training steps at 32 px to fit the schedule to 0.02 min/);
    expect(results.config.train.sized!.imagesPerSecond['32']).toBeGreaterThan(0);
    expect(results.config.train.synthetic[0].epochs).toBeGreaterThanOrEqual(1);
    expect(results.runs).toHaveLength(1);
  }, 120_000);
});
