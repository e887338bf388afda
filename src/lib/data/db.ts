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
export const DB_VERSION = 7;

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
  /** µm per pixel: from the file's TIFF or ImageJ tags, or given by the user for the set; absent = unknown. */
  micronsPerPixel?: number;
  /** 3: the upload was in colour and its RGB is kept beside the grey; absent = grey only (every image stored before colour). */
  channels?: 3;
  createdAt: number;
}

/**
 * The pixels of a real image, or of one band of its rows: a big image is kept in parts (ids
 * `ID`, `ID#1`, `ID#2`, …) so that no stored value nears the browser's per-value limit. The first
 * part says how many there are; a record without `parts` is a whole image.
 */
export interface RealPixelsRecord {
  id: string;
  /** Grey, one byte per pixel (luma of the upload): what grey models, tiling and Analyse read. */
  pixels: Uint8Array;
  /** Colour uploads: RGB, three bytes per pixel, interleaved, for colour models. */
  colour?: Uint8Array;
  mask?: Uint8Array;
  parts?: number;
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
  /**
   * What its training samples were (from the dataset's recipe, copied when the model is made, or
   * from an exported model's recipe on import): Analyse scans and rescales at that scale also where
   * the dataset is not stored (deleted, or left on the machine that trained the model).
   */
  samples?: TrainingSamples;
}

/** A dataset's kind, sample side (px) and pixel size (µm per px), as a model record keeps them. */
export interface TrainingSamples {
  kind: 'grains' | 'cracks';
  size: number;
  micronsPerPixel?: number;
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

/** Bytes of pixels an experiment's inputs hold: its real images and masks, and the recipe's texture images. */
export function inputBytes(real: readonly import('../experiment/config').RealItem[], recipe?: Recipe): number {
  const texture = recipe?.kind === 'cracks' ? recipe.exemplars.reduce((a, e) => a + e.pixels.byteLength, 0) : 0;
  return texture + real.reduce((a, r) => a + r.image.pixels.byteLength + (r.mask?.pixels.byteLength ?? 0), 0);
}

interface Schema extends DBSchema {
  analyses: { key: string; value: import('../analysis/stored').AnalysisRecord };
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

/**
 * Opens the database, upgrading it when this version's schema is newer. An upgrade waits while
 * another tab still holds a connection of the older version (a tab opened before an update):
 * `onBlocked` is told, so the page can say why it waits instead of waiting silently.
 */
export function openDatasets(onBlocked?: () => void): Promise<Db> {
  return openDB<Schema>(DB_NAME, DB_VERSION, {
    blocked: () => onBlocked?.(),
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
      // Finished analyses (analysis/stored.ts): a new store, the others are kept as they are.
      if (oldVersion < 7) db.createObjectStore('analyses', { keyPath: 'id' });
    },
  });
}

/**
 * The largest single value SynthScope writes. Chromium refuses one serialized value over 127 MiB
 * (133,169,152 bytes; an 11,500² grey image) — older versions with an UnknownError that read as a
 * full disk, newer ones by dropping the tab — so pixels and weights are measured before writing,
 * with a few MiB left for the rest of the record.
 */
export const MAX_STORED_VALUE_BYTES = 120 * 2 ** 20;

/**
 * Inputs bigger than this are not kept (the experiment runs, but a reload ends it for good): they
 * are stored as one value, which the browser keeps only up to MAX_STORED_VALUE_BYTES. The shared
 * real sets decode to a few tens of MB.
 */
export const MAX_KEPT_INPUT_BYTES = MAX_STORED_VALUE_BYTES;

export const megabytes = (bytes: number) => `${Math.round(bytes / 2 ** 20).toLocaleString('en')} MB`;

/** The site's storage is full. `kept` says what the interrupted work left behind. */
export class StorageFullError extends Error {
  constructor(kept = '') {
    super(`No room left: the browser's storage for this site is full.${kept ? ` ${kept}` : ''} Free space by deleting datasets, models or real images you no longer need (or free disk space), then try again.`);
    this.name = 'StorageFullError';
  }
}

/** One value is bigger than the browser stores in one piece, however much room is left. */
export class ValueTooLargeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueTooLargeError';
  }
}

