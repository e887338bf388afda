/// <reference lib="webworker" />
/**
 * Training worker: picks the backend, then trains the model whose record the UI stored, reading
 * batches from IndexedDB, checkpointing weights and state after every epoch. Thin: the loop lives
 * in src/lib/ml/trainer.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { getDataset, openDatasets, type Db, type ModelRecord } from '../lib/data/db';
import { chooseBackend, maxBatchForBuffer, type BackendInfo, type BackendPreference } from '../lib/ml/backend';
import { weightsUrl } from '../lib/ml/modelStore';
import { buildModel, type ModelConfig } from '../lib/ml/models';
import { buildPretrainedClassifier, loadPretrained, pretrainedInputSize } from '../lib/ml/pretrained';
import { lrSweep, suggestLr } from '../lib/ml/schedule';
import { findLr, splitIndices, Trainer } from '../lib/ml/trainer';
import { datasetSource } from '../app/idbSource';
import { runExperiment } from '../lib/experiment/run';
import { compareToTruth, grainStatistics } from '../lib/analysis/grainStats';
import { classifyWindows, heatmap, segmentTiled } from '../lib/analysis/inference';
import type { AnalysisResult, TrainMessage, TrainRequest } from './trainProtocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (m: TrainMessage) => scope.postMessage(m);
let stopRequested = false;
let backendChosen: BackendInfo | null = null;
let chosenFor: BackendPreference | null = null;

/** Chooses (and self-tests) a backend once per preference. */
async function ready(preference: BackendPreference) {
  if (!backendChosen || chosenFor !== preference) {
    backendChosen = await chooseBackend(preference);
    chosenFor = preference;
  }
  post({ type: 'backend', info: backendChosen });
}

/** Large batches at large sizes exceed WebGPU's buffer limit: lower the batch to what fits, and say so. */
function fitBatch(record: ModelRecord): { batchSize: number; note?: string } {
  const size = Math.max(...record.config.phases.map((p) => p.size));
  const stem = Math.max(4, Math.round(64 * record.config.model.width));
  const batchSize = maxBatchForBuffer(backendChosen?.maxBufferBytes, size, stem, record.config.batchSize);
  return batchSize < record.config.batchSize
    ? { batchSize, note: `Batch lowered from ${record.config.batchSize} to ${batchSize} to fit this GPU's buffer limit.` }
    : { batchSize };
}

async function freshModel(config: ModelConfig): Promise<tf.LayersModel> {
  if (!config.pretrained) return buildModel(config);
  const { model: pretrained, fromCache } = await loadPretrained(config.pretrained);
  post({ type: 'status', message: `Pretrained encoder ${fromCache ? 'from the offline cache' : 'downloaded and cached for offline use'}: ${config.pretrained}` });
  return buildPretrainedClassifier(pretrained, config);
}

async function train(db: Db, modelId: string) {
  let record = (await db.get('models', modelId)) as ModelRecord;
  if (!record) throw new Error('That model no longer exists.');
  const dataset = await getDataset(db, record.datasetId);
  if (!dataset) throw new Error(`The dataset "${record.datasetName}" this model trains on was deleted.`);
  const source = datasetSource(db, dataset);
  const model = record.hasWeights ? await tf.loadLayersModel(weightsUrl(modelId)) : await freshModel(record.config.model);
  if (record.config.model.pretrained) {
    // Every phase runs at the pretrained model's input size.
    const size = pretrainedInputSize(model);
    record = { ...record, config: { ...record.config, phases: record.config.phases.map((p) => ({ ...p, size })) } };
  }
  const save = async (changes: Partial<ModelRecord>) => {
    record = { ...record, ...changes, updatedAt: Date.now() };
    await db.put('models', record);
  };
  const fitted = fitBatch(record);
  await save({ status: 'training', backend: backendChosen?.name, note: fitted.note, config: { ...record.config, batchSize: fitted.batchSize } });
  const trainer = new Trainer(model, record.config, source, {
    onStep: (progress) => post({ type: 'step', progress }),
    shouldStop: () => stopRequested,
    checkpoint: async (m, state) => {
      await m.save(weightsUrl(modelId));
      await save({ state, hasWeights: true });
    },
    onEpoch: (r, state, predictions) => post({ type: 'epoch', record: r, state, predictions, numTensors: tf.memory().numTensors }),
  });
  try {
    const result = await trainer.run(record.state);
    const { stopped, ...state } = result;
    await save({ state, status: stopped ? 'stopped' : 'complete' });
    post({ type: 'done', state, stopped });
  } finally {
    model.dispose();
  }
}

