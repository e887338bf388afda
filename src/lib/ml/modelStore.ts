/**
 * Models in the browser: records in SynthScope's IndexedDB, weights through TF.js' own
 * `indexeddb://` store under a versioned key, and export / import as one zip file holding
 * model.json, weights.bin and metadata.json (recipe, training config, metrics).
 */
import * as tf from '@tensorflow/tfjs';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import type { Db, ModelRecord } from '../data/db';
import { getDataset } from '../data/db';

export const weightsUrl = (id: string) => `indexeddb://synthscope-model-v1-${id}`;

export async function listModels(db: Db): Promise<ModelRecord[]> {
  return (await db.getAll('models')).sort((a, b) => b.createdAt - a.createdAt);
}

export async function putModel(db: Db, record: ModelRecord): Promise<void> {
  await db.put('models', record);
}

export async function deleteModel(db: Db, id: string): Promise<void> {
  await db.delete('models', id);
  await tf.io.removeModel(weightsUrl(id)).catch(() => undefined); // no weights yet is fine
}

/** On start-up: a model still marked as training was cut off by a reload or a lost device. */
export async function markInterruptedModels(db: Db): Promise<void> {
  for (const m of await listModels(db)) {
    if (m.status !== 'training') continue;
    await putModel(db, { ...m, status: 'interrupted', note: `Interrupted after ${m.state.history.length} epochs; resume continues from the last checkpoint.` });
  }
}

/** One file: model.json + weights.bin + metadata.json. */
export async function exportModel(db: Db, id: string): Promise<Uint8Array> {
  const record = await db.get('models', id);
  if (!record) throw new Error('That model no longer exists.');
  if (!record.hasWeights) throw new Error('This model has no trained weights yet: train at least one epoch first.');
  const model = await tf.loadLayersModel(weightsUrl(id));
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  model.dispose();
  const { weightData, ...rest } = artifacts!;
  const dataset = await getDataset(db, record.datasetId);
  const metadata = { format: 'synthscope-model', version: 1, record, recipe: dataset?.recipe ?? null };
  return zipSync({
    'model.json': strToU8(JSON.stringify({ ...rest, weightsManifest: [{ paths: ['weights.bin'], weights: rest.weightSpecs }] })),
    'weights.bin': new Uint8Array(weightData as ArrayBuffer),
    'metadata.json': strToU8(JSON.stringify(metadata, (_, v) => (v instanceof Uint8Array ? Array.from(v) : v))),
  });
}

/** Reads an exported model file; a foreign or damaged file gets a message saying what is wrong. */
export async function importModel(db: Db, bytes: Uint8Array, fileName: string): Promise<ModelRecord> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch {
    throw new Error(`${fileName} is not a SynthScope model file (not a zip). Export models with the Export button.`);
  }
  const missing = ['model.json', 'weights.bin', 'metadata.json'].filter((f) => !files[f]);
  if (missing.length) throw new Error(`${fileName} is not a SynthScope model file: it lacks ${missing.join(', ')}.`);
  let metadata: { format?: string; record?: ModelRecord };
  let topology: tf.io.ModelArtifacts;
  try {
    metadata = JSON.parse(strFromU8(files['metadata.json']));
    topology = JSON.parse(strFromU8(files['model.json']));
  } catch {
    throw new Error(`${fileName} is damaged: its JSON parts cannot be read.`);
  }
  if (metadata.format !== 'synthscope-model' || !metadata.record) throw new Error(`${fileName} is not a SynthScope model file.`);
  const weights = files['weights.bin'];
  const model = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: topology.modelTopology, weightSpecs: topology.weightSpecs,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
  })).catch((e) => {
    throw new Error(`${fileName} is damaged: the network cannot be rebuilt (${(e as Error).message}).`);
  });
  const record: ModelRecord = { ...metadata.record, id: crypto.randomUUID(), status: 'imported', hasWeights: true, createdAt: Date.now(), updatedAt: Date.now() };
  await model.save(weightsUrl(record.id));
  model.dispose();
  await putModel(db, record);
  return record;
}
