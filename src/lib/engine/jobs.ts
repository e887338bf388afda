/**
 * The engine's jobs: everything the UI asks of TF.js, as plain async functions of (arguments,
 * context). The engine worker maps its API onto these one to one; Node tests call them directly
 * with an in-memory IndexedDB and weight store. A job reports progress through the context and
 * ends by returning its result, throwing CancelledError when its signal aborts, or throwing an
 * error whose message the user reads.
 */
import * as tf from '@tensorflow/tfjs';
import { getDataset, StorageFullError, storageError, writing, type Db, type ModelRecord } from '../data/db';
import { crackResult, grainResult, resultBuffers, type AnalysisResult } from '../analysis/result';
import { classifyWindows, imageForModel, segmentTiled } from '../analysis/inference';
import { segmentAtScale, trainingSamples, trainingScale } from '../analysis/scale';
import { interleaveClasses, memorySource, prepareReal, runExperiment } from '../experiment/run';
import { setMetrics } from '../experiment/summary';
import { unitInterval } from '../experiment/stats';
import { fineTuneSize, realItems, realSplit } from '../data/realSet';
import { chooseBackend, maxBatchForBuffer, type BackendInfo, type BackendPreference } from '../ml/backend';
import { MIN_CLASSIFY_SIDE, modelChannels, sizeSchedule, UNET_MULTIPLE, type Decision, type ModelConfig, type TrainConfig } from '../ml/config';
import { deleteModel, exportModel, importModel, type WeightStore } from '../ml/modelStore';
import { putModelRecord, withDatasetChannels } from '../ml/modelRecords';
import { buildModel } from '../ml/models';
import { MIRROR_AVERAGED } from '../ml/predict';
import { buildPretrainedClassifier, loadPretrained, pretrainedInputSize } from '../ml/pretrained';
import { lrSweep, suggestLr } from '../ml/schedule';
import { findLr, splitIndices, Trainer, type SampleSource } from '../ml/trainer';
import type { DatasetRecord } from '../data/db';
import type { GreyImage } from '../data/tiling';
import type { RealItem } from '../experiment/config';
import { datasetSource } from '../data/datasetSource';
import type { EngineApi, EngineNote, RealEvaluation } from './api';
import { CancelledError, throwIfCancelled, transfer, type Handlers, type JobContext } from './rpc';

export interface EngineDeps {
  db: () => Promise<Db>;
  weights: WeightStore;
}

let chosen: { preference: BackendPreference; info: BackendInfo } | null = null;

/** Chooses (and self-tests) a backend once per preference, and reports it. */
async function useBackend(preference: BackendPreference, ctx: JobContext<EngineNote>): Promise<BackendInfo> {
  if (chosen?.preference !== preference) chosen = { preference, info: await chooseBackend(preference) };
  ctx.progress({ kind: 'backend', info: chosen.info });
  return chosen.info;
}

/**
 * The batch-size guard, on every route that trains: large batches at large sizes exceed a GPU's
 * buffer limit, so the batch is lowered to what fits, with a note saying so.
 */
function guardBatch(wanted: number, size: number, width: number, backend: BackendInfo): { batchSize: number; note?: string } {
  const stem = Math.max(4, Math.round(64 * width));
  const batchSize = maxBatchForBuffer(backend.maxBufferBytes, size, stem, wanted);
  return batchSize < wanted ? { batchSize, note: `Batch lowered from ${wanted} to ${batchSize} to fit this GPU's buffer limit.` } : { batchSize };
}

/** The guard on a training config, at its largest phase size. */
export function fitBatch(config: TrainConfig, backend: BackendInfo): { config: TrainConfig; note?: string } {
  const { batchSize, note } = guardBatch(config.batchSize, Math.max(...config.phases.map((p) => p.size)), config.model.width, backend);
  return note ? { config: { ...config, batchSize }, note } : { config };
}

async function freshModel(config: ModelConfig, ctx: JobContext<EngineNote>): Promise<tf.LayersModel> {
  if (!config.pretrained) return buildModel(config);
  const { model: pretrained, fromCache, notCached } = await loadPretrained(config.pretrained);
  const where = fromCache ? 'from the offline cache' : notCached ? `downloaded but not kept for offline use (${notCached})` : 'downloaded and cached for offline use';
  ctx.progress({ kind: 'status', message: `Pretrained encoder ${where}: ${config.pretrained}` });
  return buildPretrainedClassifier(pretrained, config);
}

