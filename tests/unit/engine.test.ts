/**
 * The engine's jobs in Node (CPU backend, in-memory IndexedDB and weights): training a stored model
 * with cancel and resume, the LR finder, evaluation, analysis, experiments, the model-record
 * lifecycle — each with its cancel path, its error path, and a flat tensor count.
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatasets, putDataset, putSamples, type DatasetRecord, type Db, type ModelRecord } from '../../src/lib/data/db';
import type { EngineApi, EngineNote } from '../../src/lib/engine/api';
import { engineJobs, fitBatch } from '../../src/lib/engine/jobs';
import { CancelledError, type Handlers, type JobContext } from '../../src/lib/engine/rpc';
import { parseExperimentConfig, type RealItem } from '../../src/lib/experiment/config';
import { DEFAULT_BATCH_SIZE, defaultTrainConfig, type TrainConfig } from '../../src/lib/ml/config';
import { canResume, listDamagedModels, listModels, markInterruptedModels, modelRecordError, newFineTuneRecord, newModelRecord } from '../../src/lib/ml/modelRecords';
import { addRealImage, putSplitSettings } from '../../src/lib/data/realStore';
import { fineTuneSize, realSplit, realSplitProblem } from '../../src/lib/data/realSet';
import { gridPositions, labelFromMask } from '../../src/lib/data/tiling';
import { NO_AUGMENT } from '../../src/lib/ml/augment';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { memoryWeights, type WeightStore } from '../../src/lib/ml/modelStore';
import { StorageFullError } from '../../src/lib/data/db';
import { SampleMaker, type Recipe } from '../../src/lib/synth/recipe';
import { DEFAULT_PRESET, presetById } from '../../src/lib/synth/grains/space';
import { lumaOf } from '../../src/lib/synth/grains/colour';

const recipe: Recipe = { kind: 'grains', preset: DEFAULT_PRESET.id, settings: DEFAULT_PRESET.settings, size: 32, count: 12, seed: 3 };
let db: Db;
let dataset: DatasetRecord;
let jobs: Handlers<EngineApi>;

const tinyConfig = (epochs: number): TrainConfig => ({
  ...defaultTrainConfig('segment', 32),
  model: { task: 'segment', depth: 10, width: 0.125, classes: 2, seed: 1 },
  batchSize: 4,
  phases: [{ epochs, maxLr: 0.005, freezeEncoder: false, size: 32 }],
  augment: defaultTrainConfig('segment', 32).augment,
});

/** A job context whose signal aborts when `abortWhen` first returns true for a progress event. */
function context<P>(abortWhen: (p: P) => boolean = () => false): JobContext<P> & { events: P[] } {
  const controller = new AbortController();
  const events: P[] = [];
  return {
    signal: controller.signal, events,
    progress: (p) => {
      events.push(p);
      if (abortWhen(p)) controller.abort();
    },
  };
}

async function storedModel(epochs: number): Promise<ModelRecord> {
  const record = newModelRecord(dataset, tinyConfig(epochs), 'unit');
  await db.put('models', record);
  return record;
}

beforeAll(async () => {
  await tf.setBackend('cpu'); // each test reads tf.memory() before its job picks a backend
  db = await openDatasets();
  const maker = new SampleMaker();
  const samples = Array.from({ length: recipe.count }, (_, i) => ({ datasetId: 'grains-1', ...maker.make(recipe, i) }));
  dataset = { id: 'grains-1', name: 'grains', kind: 'grains', recipe, createdAt: 0, stored: recipe.count, bytes: 0, status: 'complete', hashes: samples.map((s) => s.hash) };
  await putDataset(db, dataset);
  await putSamples(db, samples);
  jobs = engineJobs({ db: openDatasets, weights: memoryWeights() });
});

