/**
 * Model weights (TF.js' own `indexeddb://` store under a versioned key, or memory in tests), and
 * export / import as one zip file holding model.json, weights.bin and metadata.json (recipe,
 * training config, metrics). Runs in the engine worker; records are in modelRecords.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { strFromU8, strToU8, zipSync } from 'fflate';
import { MODEL_ZIP, unzipBounded } from '../data/zip';
import { openDB, type IDBPDatabase } from 'idb';
import { checkValueSize, commit, getDataset, StorageFullError, storageError, type Db, type ModelRecord } from '../data/db';
import { isTrainingSamples, modelRecordError, putModelRecord } from './modelRecords';
import { modelChannels } from './config';
import { isPlainObject } from '../params/space';
// Registers our batch-norm and convolution layers under TF.js' class names before any stored model is read.
import './batchNorm';
import './conv2d';

/** Where weights live: TF.js' IndexedDB store in the browser, memory in Node tests. */
export interface WeightStore {
  load(id: string): Promise<tf.LayersModel>;
  save(id: string, model: tf.LayersModel): Promise<void>;
  /** No weights stored is fine. */
  remove(id: string): Promise<void>;
}

/**
 * TF.js' `indexeddb://` store, written by us: TF.js' own save resolves once its put request
 * succeeds, before the transaction commits, and stores info and weights in two transactions, so a
 * full disk left an info entry without weights and a save reported as done. Here both entries go in
 * one transaction that is awaited to its commit; the database, stores and record layout are TF.js'
 * own, so models saved before still load, and `indexeddb://` URLs keep working.
 */
const TFJS_DB = { name: 'tensorflowjs', version: 1, models: 'models_store', info: 'model_info_store' } as const;
const modelPath = (id: string) => `synthscope-model-v1-${id}`;
/** A model's weights under a versioned key. */
export const weightsUrl = (id: string) => `indexeddb://${modelPath(id)}`;

const openTfjsDb = () => openDB(TFJS_DB.name, TFJS_DB.version, {
  upgrade(db) {
    db.createObjectStore(TFJS_DB.models, { keyPath: 'modelPath' });
    db.createObjectStore(TFJS_DB.info, { keyPath: 'modelPath' });
  },
});

async function withTfjsDb<T>(work: (db: IDBPDatabase) => Promise<T>): Promise<T> {
  const db = await openTfjsDb();
  try {
    return await work(db);
  } finally {
    db.close();
  }
}

/** Stores a model's artifacts under `path` in TF.js' database, all or nothing; a failure says what it is (db.ts `storageError`). */
export async function saveArtifacts(path: string, model: tf.LayersModel, what: string): Promise<void> {
  const artifacts = await modelArtifacts(model);
  const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  checkValueSize(weightData.byteLength, `${what}'s weights`, 'Use a smaller network (lower depth or width).');
  const modelArtifactsInfo = tf.io.getModelArtifactsInfoForJSON({ ...artifacts, weightData });
  await withTfjsDb(async (db) => {
    const tx = db.transaction([TFJS_DB.models, TFJS_DB.info], 'readwrite');
    await commit(tx, [
      () => tx.objectStore(TFJS_DB.info).put({ modelPath: path, modelArtifactsInfo }),
      () => tx.objectStore(TFJS_DB.models).put({ modelPath: path, modelArtifacts: { ...artifacts, weightData }, modelArtifactsInfo }),
    ]);
  });
}

export const indexedDbWeights: WeightStore = {
  load: async (id) => {
    const stored = await withTfjsDb((db) => db.get(TFJS_DB.models, modelPath(id))) as { modelArtifacts?: tf.io.ModelArtifacts } | undefined;
    if (!stored?.modelArtifacts) throw new Error('This model\'s weights are not stored (deleted, or never saved); train it again or import it.');
    return tf.loadLayersModel(tf.io.fromMemory(stored.modelArtifacts));
  },
  save: (id, model) => saveArtifacts(modelPath(id), model, 'This model'),
  remove: (id) => withTfjsDb(async (db) => {
    const tx = db.transaction([TFJS_DB.models, TFJS_DB.info], 'readwrite');
    await Promise.all([tx.objectStore(TFJS_DB.models).delete(modelPath(id)), tx.objectStore(TFJS_DB.info).delete(modelPath(id)), tx.done]);
  }),
};