/** A pretrained classifier runs every phase at its own input size. */
function atModelSize(config: TrainConfig, model: tf.LayersModel): TrainConfig {
  if (!config.model.pretrained) return config;
  const size = pretrainedInputSize(model);
  return { ...config, phases: config.phases.map((p) => ({ ...p, size })) };
}

async function storedModel(db: Db, id: string, needWeights: string): Promise<ModelRecord> {
  const record = await db.get('models', id);
  if (!record) throw new Error('That model no longer exists.');
  if (needWeights && !record.hasWeights) throw new Error(needWeights);
  return record;
}

async function datasetOf(db: Db, record: ModelRecord): Promise<DatasetRecord> {
  const dataset = await getDataset(db, record.datasetId);
  if (!dataset) throw new Error(`The dataset "${record.datasetName}" this model trains on was deleted.`);
  return dataset;
}

/** The largest (last) input size a model trains at. */
const lastSize = (record: ModelRecord) => record.config.phases[record.config.phases.length - 1].size;

/**
 * What a stored model trains and validates on: its synthetic dataset (validation a seeded share),
 * or, for a fine-tune, the real tiles named in its record at its fine-tuning size.
 */
async function trainingData(db: Db, record: ModelRecord, ctx: JobContext<EngineNote>): Promise<{ source: SampleSource; split?: { train: number[]; val: number[] } }> {
  if (!record.fineTune) return { source: datasetSource(db, await datasetOf(db, record)) };
  const channels = modelChannels(record.config.model);
  const { items, missing } = await realItems(db, record.task, record.fineTune, channels);
  if (missing) ctx.progress({ kind: 'status', message: `${missing} of the real tiles chosen for this fine-tune were deleted since; it uses the other ${items.length}.` });
  const samples = prepareReal(items, lastSize(record), 'resize', channels);
  const split = { train: [] as number[], val: [] as number[] };
  samples.forEach((s, i) => s.set !== 'test' && s.set !== 'all' && split[s.set].push(i));
  if (!split.train.length || !split.val.length) throw new Error('The real tiles this model fine-tunes on were deleted (it needs training and validation tiles). Fine-tune the original model again on the tiles there are now.');
  return { source: memorySource(samples, lastSize(record), channels), split };
}

/** A new fine-tune starts from the weights of the model it fine-tunes. */
async function initialWeights(deps: EngineDeps, db: Db, record: ModelRecord, ctx: JobContext<EngineNote>): Promise<tf.LayersModel> {
  if (record.hasWeights) return deps.weights.load(record.id);
  if (!record.fineTune) return freshModel(record.config.model, ctx);
  const parent = await db.get('models', record.fineTune.parentId);
  if (!parent?.hasWeights) throw new Error(`The model "${record.fineTune.parentName}" this one fine-tunes was deleted or has no weights; fine-tune a model that has.`);
  return deps.weights.load(parent.id);
}

/** Runs `job` with the database open, closing it however the job ends. */
async function withDb<T>(deps: EngineDeps, job: (db: Db) => Promise<T>): Promise<T> {
  const db = await deps.db();
  try {
    return await job(db);
  } finally {
    db.close();
  }
}

/** A fresh run with a time budget: its epochs sized from this backend's measured speed. */
async function budgeted(model: tf.LayersModel, config: TrainConfig, source: SampleSource, backend: BackendInfo, ctx: JobContext<EngineNote>): Promise<TrainConfig> {
  ctx.progress({ kind: 'status', message: `Timing a few training steps on ${backend.name} to fit the schedule to ${config.budgetSeconds} s…` });
  const probe = new Trainer(model, config, source);
  const speeds = new Map<number, number>();
  // A run resumed before its first epoch sizes the phases as asked, not as sized before.
  const asked = config.budgetPhases ?? config.phases;
  for (const size of new Set(asked.map((p) => p.size))) speeds.set(size, await probe.imagesPerSecond(size));
  throwIfCancelled(ctx.signal);
  const { train, val } = splitIndices(source.count, config.valFraction, config.seed);
  // Validation is a forward pass only: about a third of a training step per image.
  const phases = sizeSchedule(asked, train.length + val.length / 3, (size) => speeds.get(size)!, config.budgetSeconds!);
  const rate = [...speeds].map(([size, v]) => `${v.toFixed(1)} images/s at ${size} px`).join(', ');
  ctx.progress({ kind: 'status', message: `Measured ${rate} on ${backend.name}: ${phases.map((p) => p.epochs).join(' + ')} epochs fit ${config.budgetSeconds} s.` });
  return { ...config, phases, budgetPhases: asked };
}

