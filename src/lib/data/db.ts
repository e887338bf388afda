/**
 * Datasets in IndexedDB. Recipes and samples live in separate stores so listing datasets never
 * loads pixels; samples hold uint8 images and labels, never float32. The schema is versioned:
 * bump DB_VERSION and add a step to `upgrade` rather than changing a store in place.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { CrackLabel } from '../synth/cracks/index';
import type { Recipe, SampleParams } from '../synth/recipe';

export const DB_NAME = 'synthscope';
export const DB_VERSION = 1;

export interface DatasetRecord {
  id: string;
  name: string;
  kind: Recipe['kind'];
  recipe: Recipe;
  createdAt: number;
  /** Samples stored so far (a cancelled or interrupted run keeps what it made). */
  stored: number;
  bytes: number;
  status: 'generating' | 'complete' | 'cancelled' | 'incomplete';
  /** Each stored sample's hash, by index: enough to fingerprint the dataset without reading pixels. */
  hashes: number[];
  /** Fingerprint of the samples in index order, set once the dataset is complete. */
  fingerprint?: string;
  /** Why the dataset stopped short, in words a user can act on. */
  note?: string;
}

export interface SampleRecord {
  datasetId: string;
  index: number;
  name: string;
  seed: number;
  params: SampleParams;
  /** Crack tiles: the class. */
  label?: CrackLabel;
  image: Uint8Array;
  /** Label mask: 255 = grain boundary or crack. */
  mask: Uint8Array;
  hash: number;
}

interface Schema extends DBSchema {
  datasets: { key: string; value: DatasetRecord };
  samples: { key: [string, number]; value: SampleRecord; indexes: { byDataset: string } };
}

export type Db = IDBPDatabase<Schema>;

export function openDatasets(): Promise<Db> {
  return openDB<Schema>(DB_NAME, DB_VERSION, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        db.createObjectStore('datasets', { keyPath: 'id' });
        db.createObjectStore('samples', { keyPath: ['datasetId', 'index'] }).createIndex('byDataset', 'datasetId');
      }
    },
  });
}

export class StorageFullError extends Error {
  constructor() {
    super('The browser has no room left for this site. Samples stored so far are kept; delete a dataset or free disk space, then generate again.');
    this.name = 'StorageFullError';
  }
}

function isQuotaError(e: unknown): boolean {
  return e instanceof DOMException && (e.name === 'QuotaExceededError' || e.name === 'NS_ERROR_DOM_QUOTA_REACHED');
}

export async function listDatasets(db: Db): Promise<DatasetRecord[]> {
  return (await db.getAll('datasets')).sort((a, b) => b.createdAt - a.createdAt);
}

export async function putDataset(db: Db, dataset: DatasetRecord): Promise<void> {
  try {
    await db.put('datasets', dataset);
  } catch (e) {
    throw isQuotaError(e) ? new StorageFullError() : e;
  }
}

export async function getDataset(db: Db, id: string): Promise<DatasetRecord | undefined> {
  return db.get('datasets', id);
}

/** Stores a batch in one transaction: on a full disk the batch is rolled back and nothing else is touched. */
export async function putSamples(db: Db, samples: readonly SampleRecord[]): Promise<void> {
  const tx = db.transaction('samples', 'readwrite');
  try {
    await Promise.all([...samples.map((s) => tx.store.put(s)), tx.done]);
  } catch (e) {
    if (isQuotaError(e) || (e instanceof DOMException && e.name === 'AbortError' && isQuotaError(tx.error))) {
      throw new StorageFullError();
    }
    throw e;
  }
}

export async function getSample(db: Db, datasetId: string, index: number): Promise<SampleRecord | undefined> {
  return db.get('samples', [datasetId, index]);
}

/** Samples [from, to) of a dataset, for one gallery page. */
export async function getSamplePage(db: Db, datasetId: string, from: number, to: number): Promise<SampleRecord[]> {
  return db.getAll('samples', IDBKeyRange.bound([datasetId, from], [datasetId, to], false, true));
}

export async function renameDataset(db: Db, id: string, name: string): Promise<void> {
  const trimmed = name.trim();
  if (!trimmed) throw new Error('A dataset name cannot be empty.');
  const dataset = await db.get('datasets', id);
  if (!dataset) throw new Error('That dataset no longer exists.');
  await putDataset(db, { ...dataset, name: trimmed });
}

export async function deleteDataset(db: Db, id: string): Promise<void> {
  const tx = db.transaction(['datasets', 'samples'], 'readwrite');
  await Promise.all([
    tx.objectStore('samples').delete(IDBKeyRange.bound([id, 0], [id, Infinity])),
    tx.objectStore('datasets').delete(id),
    tx.done,
  ]);
}
