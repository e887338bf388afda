/**
 * A pool of synthesis workers (hardware concurrency − 1, at least 1; the UI thread keeps a core).
 * Workers start lazily; cancelling terminates them so work stops at once, and the next job
 * starts fresh ones. Each worker keeps two requests in flight so it never waits on a round trip.
 * Runs take turns (Generate, Resume and Try it share one pool): a second run waits for the first
 * to end, and its cancel ends the wait at once.
 */
import { CancelledError } from '../lib/engine/rpc';
import type { Recipe, Sample } from '../lib/synth/recipe';
import type { SynthReply, SynthRequest } from '../workers/protocol';

export function defaultPoolSize(): number {
  return Math.max(1, (navigator.hardwareConcurrency || 2) - 1);
}

export const createSynthWorker = () =>
  new Worker(new URL('../workers/synth.worker.ts', import.meta.url), { type: 'module', name: 'synth' });

export { CancelledError };

const IN_FLIGHT_PER_WORKER = 2;

export class SynthPool {
  private workers: Worker[] = [];
  /** Settles when the last run given so far has ended (either way). */
  private turn: Promise<void> = Promise.resolve();

  /** `start` makes a worker (tests give a fake one). */
  constructor(readonly size = defaultPoolSize(), private readonly start: () => Worker = createSynthWorker) {}

  /**
   * Makes every index in `indices` and hands each sample to `onSample` (awaited, so a slow
   * consumer such as storage slows the workers instead of piling samples up in memory).
   */
  async run(recipe: Recipe, indices: readonly number[], onSample: (s: Sample) => void | Promise<void>,
    signal?: AbortSignal): Promise<void> {
    const before = this.turn;
    let end!: () => void;
    this.turn = new Promise<void>((resolve) => (end = resolve));
    try {
      await untilOrCancelled(before, signal);
      await this.runNow(recipe, indices, onSample, signal);
    } finally {
      // A run cancelled while it waited still hands on its turn only after the one before it ends.
      void before.then(end);
    }
  }

  /** One run with the pool to itself: the workers' handlers are this run's alone. */
  private runNow(recipe: Recipe, indices: readonly number[], onSample: (s: Sample) => void | Promise<void>,
    signal?: AbortSignal): Promise<void> {
    if (this.workers.length === 0) this.workers = Array.from({ length: this.size }, () => this.start());
    return new Promise<void>((resolve, reject) => {
      let next = 0, finished = 0, nextId = 0, failed = false;
      const done = (error?: Error) => {
        if (failed) return;
        failed = error !== undefined;
        for (const w of this.workers) w.onmessage = w.onerror = null;
        signal?.removeEventListener('abort', abort);
        if (error) {
          this.terminate();
          reject(error);
        } else resolve();
      };
      // A cancel waits for the samples being handed over (a batch being stored): ending before them,
      // the job reported counts that the store then changed.
      let handing = 0, cancelled = false;
      const abort = () => {
        cancelled = true;
        if (handing === 0) done(new CancelledError());
      };
      if (signal?.aborted) return abort();
      signal?.addEventListener('abort', abort);
      if (indices.length === 0) return done();

      const send = (worker: Worker) => {
        if (next >= indices.length) return;
        const request: SynthRequest = { id: nextId++, recipe, index: indices[next++] };
        worker.postMessage(request);
      };
      for (const worker of this.workers) {
        worker.onmessage = async (event: MessageEvent<SynthReply>) => {
          const reply = event.data;
          if (cancelled) return; // made after the cancel: not handed over
          if (!reply.ok) return done(new Error(`Generating a sample failed: ${reply.message}`));
          handing++;
          try {
            await onSample(reply.sample);
          } catch (e) {
            return done(e instanceof Error ? e : new Error(String(e)));
          } finally {
            handing--;
          }
          if (cancelled) return handing === 0 ? done(new CancelledError()) : undefined;
          if (failed) return;
          if (++finished === indices.length) return done();
          send(worker);
        };
        worker.onerror = (event) => done(new Error(`A generator worker crashed: ${event.message || 'unknown error'}`));
        for (let k = 0; k < IN_FLIGHT_PER_WORKER; k++) send(worker);
      }
    });
  }

  terminate(): void {
    for (const w of this.workers) w.terminate();
    this.workers = [];
  }
}

/** Waits for `previous`, or rejects with CancelledError as soon as `signal` aborts. */
function untilOrCancelled(previous: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new CancelledError());
  if (!signal) return previous;
  return new Promise<void>((resolve, reject) => {
    const abort = () => reject(new CancelledError());
    signal.addEventListener('abort', abort, { once: true });
    previous.then(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    });
  });
}