export function engineJobs(deps: EngineDeps): Handlers<EngineApi> {
  return {
    train: ({ modelId, backend }, ctx) => withDb(deps, async (db) => {
      const info = await useBackend(backend, ctx);
      let record = await storedModel(db, modelId, '');
      const save = async (changes: Partial<ModelRecord>) => {
        // Taken as the record only once stored: a failed write (a full disk) must not count epochs it did not keep.
        const next = { ...record, ...changes, updatedAt: Date.now() };
        await putModelRecord(db, next);
        record = next;
      };
      let model: tf.LayersModel | undefined;
      try {
        const { source, split } = await trainingData(db, record, ctx);
        model = await initialWeights(deps, db, record, ctx);
        const fitted = fitBatch(atModelSize(record.config, model), info);
        await save({ status: 'training', backend: info.name, note: fitted.note, config: fitted.config });
        if (record.config.budgetSeconds && record.state.history.length === 0) await save({ config: await budgeted(model, record.config, source, info, ctx) });
        const trainer = new Trainer(model, record.config, source, {
          onStep: (progress) => ctx.progress({ kind: 'step', progress }),
          shouldStop: () => ctx.signal.aborted,
          checkpoint: async (m, state, optimizer) => {
            await deps.weights.save(modelId, m);
            if (optimizer) await writing(() => db.put('optimizerStates', { id: modelId, weights: optimizer }));
            else await db.delete('optimizerStates', modelId);
            await save({ state, hasWeights: true });
          },
          onEpoch: (r, state, predictions) => ctx.progress({ kind: 'epoch', record: r, state, predictions, numTensors: tf.memory().numTensors }),
        });
        const optimizer = record.hasWeights ? (await db.get('optimizerStates', modelId))?.weights : undefined;
        const { stopped, ...state } = await trainer.run(record.state, split, optimizer);
        if (stopped) throw new CancelledError();
        let decision: Decision | undefined;
        if (record.task === 'segment') {
          ctx.progress({ kind: 'status', message: `Choosing the boundary threshold on the ${split ? 'real validation tiles' : 'synthetic validation images'}…` });
          const val = split?.val ?? splitIndices(source.count, record.config.valFraction, record.config.seed).val;
          decision = await trainer.pickThreshold(val, lastSize(record), ctx.signal, MIRROR_AVERAGED.segment);
        }
        await save({ state, status: 'complete', note: fitted.note, decision });
        return state;
      } catch (e) {
        // The record keeps its last checkpoint's state either way; only its status and note change.
        const cancelled = e instanceof CancelledError || ctx.signal.aborted;
        const saved = record.state.history.length;
        let error = cancelled ? e : storageError(e);
        if (error instanceof StorageFullError) {
          error = new StorageFullError(`Training stopped; ${saved ? `the model keeps its last checkpoint (${saved} epochs) and resumes from there` : 'no epoch had been saved yet'}.`);
        }
        const ending = cancelled
          ? { status: 'stopped' as const, note: 'Stopped; resume continues from the last finished epoch.' }
          : { status: 'failed' as const, note: (error as Error).message };
        await save(ending).catch(() => undefined); // a full disk may refuse even this: the error still reaches the caller
        throw error;
      } finally {
        model?.dispose();
      }
    }),

    findLr: ({ datasetId, config, backend }, ctx) => withDb(deps, async (db) => {
      const info = await useBackend(backend, ctx);
      const dataset = await getDataset(db, datasetId);
      if (!dataset) throw new Error('That dataset no longer exists.');
      config = withDatasetChannels(config, dataset);
      const model = await freshModel(config.model, ctx);
      try {
        const fitted = fitBatch(atModelSize(config, model), info);
        if (fitted.note) ctx.progress({ kind: 'status', message: fitted.note });
        const result = await findLr(model, fitted.config, datasetSource(db, dataset), lrSweep(40, 1e-6, 1), (lr, loss) => ctx.progress({ kind: 'point', lr, loss }), ctx.signal);
        return { ...result, ...suggestLr(result.lrs, result.losses) };
      } finally {
        model.dispose();
      }
    }),

    evaluate: ({ modelId, backend }, ctx) => withDb(deps, async (db) => {
      await useBackend(backend, ctx);
      const record = await storedModel(db, modelId, 'That model has no weights to evaluate.');
      const { source, split } = await trainingData(db, record, ctx);
      const before = tf.memory().numTensors;
      const model = await deps.weights.load(modelId);
      const validated = await (async () => {
        const trainer = new Trainer(model, record.config, source);
        const val = split?.val ?? splitIndices(source.count, record.config.valFraction, record.config.seed).val;
        // Scored as the model is used (Analyse, the real test set): its own threshold, mirror-averaged where its task is.
        return trainer.validate(val, lastSize(record), ctx.signal, 4, record.decision?.threshold, MIRROR_AVERAGED[record.task]);
      })().finally(() => model.dispose());
      // A cancel during the last batch ends as cancelled, not as the result it came too late to stop.
      throwIfCancelled(ctx.signal);
      const { metrics, valLoss, predictions } = validated;
      const outputs = predictions.map((p) => p.probability ?? (p.predicted as Uint8Array).reduce((a, v) => a + v, 0) / 255 / (p.size * p.size));
      return { metrics, valLoss, outputs, numTensors: { before, after: tf.memory().numTensors } };
    }),

    experiment: async ({ config, recipe, real, backend, done }, ctx) => {
      const info = await useBackend(backend, ctx);
      const { batchSize, note } = guardBatch(config.train.batchSize, config.input.size, config.model.width, info);
      if (note) ctx.progress({ kind: 'status', message: note });
      const results = await runExperiment({ ...config, train: { ...config.train, batchSize } }, recipe, real, {
        onProgress: (progress) => ctx.progress({ kind: 'progress', progress }),
        onRun: (run, results) => ctx.progress({ kind: 'run', run, results }),
        shouldStop: () => ctx.signal.aborted,
      }, done);
      throwIfCancelled(ctx.signal);
      return results;
    },

    evaluateReal: ({ modelIds, backend }, ctx) => withDb(deps, async (db) => {
      await useBackend(backend, ctx);
      // Models of one task (and channels) share the test tiles: read them once per call.
      const testSets = new Map<string, Promise<{ ids: string[]; tileSize: number; items: RealItem[] }>>();
      const testSet = (task: ModelRecord['task'], channels: 1 | 3) => {
        const key = `${task}:${channels}`;
        if (!testSets.has(key)) testSets.set(key, realSplit(db, task).then(async ({ ids, tileSize }) => ({ ids: ids.test, tileSize, items: (await realItems(db, task, { test: ids.test }, channels)).items })));
        return testSets.get(key)!;
      };
      const rows: RealEvaluation[] = [];
      for (const modelId of modelIds) {
        throwIfCancelled(ctx.signal);
        const record = await storedModel(db, modelId, 'That model has no trained weights yet.');
        const channels = modelChannels(record.config.model);
        const { ids, tileSize, items } = await testSet(record.task, channels);
        if (!ids.length) throw new Error(`No real test tiles for a ${record.task === 'segment' ? 'U-Net (images imported with a mask)' : 'classifier (labelled tiles)'}: label or import real tiles in the Real data tab, and give the split a test share.`);
        const size = fineTuneSize(record.task, lastSize(record), tileSize);
        const samples = prepareReal(items, size, 'resize', channels);
        const model = await deps.weights.load(modelId);
        try {
          const evaluator = new Trainer(model, record.config, memorySource(samples, size, channels));
          const all = interleaveClasses(samples.map((_, i) => i), samples);
          const threshold = record.decision?.threshold;
          const mirrored = MIRROR_AVERAGED[record.task];
          const pooled = await evaluator.validate(all, size, ctx.signal, 0, threshold, mirrored);
          const byImage = new Map<string, number[]>();
          samples.forEach((s, i) => byImage.set(s.group, [...(byImage.get(s.group) ?? []), i]));
          let ci99: RealEvaluation['ci99'];
          if (record.task === 'segment' && byImage.size >= 2) {
            const perImage = [];
            for (const indices of byImage.values()) perImage.push((await evaluator.validate(indices, size, ctx.signal, 0, threshold, mirrored)).metrics as { miou: number; boundaryF1?: number });
            ci99 = { miou: unitInterval(perImage.map((m) => m.miou)), boundaryF1: unitInterval(perImage.map((m) => m.boundaryF1 ?? 0)) };
          }
          const seenIds = new Set([...(record.fineTune?.train ?? []), ...(record.fineTune?.val ?? [])]);
          rows.push({ modelId, name: record.name, task: record.task, metrics: setMetrics(pooled.metrics, samples.length), loss: pooled.valLoss,
            images: byImage.size, ...(ci99 ? { ci99 } : {}), seen: ids.filter((id) => seenIds.has(id)).length, size });
        } finally {
          model.dispose();
        }
        ctx.progress({ kind: 'evaluated', done: rows.length, total: modelIds.length });
      }
      return rows;
    }),

    analyse: (args, ctx) => withDb(deps, async (db) => {
      await useBackend(args.backend, ctx);
      const record = await storedModel(db, args.modelId, 'That model has no trained weights yet.');
      const samples = trainingSamples(record, await getDataset(db, record.datasetId));
      const inputSize = record.config.phases[record.config.phases.length - 1].size;
      const channels = modelChannels(record.config.model);
      // Too small to analyse: refused by name before any work (a U-Net tiled it at 0 px and found
      // no boundary; a 1-px image read outside itself). Rescaled micrographs are checked at the model's scale.
      const smallest = record.task === 'classify' ? MIN_CLASSIFY_SIDE : args.rescale ? 1 : UNET_MULTIPLE;
      const tiny = args.images.find(({ image }) => Math.min(image.width, image.height) < smallest);
      if (tiny) throw new Error(`${tiny.name} is ${tiny.image.width}×${tiny.image.height} px; this model analyses images at least ${smallest} px on each side. Leave it out, or analyse a larger image.`);
      const model = await deps.weights.load(args.modelId);
      const results: AnalysisResult[] = [];
      try {
        for (const { name, image, colour, truth } of args.images) {
          throwIfCancelled(ctx.signal);
          // What the model reads (grey, or RGB); results, overlays and measurements stay on the grey.
          const input = imageForModel({ ...image, colour }, channels);
          if (record.task === 'classify') {
            const window = Math.min(samples?.size ?? inputSize, image.width, image.height);
            results.push(crackResult(name, image, window, await classifyWindows(model, input, window, args.stride, inputSize, 16, ctx.signal, record.config.norm)));
          } else {
            const segment = (im: GreyImage) => segmentTiled(model, im, Math.min(inputSize, Math.floor(Math.min(im.width, im.height) / UNET_MULTIPLE) * UNET_MULTIPLE), ctx.signal, record.config.norm);
            const at = args.rescale ? trainingScale(record, samples) : undefined;
            if (args.rescale && at === undefined) throw new Error(`The model "${record.name}" has no known training scale (its training samples had no pixel size, or are not known here), so micrographs cannot be rescaled to it; analyse without rescaling.`);
            const { probability, rescaled } = await segmentAtScale(input, args.micronsPerPixel, at, segment);
            results.push(grainResult(name, image, probability, args.micronsPerPixel, truth, record.decision?.threshold, rescaled));
          }
          ctx.progress({ kind: 'analysed', done: results.length, total: args.images.length });
        }
      } finally {
        model.dispose();
      }
      return transfer(results, results.flatMap(resultBuffers));
    }),

    exportModel: ({ modelId }) => withDb(deps, async (db) => {
      const bytes = await exportModel(db, deps.weights, modelId);
      return transfer(bytes, [bytes.buffer as ArrayBuffer]);
    }),
    importModel: ({ bytes, fileName }) => withDb(deps, (db) => importModel(db, deps.weights, bytes, fileName)),
    deleteModel: ({ modelId }) => withDb(deps, (db) => deleteModel(db, deps.weights, modelId)),
  };
}
