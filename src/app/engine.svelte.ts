/**
 * The one engine worker of this tab and its job list. Every view calls the engine through
 * `engine.call(...)`; calls queue, run one at a time, and wait for jobs in other tabs of the app
 * (Web Locks), so two tabs never train on the same GPU at once.
 */
import type { EngineApi } from '../lib/engine/api';
import { EngineClient, type JobInfo, type Lock, type WorkerLike } from '../lib/engine/rpc';

const LOCK_NAME = 'synthscope-engine';

const webLock: Lock | undefined = typeof navigator !== 'undefined' && navigator.locks
  ? (signal, fn) => navigator.locks.request(LOCK_NAME, { signal }, fn).then(() => true, (e) => {
      if (signal.aborted) return false;
      throw e;
    })
  : undefined;

class JobList {
  jobs = $state<JobInfo[]>([]);
}
export const engineJobs = new JobList();

export const engine = new EngineClient<EngineApi>({
  start: () => new Worker(new URL('../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'engine' }) as unknown as WorkerLike,
  lock: webLock,
  onJobs: (jobs) => (engineJobs.jobs = jobs),
});

/** Whether a job holds the engine lock right now, in this tab or another (so its records are live). */
export async function engineBusy(): Promise<boolean> {
  if (typeof navigator === 'undefined' || !navigator.locks) return false;
  return (await navigator.locks.query()).held?.some((l) => l.name === LOCK_NAME) ?? false;
}