/** A model's artifacts in memory (topology, specs, one weight buffer). */
export async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return artifacts!;
}

export function memoryWeights(): WeightStore {
  const stored = new Map<string, tf.io.ModelArtifacts>();
  return {
    load: async (id) => {
      const a = stored.get(id);
      if (!a) throw new Error(`No weights stored for ${id}.`);
      return tf.loadLayersModel(tf.io.fromMemory(a));
    },
    save: async (id, model) => void stored.set(id, await modelArtifacts(model)),
    remove: async (id) => void stored.delete(id),
  };
}

/** Weights and optimiser state first, the record last: a failure part-way leaves a record to delete again, never weights nothing lists. */
export async function deleteModel(db: Db, weights: WeightStore, id: string): Promise<void> {
  await weights.remove(id);
  await db.delete('optimizerStates', id);
  await db.delete('models', id);
}

/** One file: model.json + weights.bin + metadata.json. */
export async function exportModel(db: Db, weights: WeightStore, id: string): Promise<Uint8Array> {
  const record = await db.get('models', id);
  if (!record) throw new Error('That model no longer exists.');
  if (!record.hasWeights) throw new Error('This model has no trained weights yet: train at least one epoch first.');
  const model = await weights.load(id);
  const artifacts = await modelArtifacts(model).finally(() => model.dispose());
  const { weightData, ...rest } = artifacts;
  const dataset = await getDataset(db, record.datasetId);
  const metadata = { format: 'synthscope-model', version: 1, record, recipe: dataset?.recipe ?? null };
  return zipSync({
    'model.json': strToU8(JSON.stringify({ ...rest, weightsManifest: [{ paths: ['weights.bin'], weights: rest.weightSpecs }] })),
    'weights.bin': new Uint8Array(weightData as ArrayBuffer),
    'metadata.json': strToU8(JSON.stringify(metadata, (_, v) => (v instanceof Uint8Array ? Array.from(v) : v))),
  });
}

