/**
 * Generating a dataset into IndexedDB: the worker pool makes samples, this stores them in
 * batches, keeps the dataset record's counters current, and reports progress. Samples depend
 * only on (recipe, index), so an interrupted dataset is resumed by making the missing indices.
 */
import { datasetFingerprint } from '../lib/synth/dataset';
import { validateAnyRecipe, type Recipe } from '../lib/synth/recipe';
import {
  getDataset, putDataset, putSamples, StorageFullError,
  type DatasetRecord, type Db, type SampleRecord,
} from '../lib/data/db';
import { changeChannel } from './changes';
import { asOwner, heldLocks } from './ownerLock';
import { CancelledError, type SynthPool } from './synthPool';

export interface Progress {
  done: number;
  total: number;
  perSecond: number;
  etaSeconds: number;
}

export interface JobOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Called with a snapshot of the dataset record whenever more samples are stored. */
  onStored?: (dataset: DatasetRecord) => void;
}

const BATCH = 16;

export async function createDataset(db: Db, pool: SynthPool, recipe: Recipe, name: string,
  options: JobOptions = {}): Promise<DatasetRecord> {
  validateAnyRecipe(recipe);
  const dataset: DatasetRecord = {
    id: crypto.randomUUID(), name: name.trim() || 'Untitled dataset', kind: recipe.kind, recipe,
    createdAt: Date.now(), stored: 0, bytes: 0, status: 'generating', hashes: [],
  };
  await putDataset(db, dataset);
  return fill(db, pool, dataset, Array.from({ length: recipe.count }, (_, i) => i), options);
}

/** Makes the samples a cancelled or interrupted dataset lacks. */
export async function resumeDataset(db: Db, pool: SynthPool, id: string, options: JobOptions = {}): Promise<DatasetRecord> {
  const dataset = await getDataset(db, id);
  if (!dataset) throw new Error('That dataset no longer exists.');
  const have = new Set((await db.getAllKeys('samples', IDBKeyRange.bound([id, 0], [id, Infinity]))).map((k) => k[1]));
  const missing = Array.from({ length: dataset.recipe.count }, (_, i) => i).filter((i) => !have.has(i));
  // Samples are stored before the record that counts them: a reload (or a full disk) between the
  // two leaves samples the record has no hash and no bytes for. They are counted in now, so the
  // finished dataset's fingerprint and size are an uninterrupted run's.
  const hashes = [...dataset.hashes];
  let bytes = dataset.bytes;
  for (const index of have) {
    if (hashes[index]) continue;
    const sample = await db.get('samples', [id, index]);
    if (!sample) continue;
    hashes[index] = sample.hash;
    bytes += sample.image.byteLength + sample.mask.byteLength;
  }
  return fill(db, pool, { ...dataset, hashes, bytes, stored: have.size, status: 'generating', note: undefined }, missing, options);
}

/**
 * One owner per generation across tabs (ownerLock.ts): a job holds a Web Lock named after its
 * dataset for as long as it runs. Another tab sees the lock held and shows the dataset as
 * generating (no Resume), and a resume there is refused while it is held. A BroadcastChannel tells
 * other tabs to re-read the list (changes.ts).
 */
const lockName = (id: string) => `synthscope-dataset-${id}`;
const changes = changeChannel('datasets');

/** Calls `onChange` when another tab stores dataset changes; returns a function that stops listening. */
export const onDatasetChanges = (onChange: () => void): (() => void) => changes.listen(onChange);

async function store(db: Db, dataset: DatasetRecord): Promise<void> {
  await putDataset(db, dataset);
  changes.announce(dataset.id);
}

/** On start-up: a dataset still marked as generating was cut off by a reload or a crash, unless a live job owns it. */
export async function markInterrupted(db: Db, datasets: DatasetRecord[]): Promise<void> {
  const owned = await heldLocks();
  for (const d of datasets.filter((d) => d.status === 'generating' && !owned.has(lockName(d.id)))) {
    d.status = 'incomplete';
    d.note = `Interrupted (page closed or reloaded) after ${d.stored} of ${d.recipe.count} samples; resume to finish it.`;
    await putDataset(db, d);
  }
}

function fill(db: Db, pool: SynthPool, dataset: DatasetRecord, indices: number[], options: JobOptions): Promise<DatasetRecord> {
  return asOwner(lockName(dataset.id), 'This dataset is being generated in another tab; it finishes there (or resume it here once that tab is closed).',
    () => fillOwned(db, pool, dataset, indices, options));
}

async function fillOwned(db: Db, pool: SynthPool, dataset: DatasetRecord, indices: number[], options: JobOptions): Promise<DatasetRecord> {
  await store(db, dataset);
  options.onStored?.({ ...dataset });
  const started = performance.now();
  let made = 0;
  let batch: SampleRecord[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const records = batch;
    batch = [];
    await putSamples(db, records);
    dataset.stored += records.length;
    for (const r of records) {
      dataset.bytes += r.image.byteLength + r.mask.byteLength;
      dataset.hashes[r.index] = r.hash;
    }
    await store(db, dataset);
    options.onStored?.({ ...dataset });
  };
  try {
    await pool.run(dataset.recipe, indices, async (sample) => {
      batch.push({ datasetId: dataset.id, ...sample });
      made++;
      const seconds = (performance.now() - started) / 1000;
      const perSecond = made / Math.max(seconds, 1e-3);
      options.onProgress?.({ done: made, total: indices.length, perSecond, etaSeconds: (indices.length - made) / perSecond });
      if (batch.length >= BATCH) await flush();
    }, options.signal);
    await flush();
    dataset.status = 'complete';
    dataset.fingerprint = datasetFingerprint(dataset.hashes);
  } catch (e) {
    if (e instanceof CancelledError) {
      await flush().catch(() => undefined); // keep what was finished before the cancel
      dataset.status = 'cancelled';
      dataset.note = `Cancelled after ${dataset.stored} of ${dataset.recipe.count} samples; resume to finish it.`;
    } else {
      dataset.status = 'incomplete';
      dataset.note = e instanceof StorageFullError ? e.message : `Stopped: ${(e as Error).message}`;
    }
    await store(db, dataset).catch(() => undefined); // a full disk may refuse even this; the samples stay
    options.onStored?.({ ...dataset });
    if (!(e instanceof CancelledError)) throw e;
  }
  await store(db, dataset);
  options.onStored?.({ ...dataset });
  return dataset;
}
