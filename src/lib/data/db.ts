/**
 * Datasets in IndexedDB. Recipes and samples live in separate stores so listing datasets never
 * loads pixels; samples hold uint8 images and labels, never float32. The schema is versioned:
 * bump DB_VERSION and add a step to `upgrade` rather than changing a store in place.
 */
import { readRecords } from './records';
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { CrackLabel } from '../synth/cracks/index';
import type { Recipe, SampleParams } from '../synth/recipe';

export const DB_NAME = 'synthscope';
export const DB_VERSION = 6;

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

/** A real image the user brought: metadata here, pixels in `realPixels` so listing stays cheap. */
export interface RealImageRecord {
  id: string;
  name: string;
  width: number;
  height: number;
  /** It came with a crack mask (image + mask import). */
  hasMask: boolean;
  createdAt: number;
}

export interface RealPixelsRecord {
  id: string;
  /** Grey, one byte per pixel. */
  pixels: Uint8Array;
  mask?: Uint8Array;
}

/** A tile cut from a real image; its id is image:x:y, so one position is one tile. */
export interface TileRecord {
  id: string;
  imageId: string;
  x: number;
  y: number;
  size: number;
  label: CrackLabel | null;
  pinnedTest: boolean;
  createdAt: number;
}

/** A crack traced on a tile: the clicked polyline in tile coordinates. */
export interface TraceRecord {
  id: string;
  tileId: string;
  points: number[];
  createdAt: number;
}

/** A trained (or training) model: its recipe for training, where it is, and how well it does. */
export interface ModelRecord {
  id: string;
  name: string;
  task: 'classify' | 'segment';
  datasetId: string;
  datasetName: string;
  /** The TrainConfig, as plain data. */
  config: import('../ml/config').TrainConfig;
  /** Segmentation: the threshold picked on synthetic validation after training. */
  decision?: import('../ml/config').Decision;
  state: import('../ml/config').TrainState;
  status: 'training' | 'stopped' | 'complete' | 'interrupted' | 'failed' | 'imported';
  /** Backend it last trained on. */
  backend?: string;
  note?: string;
  createdAt: number;
  updatedAt: number;
  /** Whether weights are stored (after the first epoch, or on import). */
  hasWeights: boolean;
  /** Fine-tuned on the user's stored real tiles, starting from another model's weights. */
  fineTune?: FineTuneSource;
}

/**
 * The real data a fine-tuned model learns from: the ids of the stored tiles it trains and
 * validates on, fixed when it is made, so a resume uses the same tiles and an evaluation can tell
 * whether a test tile was seen in training (after the split or the pins changed).
 */
export interface FineTuneSource {
  parentId: string;
  parentName: string;
  train: string[];
  val: string[];
}

/** Adam's step count and moments at a model's last checkpoint, so a resume continues the same trajectory. */
export interface OptimizerStateRecord {
  /** The model's id. */
  id: string;
  weights: import('../ml/config').OptimizerWeights;
}

/** An experiment and its results so far. */
export interface ExperimentRecord {
  id: string;
  name: string;
  createdAt: number;
  status: 'running' | 'complete' | 'cancelled' | 'failed' | 'interrupted';
  results: import('../experiment/summary').ExperimentResults;
  note?: string;
  /** Its inputs are kept in `experimentInputs`, so an unfinished experiment can resume. */
  resumable?: boolean;
}

/**
 * What an unfinished experiment needs to resume after a reload, when the folders it read are gone:
 * the recipe and the real images themselves. Apart from the record, so listing never loads pixels;
 * deleted once the experiment completes or is deleted.
 */
export interface ExperimentInputsRecord {
  /** The experiment's id. */
  id: string;
  recipe: Recipe;
  real: import('../experiment/config').RealItem[];
}

/**
 * Real data bigger than this is not kept (the experiment runs, but a reload ends it for good): a
 * write of that size takes seconds and the space is the user's. The shared real sets decode to a
 * few tens of MB.
 */
export const MAX_KEPT_INPUT_BYTES = 256 * 2 ** 20;

/** Bytes of pixels an experiment's inputs hold. */
export function inputBytes(real: readonly import('../experiment/config').RealItem[]): number {
  return real.reduce((a, r) => a + r.image.pixels.byteLength + (r.mask?.pixels.byteLength ?? 0), 0);
}

interface Schema extends DBSchema {
  experiments: { key: string; value: ExperimentRecord };
  experimentInputs: { key: string; value: ExperimentInputsRecord };
  models: { key: string; value: ModelRecord };
  optimizerStates: { key: string; value: OptimizerStateRecord };
  datasets: { key: string; value: DatasetRecord };
  samples: { key: [string, number]; value: SampleRecord; indexes: { byDataset: string } };
  realImages: { key: string; value: RealImageRecord };
  realPixels: { key: string; value: RealPixelsRecord };
  tiles: { key: string; value: TileRecord; indexes: { byImage: string } };
  traces: { key: string; value: TraceRecord; indexes: { byTile: string } };
  settings: { key: string; value: { key: string; value: unknown } };
}

export type Db = IDBPDatabase<Schema>;

export function openDatasets(): Promise<Db> {
  return openDB<Schema>(DB_NAME, DB_VERSION, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        db.createObjectStore('datasets', { keyPath: 'id' });
        db.createObjectStore('samples', { keyPath: ['datasetId', 'index'] }).createIndex('byDataset', 'datasetId');
      }
      if (oldVersion < 2) {
        db.createObjectStore('realImages', { keyPath: 'id' });
        db.createObjectStore('realPixels', { keyPath: 'id' });
        db.createObjectStore('tiles', { keyPath: 'id' }).createIndex('byImage', 'imageId');
        db.createObjectStore('traces', { keyPath: 'id' }).createIndex('byTile', 'tileId');
        db.createObjectStore('settings', { keyPath: 'key' });
      }
      if (oldVersion < 3) db.createObjectStore('models', { keyPath: 'id' });
      if (oldVersion < 4) db.createObjectStore('experiments', { keyPath: 'id' });
      if (oldVersion < 5) db.createObjectStore('optimizerStates', { keyPath: 'id' });
      if (oldVersion < 6) db.createObjectStore('experimentInputs', { keyPath: 'id' });
    },
  });
}

export class StorageFullError extends Error {
  constructor() {
    super('The browser has no room left for this site. Samples stored so far are kept; delete a dataset or free disk space, then generate again.');
    this.name = 'StorageFullError';
  }
}

export function isQuotaError(e: unknown): boolean {
  return e instanceof DOMException && (e.name === 'QuotaExceededError' || e.name === 'NS_ERROR_DOM_QUOTA_REACHED');
}

/** Readable dataset records, newest first (damaged ones are listed apart: records.ts). */
export async function listDatasets(db: Db): Promise<DatasetRecord[]> {
  return (await readRecords(db, 'datasets')).records;
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

/** An experiment record and the inputs kept for its resume, together. */
export async function deleteExperiment(db: Db, id: string): Promise<void> {
  const tx = db.transaction(['experiments', 'experimentInputs'], 'readwrite');
  await Promise.all([tx.objectStore('experiments').delete(id), tx.objectStore('experimentInputs').delete(id), tx.done]);
}

/** Once an experiment completes, what it kept for a resume is no longer needed. */
export async function deleteExperimentInputs(db: Db, id: string): Promise<void> {
  await db.delete('experimentInputs', id);
}