/** Reads an exported model file; a foreign or damaged file gets a message saying what is wrong. */
export async function importModel(db: Db, store: WeightStore, bytes: Uint8Array, fileName: string): Promise<ModelRecord> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipBounded(bytes, fileName, MODEL_ZIP);
  } catch (e) {
    throw new Error(/not a readable zip/.test((e as Error).message)
      ? `${fileName} is not a SynthScope model file (not a zip). Export models with the Export button.` : (e as Error).message);
  }
  const missing = ['model.json', 'weights.bin', 'metadata.json'].filter((f) => !files[f]);
  if (missing.length) throw new Error(`${fileName} is not a SynthScope model file: it lacks ${missing.join(', ')}.`);
  let metadata: { format?: string; record?: ModelRecord; recipe?: unknown };
  let topology: tf.io.ModelArtifacts;
  try {
    metadata = JSON.parse(strFromU8(files['metadata.json']));
    topology = JSON.parse(strFromU8(files['model.json']));
  } catch {
    throw new Error(`${fileName} is damaged: its JSON parts cannot be read.`);
  }
  if (metadata?.format !== 'synthscope-model' || !metadata.record) throw new Error(`${fileName} is not a SynthScope model file.`);
  const record: ModelRecord = { ...metadata.record, id: crypto.randomUUID(), status: 'imported', hasWeights: true, createdAt: Date.now(), updatedAt: Date.now() };
  // Files exported before records kept their samples carry the dataset's recipe: its scale is read from there.
  if (record.samples === undefined && isPlainObject(metadata.recipe)) {
    const { kind, size, micronsPerPixel } = metadata.recipe;
    const samples = { kind, size, ...(micronsPerPixel !== undefined ? { micronsPerPixel } : {}) };
    if (isTrainingSamples(samples, record.task)) record.samples = samples;
  }
  const problem = modelRecordError(record);
  if (problem) throw new Error(`${fileName} is damaged: its model record ${problem}. Nothing was imported.`);
  const weights = files['weights.bin'];
  // Checked before anything is allocated: a network declared far larger than its weights file
  // would otherwise be built (and held) first.
  const specs = isPlainObject(topology) && isPlainObject(topology.modelTopology) && Array.isArray(topology.weightSpecs) ? topology.weightSpecs : null;
  if (!specs) throw new Error(`${fileName} is damaged: its model.json holds no network. Nothing was imported.`);
  const declared = specs.reduce((bytes, w) => bytes + (Array.isArray(w?.shape) ? w.shape.reduce((n: number, d: number) => n * d, 1) : NaN) * (w.dtype === 'bool' ? 1 : 4), 0);
  if (declared !== weights.byteLength) {
    throw new Error(`${fileName} is damaged: its network declares ${Number.isFinite(declared) ? declared.toLocaleString('en') : 'unreadable'} bytes of weights, its weights file holds ${weights.byteLength.toLocaleString('en')}. Nothing was imported.`);
  }
  // Too large to store is known now, before the network is built (it was found only on saving).
  checkValueSize(weights.byteLength, `${fileName}'s weights`, 'This network is too large to keep in a browser; nothing was imported.');
  // One aligned copy of the weights (the zip entry may start at any byte) serves the check and the load.
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  // Weights that are not numbers give a model that finds nothing (every prediction NaN), silently.
  if (specs.every((w) => w.dtype === 'float32' || w.dtype === undefined) && !new Float32Array(weightData).every(Number.isFinite)) {
    throw new Error(`${fileName} is damaged: its weights hold values that are not numbers (NaN or Infinity). Nothing was imported.`);
  }
  // A network that fails to build part-way leaves the layers it made and the weights it decoded:
  // they are let go here (the scope ends either way; the variables of a built network outlive it).
  const variablesBefore = new Set(Object.keys(tf.engine().registeredVariables));
  tf.engine().startScope();
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: topology.modelTopology, weightSpecs: topology.weightSpecs, weightData })).catch((e) => {
    tf.engine().endScope();
    for (const [name, variable] of Object.entries(tf.engine().registeredVariables)) if (!variablesBefore.has(name)) variable.dispose();
    throw new Error(`${fileName} is damaged: the network cannot be rebuilt (${(e as Error).message}).`);
  });
  tf.engine().endScope();
  // The record says what the network is fed and gives; a network that takes other channels or
  // sizes, or gives another task's output or class count, would fail at its first use or answer wrongly.
  const input = model.inputs[0].shape, takes = input[3], says = modelChannels(record.config.model);
  const size = record.config.phases[record.config.phases.length - 1].size;
  const out = model.outputs[0].shape, task = record.config.model.task, classes = record.config.model.classes;
  const mismatch = input.length !== 4 ? 'its network does not take images'
    : takes !== says ? `its network takes ${takes} input channel${takes === 1 ? '' : 's'}, its record says ${says}`
      : (input[1] !== null && input[1] !== size) || (input[2] !== null && input[2] !== size) ? `its network takes only ${input[2]}×${input[1]} px images, its record reads them at ${size}×${size}`
        : out.length !== (task === 'classify' ? 2 : 4) ? `its network's output is not a ${task === 'classify' ? 'classifier\'s' : 'segmentation'}, as its record says`
          : out[out.length - 1] !== classes ? `its network gives ${out[out.length - 1]} classes, its record says ${classes}` : '';
  if (mismatch) {
    model.dispose();
    throw new Error(`${fileName} is damaged: ${mismatch}. Nothing was imported.`);
  }
  // All or nothing: weights first, then the record; a failure on either leaves neither behind.
  try {
    await store.save(record.id, model);
    await putModelRecord(db, record);
  } catch (e) {
    await store.remove(record.id).catch(() => undefined);
    const error = storageError(e);
    throw error instanceof StorageFullError ? new StorageFullError(`${fileName} was not imported; nothing of it is kept.`)
      : new Error(`${fileName} was not imported (nothing of it is kept): ${error.message}`);
  } finally {
    model.dispose();
  }
  return record;
}
