/**
 * Image files and zips from the UI, read in a worker so a big PNG, TIFF or zip never blocks the
 * page. The bytes given are handed to the worker (transferred): the caller's copy is spent.
 */
import type { Channels, FileEntry } from '../lib/data/decodeImage';
import type { GreyImage } from '../lib/data/tiling';
import { CancelledError, EngineClient, type Method, type Outcome, type WorkerLike } from '../lib/engine/rpc';

export type DecodedImage = GreyImage & { note?: string; micronsPerPixel?: number; colour?: Uint8Array };

export type FilesApi = {
  /** Grey pixels of one PNG, JPEG or TIFF (decodeImage); RGB when `channels` is 3. */
  decode: Method<FileEntry & { channels?: Channels; keepColour?: boolean; mask?: boolean }, never, DecodedImage>;
  /** The entries of a real-data zip, opened within REAL_DATA_ZIP's budget. */
  unzip: Method<{ bytes: Uint8Array; name: string }, never, FileEntry[]>;
};

const reader = new EngineClient<FilesApi>({
  start: () => new Worker(new URL('../workers/files.worker.ts', import.meta.url), { type: 'module', name: 'files' }) as unknown as WorkerLike,
});

function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.status === 'done') return outcome.result;
  if (outcome.status === 'cancelled') throw new CancelledError();
  throw new Error(outcome.message);
}

export async function decodeFile(entry: FileEntry & { keepColour?: boolean; mask?: boolean }, signal?: AbortSignal, channels: Channels = 1): Promise<DecodedImage> {
  return unwrap(await reader.call('decode', { ...entry, channels }, { signal, label: `Reading ${entry.path}`, transfer: [entry.bytes.buffer as ArrayBuffer] }));
}

export async function unzipFile(bytes: Uint8Array, name: string, signal?: AbortSignal): Promise<FileEntry[]> {
  return unwrap(await reader.call('unzip', { bytes, name }, { signal, label: `Opening ${name}`, transfer: [bytes.buffer as ArrayBuffer] }));
}
