/** "Match my images" from the UI: one small worker measures the user's micrographs (decoding included). */
import { EngineClient, type Method, type WorkerLike } from '../lib/engine/rpc';
import type { GrainMatch, MatchOptions } from '../lib/synth/grains/match';

export type MatchApi = {
  /**
   * The match, each image's width (px) for scaling lengths to another resolution, and each image's
   * pixel size where its file states one (TIFF tags), else null.
   */
  matchGrains: Method<{ files: { name: string; bytes: Uint8Array }[]; size: MatchOptions['size'] }, never, GrainMatch & { widths: number[]; micronsPerPixel: (number | null)[] }>;
};

export const matcher = new EngineClient<MatchApi>({
  start: () => new Worker(new URL('../workers/match.worker.ts', import.meta.url), { type: 'module', name: 'match' }) as unknown as WorkerLike,
});

/** Measures image files (PNG, JPEG or TIFF) for generation at `size` (the user's) px, or as large as they are ('native'). */
export async function matchFiles(files: File[], size: MatchOptions['size'], signal?: AbortSignal) {
  return matchBytes(await Promise.all(files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) }))), size, signal);
}

/** The same for files already read (copies of their bytes go to the worker; the caller keeps its own). */
export async function matchBytes(files: { name: string; bytes: Uint8Array }[], size: MatchOptions['size'], signal?: AbortSignal) {
  const payload = files.map((f) => ({ name: f.name, bytes: f.bytes.slice() }));
  return matcher.call('matchGrains', { files: payload, size }, { signal, label: 'Matching images', transfer: payload.map((p) => p.bytes.buffer) });
}
