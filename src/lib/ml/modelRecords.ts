/**
 * The lifecycle of a model record in SynthScope's IndexedDB, with no TF.js: create, list, mark
 * interrupted after a reload, and what can be done with a record in each status. Weights live
 * apart (modelStore.ts), handled by the engine worker.
 */
import type { DatasetRecord, Db, ModelRecord } from '../data/db';
import type { TrainConfig } from './config';

export async function listModels(db: Db): Promise<ModelRecord[]> {
  return (await db.getAll('models')).sort((a, b) => b.createdAt - a.createdAt);
}

/** A new record, stored before its first epoch so that a reload mid-way leaves a resumable model. */
export function newModelRecord(dataset: DatasetRecord, config: TrainConfig, name?: string): ModelRecord {
  const task = config.model.task;
  return {
    id: crypto.randomUUID(),
    name: name?.trim() || `${task === 'segment' ? 'U-Net' : 'ResNet'}-${config.model.depth} on ${dataset.name}`,
    task, datasetId: dataset.id, datasetName: dataset.name, config, state: { phase: 0, epoch: 0, history: [] },
    status: 'stopped', createdAt: Date.now(), updatedAt: Date.now(), hasWeights: false,
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
    await db.put('models', { ...m, status: 'interrupted', note: `Interrupted after ${m.state.history.length} epochs; resume continues from the last checkpoint.`, updatedAt: Date.now() });
  }
}