/** Validation metrics of a stored model, plus the last-class probability of its first outputs. */
async function evaluate(db: Db, modelId: string) {
  const record = await db.get('models', modelId);
  if (!record?.hasWeights) throw new Error('That model has no weights to evaluate.');
  const dataset = await getDataset(db, record.datasetId);
  if (!dataset) throw new Error(`The dataset "${record.datasetName}" this model was trained on was deleted.`);
  const model = await tf.loadLayersModel(weightsUrl(modelId));
  try {
    const trainer = new Trainer(model, record.config, datasetSource(db, dataset));
    const { val } = splitIndices(dataset.recipe.count, record.config.valFraction, record.config.seed);
    const size = record.config.phases[record.config.phases.length - 1].size;
    const { metrics, valLoss, predictions } = await trainer.validate(val, size);
    const outputs = predictions.map((p) => p.probability ?? (p.predicted as Uint8Array).reduce((a, v) => a + v, 0) / 255);
    post({ type: 'evaluated', modelId, metrics, valLoss, outputs });
  } finally {
    model.dispose();
  }
}

/** Runs a stored model over the user's images, one result message per image; Stop ends early. */
async function analyse(db: Db, request: Extract<TrainRequest, { type: 'analyse' }>) {
  const record = await db.get('models', request.modelId);
  if (!record?.hasWeights) throw new Error('That model has no trained weights yet.');
  const dataset = await getDataset(db, record.datasetId);
  const inputSize = record.config.phases[record.config.phases.length - 1].size;
  const model = await tf.loadLayersModel(weightsUrl(request.modelId));
  try {
    for (const [index, { name, image, truth }] of request.images.entries()) {
      if (stopRequested) break;
      let result: AnalysisResult;
      if (record.task === 'classify') {
        const window = Math.min(dataset?.recipe.size ?? 128, image.width, image.height);
        const windows = await classifyWindows(model, image, window, request.stride, inputSize, 16, () => stopRequested);
        const flagged = windows.filter((w) => w.probability > 0.5).length;
        result = { kind: 'classify', name, width: image.width, height: image.height, window, windows,
          heat: heatmap(windows, image.width, image.height, window), flagged, verdict: flagged > 0 ? 'crack' : 'no crack' };
      } else {
        const probability = await segmentTiled(model, image, Math.min(inputSize, Math.floor(Math.min(image.width, image.height) / 32) * 32), () => stopRequested);
        const boundary = Uint8Array.from(probability, (p) => (p > 0.5 ? 1 : 0));
        const stats = grainStatistics(boundary, image.width, image.height, request.micronsPerPixel);
        const comparison = truth ? compareToTruth(boundary, Uint8Array.from(truth.pixels, (v) => (v > 127 ? 1 : 0)), image.width, image.height, request.micronsPerPixel) : undefined;
        result = { kind: 'segment', name, width: image.width, height: image.height, boundary, stats, comparison };
      }
      post({ type: 'analysed', index, total: request.images.length, result });
    }
  } finally {
    model.dispose();
  }
  post({ type: 'analyseDone', stopped: stopRequested });
}

scope.onmessage = async (event: MessageEvent<TrainRequest>) => {
  const request = event.data;
  if (request.type === 'stop') {
    stopRequested = true;
    return;
  }
  stopRequested = false;
  let db: Db | null = null;
  try {
    db = await openDatasets();
    await ready(request.backend);
    if (request.type === 'train') await train(db, request.modelId);
    else if (request.type === 'evaluate') await evaluate(db, request.modelId);
    else if (request.type === 'analyse') await analyse(db, request);
    else if (request.type === 'experiment') {
      const results = await runExperiment(request.config, request.recipe, request.real, {
        onProgress: (progress) => post({ type: 'experimentProgress', progress }),
        onRun: (run) => post({ type: 'experimentRun', run }),
        shouldStop: () => stopRequested,
      });
      post({ type: 'experimentDone', results });
    }
    else {
      const dataset = await getDataset(db, request.datasetId);
      if (!dataset) throw new Error('That dataset no longer exists.');
      const model = await freshModel(request.config.model);
      if (request.config.model.pretrained) {
        const size = pretrainedInputSize(model);
        request.config.phases = request.config.phases.map((p) => ({ ...p, size }));
      }
      const lrs = lrSweep(40, 1e-6, 1);
      const result = await findLr(model, request.config, datasetSource(db, dataset), lrs, (lr, loss) => post({ type: 'lrPoint', lr, loss }));
      model.dispose();
      post({ type: 'lrDone', ...result, ...suggestLr(result.lrs, result.losses) });
    }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (request.type === 'train' && db) {
      const record = await db.get('models', request.modelId);
      if (record) await db.put('models', { ...record, status: 'failed', note: message, updatedAt: Date.now() });
    }
    post({ type: 'error', message });
  } finally {
    db?.close();
  }
};