export function isQuotaError(e: unknown): boolean {
  return e instanceof DOMException && (e.name === 'QuotaExceededError' || e.name === 'NS_ERROR_DOM_QUOTA_REACHED');
}

/** Refuses a value of `bytes` before it is written; `what` names it and `advice` says what to do instead. */
export function checkValueSize(bytes: number, what: string, advice: string): void {
  if (bytes > MAX_STORED_VALUE_BYTES) {
    throw new ValueTooLargeError(`${what}: ${megabytes(bytes)}, too large to store (the browser keeps at most ${megabytes(MAX_STORED_VALUE_BYTES)} in one piece). ${advice}`);
  }
}

export interface WriteContext {
  /** The transaction written in: a request that failed because it aborted takes the transaction's reason. */
  tx?: { readonly error: DOMException | null };
  /** What is kept when the disk is full ("Samples stored so far are kept."). */
  kept?: string;
}

/**
 * What a failed IndexedDB write means, as an error the user can act on — the one classifier that
 * every write path uses: a full disk (StorageFullError), one value too large for the browser
 * (ValueTooLargeError), or any other error with its own message.
 */
export function storageError(e: unknown, context: WriteContext = {}): Error {
  if (e instanceof StorageFullError || e instanceof ValueTooLargeError) return e;
  const reason = e instanceof DOMException && e.name === 'AbortError' && context.tx?.error ? context.tx.error : e;
  if (isQuotaError(reason)) return new StorageFullError(context.kept);
  if (reason instanceof DOMException && /too large/i.test(reason.message)) {
    return new ValueTooLargeError(`One value is too large for the browser to store (${reason.message}). Store smaller pieces: crop or downscale the image, or use a smaller model.`);
  }
  return reason instanceof Error ? reason : new Error(String(reason));
}

/** Runs one write (its own transaction), turning a failure, thrown at once or later, into what `storageError` says it is. */
export async function writing<T>(work: () => Promise<T>, kept?: string): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw storageError(e, { kept });
  }
}

/**
 * Issues a transaction's writes and waits for its commit: all or nothing. A write that throws at
 * once aborts the transaction (the browser only aborts by itself on a failed request or commit),
 * every request is waited for so none rejects unheard, and the failure is classified.
 */
export async function commit(tx: { readonly done: Promise<void>; readonly error: DOMException | null; abort(): void },
  writes: readonly (() => Promise<unknown>)[], kept?: string): Promise<void> {
  const pending: Promise<unknown>[] = [];
  try {
    for (const write of writes) pending.push(write());
    pending.push(tx.done);
    await Promise.all(pending);
  } catch (e) {
    try {
      tx.abort();
    } catch {
      // already aborted or finished
    }
    await Promise.allSettled([...pending, tx.done]);
    throw storageError(e, { tx, kept });
  }
}

/** Stores an experiment record; a full disk keeps the results stored before (db.ts `storageError`). */
export async function putExperiment(db: Db, record: ExperimentRecord): Promise<void> {
  await writing(() => db.put('experiments', record), 'Results stored before are kept.');
}

/** Readable dataset records, newest first (damaged ones are listed apart: records.ts). */
export async function listDatasets(db: Db): Promise<DatasetRecord[]> {
  return (await readRecords(db, 'datasets')).records;
}

export async function putDataset(db: Db, dataset: DatasetRecord): Promise<void> {
  await writing(() => db.put('datasets', dataset));
}

export async function getDataset(db: Db, id: string): Promise<DatasetRecord | undefined> {
  return db.get('datasets', id);
}

const SAMPLES_KEPT = 'Samples stored so far are kept; resume the dataset once there is room.';

/** Stores a batch in one transaction: on a full disk the batch is rolled back and nothing else is touched. */
export async function putSamples(db: Db, samples: readonly SampleRecord[]): Promise<void> {
  const tx = db.transaction('samples', 'readwrite');
  await commit(tx, samples.map((s) => () => tx.store.put(s)), SAMPLES_KEPT);
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
