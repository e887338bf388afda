/**
 * The lifecycle of a model record in SynthScope's IndexedDB, with no TF.js: create, list, mark
 * interrupted after a reload, and what can be done with a record in each status. Weights live
 * apart (modelStore.ts), handled by the engine worker.
 */
import { writing, type DatasetRecord, type Db, type ModelRecord, type TrainingSamples } from '../data/db';
import { samplesOf } from '../analysis/scale';
import { recipeChannels } from '../synth/recipe';
import { MAX_TILE } from '../synth/cracks/index';
import { MAX_SIZE } from '../synth/grains/index';
import { micronsPerPixelError } from '../synth/scale';
import { TILE } from '../data/tiling';
import { defaultFineTunePhases, modelConfigError, trainConfigError, type ModelConfig, type TrainConfig } from './config';

/** Stores a model record; a failure says whether the disk is full (db.ts `storageError`). */
export async function putModelRecord(db: Db, record: ModelRecord): Promise<void> {
  await writing(() => db.put('models', record));
}

/** Readable model records, newest first; damaged ones are left out (see `listDamagedModels`). */
export async function listModels(db: Db): Promise<ModelRecord[]> {
  return (await db.getAll('models')).filter((m) => !modelRecordError(m)).sort((a, b) => b.createdAt - a.createdAt);
}

/** Stored records that cannot be used (written by an older or foreign version, or edited): listed so they can be deleted. */
export async function listDamagedModels(db: Db): Promise<{ id: string; name: string; reason: string }[]> {
  const damaged: { id: string; name: string; reason: string }[] = [];
  for (const m of (await db.getAll('models')) as unknown[]) {
    const reason = modelRecordError(m);
    if (!reason) continue;
    const r = m as Record<string, unknown>;
    damaged.push({ id: String(r.id), name: typeof r.name === 'string' ? r.name : '(no name)', reason });
  }
  return damaged;
}

const STATUSES: readonly ModelRecord['status'][] = ['training', 'stopped', 'complete', 'interrupted', 'failed', 'imported'];
const own = (o: Record<string, unknown>, key: string) => (Object.hasOwn(o, key) ? o[key] : undefined);

/**
 * One epoch of a training history, as far as the Train view reads it: its losses and its task's
 * headline metrics, as numbers (NaN too: a training that diverged keeps its record).
 */
function isEpochRecord(e: unknown, task: 'classify' | 'segment'): boolean {
  const number = (o: Record<string, unknown>, key: string) => typeof own(o, key) === 'number';
  if (!isObject(e) || !number(e, 'trainLoss') || !number(e, 'valLoss')) return false;
  const m = own(e, 'metrics');
  return isObject(m) && (task === 'classify' ? number(m, 'error') : number(m, 'pixelError') && number(m, 'miou'));
}

/**
 * What is wrong with a model record, or undefined: the one check for stored records and imported
 * bundles. Own properties only, every field the app reads, and the training config's own rules.
 */
export function modelRecordError(value: unknown): string | undefined {
  if (!isObject(value)) return 'is not an object';
  const text = (key: string) => typeof own(value, key) === 'string' && (own(value, key) as string).length <= 1000;
  for (const key of ['id', 'name', 'datasetId', 'datasetName']) if (!text(key)) return `has no ${key} (text)`;
  const task = own(value, 'task');
  if (task !== 'classify' && task !== 'segment') return 'has no task (classify or segment)';
  if (!STATUSES.includes(own(value, 'status') as ModelRecord['status'])) return `has an unknown status; expected one of ${STATUSES.join(', ')}`;
  for (const key of ['createdAt', 'updatedAt']) if (!Number.isFinite(own(value, key))) return `has no ${key} time`;
  if (typeof own(value, 'hasWeights') !== 'boolean') return 'does not say whether it has weights';
  const state = own(value, 'state');
  if (!isObject(state) || !Number.isInteger(own(state, 'phase')) || !Number.isInteger(own(state, 'epoch')) || !Array.isArray(own(state, 'history'))) {
    return 'has no training state (phase, epoch, history)';
  }
  const badEpoch = (own(state, 'history') as unknown[]).findIndex((e) => !isEpochRecord(e, task));
  if (badEpoch >= 0) return `has an unreadable training history (epoch ${badEpoch + 1}: its losses and ${task === 'classify' ? 'error' : 'pixel error and mean IoU'} as numbers)`;
  const config = own(value, 'config');
  if (!isObject(config)) return 'has no training config';
  const model = own(config, 'model');
  if (!isObject(model)) return 'has no model in its training config';
  const modelProblem = modelConfigError(model as unknown as ModelConfig);
  if (modelProblem) return `has a bad model config: ${modelProblem}`;
  if (own(model, 'task') !== task) return 'has a model config for another task';
  if (!Array.isArray(own(config, 'phases'))) return 'has no training phases';
  if (!(own(config, 'phases') as unknown[]).every(isObject)) return 'has a training phase that is not an object';
  const configProblem = trainConfigError(config as unknown as TrainConfig);
  if (configProblem) return `has a bad training config: ${configProblem}`;
  const decision = own(value, 'decision');
  const decisionProblem = decision === undefined ? undefined : decisionError(decision);
  if (decisionProblem) return decisionProblem;
  const samples = own(value, 'samples');
  if (samples !== undefined && !isTrainingSamples(samples, task)) return `has unreadable training samples (${task === 'classify' ? 'crack tiles' : 'grain images'}: kind, size, pixel size)`;
  return own(value, 'fineTune') === undefined ? undefined : fineTuneError(own(value, 'fineTune'));
}