describe('engine jobs', () => {
  it('train: a cancel after the first epoch ends as cancelled with a consistent, resumable record; resume finishes it', async () => {
    const record = await storedModel(3);
    const first = context<EngineApi['train']['progress']>((p) => p.kind === 'epoch');
    await expect(jobs.train({ modelId: record.id, backend: 'cpu' }, first)).rejects.toBeInstanceOf(CancelledError);
    const stopped = (await db.get('models', record.id))!;
    expect(stopped.status).toBe('stopped');
    expect(stopped.hasWeights).toBe(true);
    expect(stopped.state.history).toHaveLength(1);
    expect(canResume(stopped)).toBe(true);
    expect(first.events.some((e) => e.kind === 'backend')).toBe(true);

    const before = tf.memory().numTensors;
    const rest = context<EngineApi['train']['progress']>();
    const state = await jobs.train({ modelId: record.id, backend: 'cpu' }, rest);
    expect(state.history).toHaveLength(3);
    expect((await db.get('models', record.id))!.status).toBe('complete');
    const counts = rest.events.flatMap((e) => (e.kind === 'epoch' ? [e.numTensors] : []));
    expect(new Set(counts).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it('train: stopped and resumed, the loss curve equals an uninterrupted run (Adam’s moments are checkpointed)', async () => {
    const whole = await storedModel(3);
    const straight = await jobs.train({ modelId: whole.id, backend: 'cpu' }, context());
    const parted = await storedModel(3);
    await expect(jobs.train({ modelId: parted.id, backend: 'cpu' }, context((p) => p.kind === 'epoch'))).rejects.toBeInstanceOf(CancelledError);
    expect(await db.get('optimizerStates', parted.id)).toBeDefined();
    const resumed = await jobs.train({ modelId: parted.id, backend: 'cpu' }, context());
    const losses = (s: typeof straight) => s.history.map((e) => [e.trainLoss, e.valLoss]).flat();
    expect(losses(resumed)).toHaveLength(6);
    losses(resumed).forEach((v, i) => expect(v).toBeCloseTo(losses(straight)[i], 5));
    expect(await db.get('optimizerStates', parted.id)).toBeUndefined(); // the last phase ended
  }, 120_000);

  it('train with a time budget: a run cancelled before its first epoch sizes the phases as asked when resumed, not as sized', async () => {
    const asked = [{ epochs: 1, maxLr: 0.005, freezeEncoder: false, size: 32 }, { epochs: 19, maxLr: 0.005, freezeEncoder: false, size: 32 }];
    const record = { ...newModelRecord(dataset, { ...tinyConfig(1), phases: asked, budgetSeconds: 5 }, 'budget') };
    await db.put('models', record);
    const measured = (p: EngineNote) => p.kind === 'status' && /^Measured/.test(p.message);
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(jobs.train({ modelId: record.id, backend: 'cpu' }, context<EngineNote>(measured))).rejects.toBeInstanceOf(CancelledError);
      const stored = (await db.get('models', record.id))!;
      expect(stored.config.budgetPhases).toEqual(asked); // each sizing starts from these
      expect(stored.state.history).toHaveLength(0);
    }
  }, 120_000);

  it('a fine-tune of a model trained to a time budget has phases of its own and a valid record', () => {
    const three = [1, 2, 3].map((epochs) => ({ epochs, maxLr: 0.005, freezeEncoder: false, size: 32 }));
    const parent = newModelRecord(dataset, { ...tinyConfig(1), phases: three, budgetSeconds: 60, budgetPhases: three }, 'budgeted');
    const tuned = newFineTuneRecord(parent, { train: ['a'], val: ['b'] }, 32);
    expect(tuned.config.budgetPhases).toBeUndefined();
    expect(modelRecordError(tuned)).toBeUndefined();
  });

  it('train: a failure is stored on the record and reaches the caller with its message', async () => {
    const record = { ...(await storedModel(1)), datasetId: 'gone', datasetName: 'old set' };
    await db.put('models', record);
    await expect(jobs.train({ modelId: record.id, backend: 'cpu' }, context())).rejects.toThrow('The dataset "old set" this model trains on was deleted.');
    await expect(jobs.train({ modelId: 'nope', backend: 'cpu' }, context())).rejects.toThrow('That model no longer exists.');
  });

  it('evaluate and analyse leave the tensor count where it was; analyse can be cancelled between images', async () => {
    const record = await storedModel(1);
    await jobs.train({ modelId: record.id, backend: 'cpu' }, context());
    const before = tf.memory().numTensors;
    const evaluation = await jobs.evaluate({ modelId: record.id, backend: 'cpu' }, context());
    expect(evaluation.metrics).toHaveProperty('miou');
    expect(evaluation.numTensors.after).toBe(evaluation.numTensors.before);
    // Scored with the model's own decision threshold, as Analyse uses it: another threshold, other metrics.
    const trained = (await db.get('models', record.id))!;
    expect(trained.decision).toBeDefined();
    await db.put('models', { ...trained, decision: { ...trained.decision!, threshold: 0.999 } });
    expect((await jobs.evaluate({ modelId: record.id, backend: 'cpu' }, context())).metrics).not.toEqual(evaluation.metrics);
    await db.put('models', trained);
    // Cancelled as soon as it has its backend: it ends as cancelled, not as a result.
    await expect(jobs.evaluate({ modelId: record.id, backend: 'cpu' }, context((p) => p.kind === 'backend'))).rejects.toBeInstanceOf(CancelledError);
    const maker = new SampleMaker();
    const image = (i: number) => ({ name: `m${i}.png`, image: { width: 32, height: 32, pixels: maker.make(recipe, 100 + i).image } });
    const args = { modelId: record.id, stride: 16, micronsPerPixel: 0.5, backend: 'cpu' as const, images: [image(0), image(1), image(2)] };
    const results = await jobs.analyse(args, context());
    expect(results).toHaveLength(3);
    expect(results[0].kind).toBe('segment');
    const cancelled = context<EngineApi['analyse']['progress']>((p) => p.kind === 'analysed');
    await expect(jobs.analyse(args, cancelled)).rejects.toBeInstanceOf(CancelledError);
    expect(cancelled.events.filter((e) => e.kind === 'analysed')).toHaveLength(1);
    const tiny = { name: 'tiny.png', image: { width: 20, height: 20, pixels: new Uint8Array(400) } };
    await expect(jobs.analyse({ ...args, images: [image(0), tiny] }, context())).rejects.toThrow('tiny.png is 20×20 px; this model analyses images at least 32 px on each side.');
    // Rescaling needs the training scale: refused while the dataset has no pixel size, done once it has one.
    await expect(jobs.analyse({ ...args, rescale: true }, context())).rejects.toThrow(/has no known training scale/);
    await putDataset(db, { ...dataset, recipe: { ...recipe, micronsPerPixel: 0.25 } }); // trained at its own 32 px: 0.25 µm/px
    const rescaled = await jobs.analyse({ ...args, images: [image(0)], rescale: true }, context());
    // At the model's own scale nothing is resampled, and the size is checked all the same.
    await expect(jobs.analyse({ ...args, micronsPerPixel: 0.25, images: [tiny], rescale: true }, context())).rejects.toThrow('This 20×20 px micrograph is smaller than the 32 px the U-Net needs');
    await putDataset(db, dataset);
    expect(rescaled[0]).toMatchObject({ width: 32, height: 32, rescaled: { from: 0.5, to: 0.25, width: 64, height: 64 } });
    // With its dataset gone (deleted, or left on the machine that trained it) the record's samples give the scale.
    await db.put('models', { ...trained, datasetId: 'gone', samples: { kind: 'grains', size: 32, micronsPerPixel: 0.25 } });
    const kept = await jobs.analyse({ ...args, images: [image(0)], rescale: true }, context());
    await db.put('models', trained);
    expect(kept[0]).toMatchObject({ rescaled: { from: 0.5, to: 0.25, width: 64, height: 64 } });
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it('analyse with an RGB U-Net: colour images read in colour, grey ones repeated; rescaled too; the tensor count stays flat', async () => {
    // A colour-etched dataset makes an RGB model (its channels follow the dataset).
    const colourRecipe: Recipe = { ...recipe, preset: 'colour-etched', settings: presetById('colour-etched').settings, count: 8 };
    const maker = new SampleMaker();
    const samples = Array.from({ length: colourRecipe.count }, (_, i) => ({ datasetId: 'colour-1', ...maker.make(colourRecipe, i) }));
    const colourSet: DatasetRecord = { ...dataset, id: 'colour-1', name: 'colour', recipe: colourRecipe, stored: colourRecipe.count, hashes: samples.map((s) => s.hash) };
    await putDataset(db, colourSet);
    await putSamples(db, samples);
    const record = newModelRecord(colourSet, tinyConfig(1), 'rgb');
    expect(record.config.model.channels).toBe(3);
    await db.put('models', record);
    await jobs.train({ modelId: record.id, backend: 'cpu' }, context());
    const before = tf.memory().numTensors;
    const rgb = maker.make(colourRecipe, 100).image, grey = lumaOf(rgb);
    const images = [{ name: 'colour.png', image: { width: 32, height: 32, pixels: grey }, colour: rgb }, { name: 'grey.png', image: { width: 32, height: 32, pixels: grey } }];
    const results = await jobs.analyse({ modelId: record.id, stride: 16, micronsPerPixel: 0.5, backend: 'cpu', images }, context());
    expect(results.map((r) => [r.kind, r.width, r.height])).toEqual([['segment', 32, 32], ['segment', 32, 32]]);
    await putDataset(db, { ...colourSet, recipe: { ...colourRecipe, micronsPerPixel: 0.25 } });
    const rescaled = await jobs.analyse({ modelId: record.id, stride: 16, micronsPerPixel: 0.5, backend: 'cpu', images: images.slice(0, 1), rescale: true }, context());
    expect(rescaled[0]).toMatchObject({ width: 32, height: 32, rescaled: { width: 64, height: 64 } });
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it('fine-tune on stored real tiles: starts from the parent, trains on the training split only, and the real test table compares both', async () => {
    // Two "real" micrographs with their boundary masks, cut into labelled 32 px tiles at stride 16.
    const maker = new SampleMaker();
    const real = { ...recipe, size: 64, seed: 77 };
    for (const i of [0, 1]) {
      const s = maker.make(real, i);
      const image = { width: 64, height: 64, pixels: s.image }, mask = { width: 64, height: 64, pixels: s.mask! };
      await addRealImage(db, `real${i}.png`, image, mask, gridPositions(64, 64, 32, 16).map(([x, y]) => ({ x, y, size: 32, label: labelFromMask(mask, x, y, 32) })));
    }
    await putSplitSettings(db, { seed: 2, val: 0.25, test: 0.25 });
    const split = await realSplit(db, 'segment');
    expect(split.tileSize).toBe(32);
    expect(split.ids.test.length).toBeGreaterThan(0);
    expect(realSplitProblem(split, 'segment')).toBeUndefined();
    expect(realSplitProblem(await realSplit(db, 'classify'), 'classify')).toBeUndefined(); // the same tiles, labelled, serve a classifier too

    const parent = await storedModel(1);
    await jobs.train({ modelId: parent.id, backend: 'cpu' }, context());
    const tuned = newFineTuneRecord((await db.get('models', parent.id))!, { ...split.ids, tileSize: split.tileSize }, fineTuneSize('segment', 32, split.tileSize));
    expect(modelRecordError(tuned)).toBeUndefined();
    // It learnt from the real tiles, not from its parent's synthetic images: Analyse reads that side, and no pixel size.
    expect(tuned.samples).toEqual({ kind: 'grains', size: split.tileSize });
    expect(tuned.fineTune!.train.some((id) => split.ids.test.includes(id))).toBe(false);
    await db.put('models', tuned);
    const progress = context<EngineApi['train']['progress']>();
    const state = await jobs.train({ modelId: tuned.id, backend: 'cpu' }, progress);
    expect(state.history).toHaveLength(3);
    expect(progress.events.some((e) => e.kind === 'status' && e.message.includes('real validation tiles'))).toBe(true);
    const stored = (await db.get('models', tuned.id))!;
    expect(stored.decision).toBeDefined();
    expect(modelRecordError(stored)).toBeUndefined();
    // An imported bundle's rule is applied everywhere the model is used: a bad one is refused.
    expect(modelRecordError({ ...stored, decision: { ...stored.decision, threshold: 7 } })).toBe('has a decision rule whose threshold is not a number from 0 to 1');
    expect(modelRecordError({ ...stored, decision: 'x' })).toBe('has a decision rule that is not an object');
    // Training samples of another task's kind, beyond any generator's size, or at a pixel size no recipe may have.
    for (const samples of [{ kind: 'cracks', size: 128 }, { kind: 'grains', size: 65536 }, { kind: 'grains', size: 64, micronsPerPixel: 1e308 }, { kind: 'grains', size: 64, micronsPerPixel: '1' }]) {
      expect(modelRecordError({ ...stored, samples })).toBe('has unreadable training samples (grain images: kind, size, pixel size)');
    }
    const evaluation = await jobs.evaluate({ modelId: tuned.id, backend: 'cpu' }, context());
    expect(evaluation.metrics).toHaveProperty('miou');

    const before = tf.memory().numTensors;
    const rows = await jobs.evaluateReal({ modelIds: [parent.id, tuned.id], backend: 'cpu' }, context());
    expect(tf.memory().numTensors).toBe(before);
    expect(rows.map((r) => r.name)).toEqual([parent.name, tuned.name]);
    for (const r of rows) {
      expect(r.metrics.n).toBe(split.ids.test.length);
      expect(r.seen).toBe(0);
      expect(r.size).toBe(32);
      expect(r.metrics.miou).toBeGreaterThan(0);
    }
    expect(rows[0].loss).not.toBe(rows[1].loss);
    // Started from the parent: one epoch at a negligible learning rate leaves the parent's network (batch-norm statistics aside).
    const still = newFineTuneRecord((await db.get('models', parent.id))!, split.ids, 32);
    still.config.phases = [{ epochs: 1, maxLr: 1e-12, freezeEncoder: false, size: 32 }];
    still.config.augment = NO_AUGMENT;
    await db.put('models', still);
    await jobs.train({ modelId: still.id, backend: 'cpu' }, context());
    const [ofParent, ofStill] = await jobs.evaluateReal({ modelIds: [parent.id, still.id], backend: 'cpu' }, context());
    expect(Math.abs(ofStill.loss - ofParent.loss)).toBeLessThan(Math.abs(rows[1].loss - rows[0].loss));
    // A new split puts tiles the fine-tune trained on into test: the table says so.
    await putSplitSettings(db, { seed: 9, val: 0.25, test: 0.5 });
    const [again] = await jobs.evaluateReal({ modelIds: [tuned.id], backend: 'cpu' }, context());
    expect(again.seen).toBeGreaterThan(0);
    // A cancel ends as cancelled.
    await expect(jobs.evaluateReal({ modelIds: [parent.id], backend: 'cpu' }, context((p) => p.kind === 'backend'))).rejects.toBeInstanceOf(CancelledError);
    // Its parent gone and no weights of its own, a fine-tune says why it cannot start.
    const orphan = { ...newFineTuneRecord(stored, split.ids, 32), fineTune: { ...stored.fineTune!, parentId: 'gone' } };
    await db.put('models', orphan);
    await expect(jobs.train({ modelId: orphan.id, backend: 'cpu' }, context())).rejects.toThrow(`The model "${parent.name}" this one fine-tunes was deleted`);
  }, 180_000);

  it('the LR finder reports points and stops at a cancel', async () => {
    const before = tf.memory().numTensors;
    let points = 0;
    const some = context<EngineApi['findLr']['progress']>((p) => p.kind === 'point' && ++points === 3);
    await expect(jobs.findLr({ datasetId: dataset.id, config: tinyConfig(1), backend: 'cpu' }, some)).rejects.toBeInstanceOf(CancelledError);
    expect(points).toBe(3);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it('an experiment keeps the tensor count flat and ends as cancelled when cancelled after its first run', async () => {
    const maker = new SampleMaker();
    const real: RealItem[] = Array.from({ length: 6 }, (_, i) => {
      const s = maker.make({ ...recipe, seed: 99 }, i);
      return { name: `r${i}.png`, set: 'all', image: { width: 32, height: 32, pixels: s.image }, mask: { width: 32, height: 32, pixels: s.mask } };
    });
    const config = parseExperimentConfig({
      name: 'unit', task: 'grains', synthetic: { count: 8, size: 32, seed: 1 }, real: { all: 'x', split: { val: 0.2, test: 0.4 } },
      regimes: ['synthetic', 'real'], runs: 2, input: { size: 32 }, model: { depth: 10, width: 0.125 },
      train: { batchSize: 4, synthetic: [{ epochs: 1, maxLr: 0.002 }], real: [{ epochs: 1, maxLr: 0.002 }], augment: false },
    });
    const before = tf.memory().numTensors;
    const full = await jobs.experiment({ config, recipe: { ...recipe, count: 8 }, real, backend: 'cpu' }, context());
    expect(full.runs).toHaveLength(4);
    expect(tf.memory().numTensors).toBe(before);
    const cancelled = context<EngineApi['experiment']['progress']>((p) => p.kind === 'run');
    await expect(jobs.experiment({ config, recipe: { ...recipe, count: 8 }, real, backend: 'cpu' }, cancelled)).rejects.toBeInstanceOf(CancelledError);
    expect(cancelled.events.filter((e) => e.kind === 'run').length).toBeLessThan(4);
    expect(tf.memory().numTensors).toBe(before);
  }, 180_000);

  it('export → import gives a model with the same weights; delete removes record and weights', async () => {
    const record = await storedModel(1);
    await jobs.train({ modelId: record.id, backend: 'cpu' }, context());
    const bytes = await jobs.exportModel({ modelId: record.id }, context());
    const imported = await jobs.importModel({ bytes, fileName: 'm.zip' }, context());
    expect(imported.status).toBe('imported');
    // What it trained on travels with it (on another machine its dataset is not there), also in
    // files exported before records kept it: then it is read off the file's recipe.
    expect(record.samples).toEqual({ kind: 'grains', size: recipe.size });
    expect(imported.samples).toEqual(record.samples);
    const files = unzipSync(bytes), metadata = JSON.parse(strFromU8(files['metadata.json']));
    const { samples: _, ...older } = metadata.record;
    const recipeWithScale = { ...metadata.recipe, micronsPerPixel: 0.4 };
    const fromRecipe = await jobs.importModel({ bytes: zipSync({ ...files, 'metadata.json': strToU8(JSON.stringify({ ...metadata, record: older, recipe: recipeWithScale })) }), fileName: 'old.zip' }, context());
    expect(fromRecipe.samples).toEqual({ kind: 'grains', size: recipe.size, micronsPerPixel: 0.4 });
    await jobs.deleteModel({ modelId: fromRecipe.id }, context());
    const a = await jobs.evaluate({ modelId: record.id, backend: 'cpu' }, context());
    const b = await jobs.evaluate({ modelId: imported.id, backend: 'cpu' }, context());
    expect(b.outputs).toEqual(a.outputs);
    await expect(jobs.importModel({ bytes: new Uint8Array([1, 2, 3]), fileName: 'notes.zip' }, context())).rejects.toThrow('notes.zip is not a SynthScope model file');
    await jobs.deleteModel({ modelId: imported.id }, context());
    expect(await db.get('models', imported.id)).toBeUndefined();
    await expect(jobs.evaluate({ modelId: imported.id, backend: 'cpu' }, context())).rejects.toThrow('That model no longer exists.');
  }, 120_000);

  it('a bundle whose record is damaged imports nothing; a damaged stored record is listed apart and can be deleted', async () => {
    const record = await storedModel(1);
    await jobs.train({ modelId: record.id, backend: 'cpu' }, context());
    const files = unzipSync(await jobs.exportModel({ modelId: record.id }, context()));
    const metadata = JSON.parse(strFromU8(files['metadata.json']));
    const before = (await db.getAll('models')).length;
    for (const bad of [{ name: 'only a name' }, { ...metadata.record, config: { ...metadata.record.config, model: { ...metadata.record.config.model, depth: 'constructor' } } }, { ...metadata.record, state: null }, { ...metadata.record, samples: { kind: 'grains', size: -1 } }]) {
      const bytes = zipSync({ ...files, 'metadata.json': strToU8(JSON.stringify({ ...metadata, record: bad })) });
      await expect(jobs.importModel({ bytes, fileName: 'bad.zip' }, context())).rejects.toThrow(/bad.zip is damaged: its model record .+ Nothing was imported/);
    }
    // A record that says RGB for a grey network is refused before anything is stored.
    const rgb = { ...metadata.record, config: { ...metadata.record.config, model: { ...metadata.record.config.model, channels: 3 } } };
    await expect(jobs.importModel({ bytes: zipSync({ ...files, 'metadata.json': strToU8(JSON.stringify({ ...metadata, record: rgb })) }), fileName: 'rgb.zip' }, context()))
      .rejects.toThrow('rgb.zip is damaged: its network takes 1 input channel, its record says 3. Nothing was imported.');
    // A record of another task or class count than the network's, a model.json without a network,
    // and a network declaring more weights than its file holds (checked before anything is built).
    const other = metadata.record.task === 'segment' ? 'classify' : 'segment';
    const otherTask = { ...metadata.record, task: other, samples: { kind: other === 'classify' ? 'cracks' : 'grains', size: 32 }, config: { ...metadata.record.config, model: { ...metadata.record.config.model, task: other } },
      state: { ...metadata.record.state, history: [] } }; // its history's metrics are the other task's
    // A history the Train view cannot read (an epoch without metrics) is refused with the record.
    const noMetrics = { ...metadata.record, state: { ...metadata.record.state, history: [{}] } };
    await expect(jobs.importModel({ bytes: zipSync({ ...files, 'metadata.json': strToU8(JSON.stringify({ ...metadata, record: noMetrics })) }), fileName: 'h.zip' }, context()))
      .rejects.toThrow(/^h\.zip is damaged: its model record has an unreadable training history \(epoch 1: /);
    await expect(jobs.importModel({ bytes: zipSync({ ...files, 'metadata.json': strToU8(JSON.stringify({ ...metadata, record: otherTask })) }), fileName: 'task.zip' }, context()))
      .rejects.toThrow(/^task\.zip is damaged: its network's output is not a (classifier's|segmentation), as its record says\. Nothing was imported\.$/);
    const five = { ...metadata.record, config: { ...metadata.record.config, model: { ...metadata.record.config.model, classes: 5 } } };
    await expect(jobs.importModel({ bytes: zipSync({ ...files, 'metadata.json': strToU8(JSON.stringify({ ...metadata, record: five })) }), fileName: 'five.zip' }, context()))
      .rejects.toThrow('five.zip is damaged: its network gives 2 classes, its record says 5. Nothing was imported.');
    await expect(jobs.importModel({ bytes: zipSync({ ...files, 'model.json': strToU8('null') }), fileName: 'null.zip' }, context()))
      .rejects.toThrow('null.zip is damaged: its model.json holds no network. Nothing was imported.');
    const topology = JSON.parse(strFromU8(files['model.json']));
    topology.weightSpecs[0].shape = [3, 3, 1, 200_000];
    await expect(jobs.importModel({ bytes: zipSync({ ...files, 'model.json': strToU8(JSON.stringify(topology)) }), fileName: 'huge.zip' }, context()))
      .rejects.toThrow(/huge\.zip is damaged: its network declares [\d,]+ bytes of weights, its weights file holds [\d,]+\. Nothing was imported\./);
    // Weights that are not numbers (a model that would find nothing), and a network that cannot be
    // rebuilt, which leaves no tensor behind.
    await expect(jobs.importModel({ bytes: zipSync({ ...files, 'weights.bin': new Uint8Array(files['weights.bin'].length).fill(0xff) }), fileName: 'nan.zip' }, context()))
      .rejects.toThrow('nan.zip is damaged: its weights hold values that are not numbers (NaN or Infinity). Nothing was imported.');
    const renamed = JSON.parse(strFromU8(files['model.json']));
    renamed.weightSpecs[renamed.weightSpecs.length - 1].name = 'no_such_layer/kernel';
    const tensors = tf.memory().numTensors;
    await expect(jobs.importModel({ bytes: zipSync({ ...files, 'model.json': strToU8(JSON.stringify(renamed)) }), fileName: 'renamed.zip' }, context()))
      .rejects.toThrow(/^renamed\.zip is damaged: the network cannot be rebuilt/);
    expect(tf.memory().numTensors).toBe(tensors);
    expect((await db.getAll('models')).length).toBe(before);

    // A record written by hand (or an older version) does not break the list: it is listed as damaged.
    await db.put('models', { id: 'broken', name: 'only a name' } as unknown as ModelRecord);
    expect((await listModels(db)).some((m) => m.id === 'broken')).toBe(false);
    expect(await listDamagedModels(db)).toEqual([{ id: 'broken', name: 'only a name', reason: expect.stringMatching(/has no datasetId/) }]);
    for (const m of await listModels(db)) expect(modelRecordError(m)).toBeUndefined();
    await jobs.deleteModel({ modelId: 'broken' }, context());
    expect(await listDamagedModels(db)).toEqual([]);
  }, 120_000);

  it('a full disk ends a training with a message saying so, and an import with nothing half-stored', async () => {
    const weights = memoryWeights();
    const full: WeightStore = { ...weights, save: async () => { throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); } };
    const onFullDisk = engineJobs({ db: openDatasets, weights: full });
    const record = await storedModel(2);
    const training = onFullDisk.train({ modelId: record.id, backend: 'cpu' }, context());
    await expect(training).rejects.toBeInstanceOf(StorageFullError);
    await expect(training).rejects.toThrow(/^No room left: .*Training stopped; no epoch had been saved yet\. Free space by deleting/);
    const failed = (await db.get('models', record.id))!;
    expect(failed.status).toBe('failed');
    expect(failed.note).toMatch(/^No room left/);
    expect(failed.hasWeights).toBe(false);

    const trained = await storedModel(1);
    await jobs.train({ modelId: trained.id, backend: 'cpu' }, context());
    const bytes = await jobs.exportModel({ modelId: trained.id }, context());
    const before = (await db.getAll('models')).length;
    await expect(onFullDisk.importModel({ bytes, fileName: 'm.zip' }, context())).rejects.toThrow(/^No room left: .*m\.zip was not imported; nothing of it is kept/);
    expect((await db.getAll('models')).length).toBe(before);
  }, 120_000);

  it('records left "training" by a reload become interrupted, unless a live job owns them', async () => {
    const record = { ...(await storedModel(1)), status: 'training' as const };
    await db.put('models', record);
    await markInterruptedModels(db, () => true);
    expect((await db.get('models', record.id))!.status).toBe('training');
    await markInterruptedModels(db);
    expect((await db.get('models', record.id))!.status).toBe('interrupted');
    expect((await listModels(db)).length).toBeGreaterThan(0);
  });

  it('the batch-size guard lowers a batch that exceeds the buffer limit, and says so', () => {
    const config = { ...defaultTrainConfig('segment', 512), batchSize: DEFAULT_BATCH_SIZE.segment * 4 };
    const backend = { name: 'webgpu' as const, fallbacks: [], maxBufferBytes: 128 * 1024 * 1024 };
    const fitted = fitBatch(config, backend);
    expect(fitted.config.batchSize).toBeLessThan(config.batchSize);
    expect(fitted.note).toMatch(/Batch lowered from 16 to \d+/);
    expect(fitBatch(config, { name: 'cpu', fallbacks: [] }).config.batchSize).toBe(16);
  });
});

// Type-level check that the progress of every job includes the engine's notes.
const _notes: EngineNote extends EngineApi['evaluate']['progress'] ? true : never = true;
void _notes;