/**
 * What a record's `samples` (or an older file's recipe) must hold to be used: the task's kind
 * (crack tiles for a classifier, grain images for a U-Net), a whole side no larger than its
 * generator makes, and, for grains, no pixel size or one a recipe may have.
 */
export function isTrainingSamples(value: unknown, task: ModelRecord['task']): value is TrainingSamples {
  if (!isObject(value)) return false;
  const kind = own(value, 'kind'), size = own(value, 'size'), um = own(value, 'micronsPerPixel');
  if (kind !== (task === 'classify' ? 'cracks' : 'grains') || !Number.isInteger(size) || (size as number) < 1) return false;
  return kind === 'cracks' ? (size as number) <= MAX_TILE && um === undefined : (size as number) <= MAX_SIZE && (um === undefined || !micronsPerPixelError(um));
}

/** A stored decision rule: Analyse, evaluation and the Train view apply and show every field. */
function decisionError(value: unknown): string | undefined {
  if (!isObject(value)) return 'has a decision rule that is not an object';
  for (const key of ['threshold', 'boundaryF1', 'predictedFraction', 'labelFraction']) {
    const v = own(value, key);
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) return `has a decision rule whose ${key} is not a number from 0 to 1`;
  }
  return undefined;
}

/** Most tile ids a fine-tune record may name (far above any real set a tab holds). */
const MAX_FINE_TUNE_TILES = 1_000_000;

function fineTuneError(value: unknown): string | undefined {
  if (!isObject(value)) return 'has a fine-tune source that is not an object';
  for (const key of ['parentId', 'parentName']) if (typeof own(value, key) !== 'string') return `has no fine-tune ${key} (text)`;
  const ids = (key: string) => own(value, key);
  for (const key of ['train', 'val']) {
    const list = ids(key);
    if (!Array.isArray(list) || list.length > MAX_FINE_TUNE_TILES || !list.every((id) => typeof id === 'string')) return `has no list of real ${key} tile ids`;
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The network's input channels follow the dataset: a colour dataset trains an RGB model (grey configs keep their shape). */
export function withDatasetChannels(config: TrainConfig, dataset: DatasetRecord): TrainConfig {
  const channels = recipeChannels(dataset.recipe);
  const { channels: _, ...model } = config.model;
  return { ...config, model: channels === 3 ? { ...model, channels } : model };
}

/** A new record, stored before its first epoch so that a reload mid-way leaves a resumable model. */
export function newModelRecord(dataset: DatasetRecord, config: TrainConfig, name?: string): ModelRecord {
  const task = config.model.task;
  config = withDatasetChannels(config, dataset);
  return {
    id: crypto.randomUUID(),
    name: name?.trim() || `${task === 'segment' ? 'U-Net' : 'ResNet'}-${config.model.depth} on ${dataset.name}`,
    task, datasetId: dataset.id, datasetName: dataset.name, samples: samplesOf(dataset.recipe), config, state: { phase: 0, epoch: 0, history: [] },
    status: 'stopped', createdAt: Date.now(), updatedAt: Date.now(), hasWeights: false,
  };
}

/**
 * A model that fine-tunes `parent` on the stored real tiles `split` names (training and validation
 * only; `tileSize` their commonest side, TILE when not given): the parent's network and training
 * settings, the fine-tuning schedule at `size`, no time budget. Its first training starts from the
 * parent's weights.
 */
export function newFineTuneRecord(parent: ModelRecord, split: { train: string[]; val: string[]; tileSize?: number }, size: number, name?: string): ModelRecord {
  // The parent's time budget and the phases it sized are its own; a fine-tune has phases of its own.
  const { budgetSeconds: _, budgetPhases: __, ...config } = parent.config;
  return {
    id: crypto.randomUUID(),
    name: name?.trim() || `${parent.name} + real tiles`,
    // It learns from real tiles, at scales nobody recorded: their side, no pixel size.
    task: parent.task, datasetId: parent.datasetId, datasetName: parent.datasetName, samples: { kind: parent.task === 'classify' ? 'cracks' : 'grains', size: split.tileSize || TILE },
    config: { ...config, phases: defaultFineTunePhases(size) },
    state: { phase: 0, epoch: 0, history: [] },
    status: 'stopped', createdAt: Date.now(), updatedAt: Date.now(), hasWeights: false,
    fineTune: { parentId: parent.id, parentName: parent.name, train: [...split.train], val: [...split.val] },
  };
}

/** Stopped, interrupted or failed runs continue from their last checkpoint. */
export const canResume = (m: ModelRecord) => m.status === 'stopped' || m.status === 'interrupted' || m.status === 'failed';

/**
 * On start-up: a model still marked as training was cut off by a reload or a lost device — unless
 * `isLive` says a job (in this or another tab) still owns it.
 */
export async function markInterruptedModels(db: Db, isLive: (id: string) => boolean = () => false): Promise<void> {
  for (const m of await listModels(db)) {
    if (m.status !== 'training' || isLive(m.id)) continue;
    await putModelRecord(db, { ...m, status: 'interrupted', note: `Interrupted after ${m.state.history.length} epochs; resume continues from the last checkpoint.`, updatedAt: Date.now() });
  }
}
