/**
 * One owner per long job across tabs (a dataset's generation, an experiment): the job holds a Web
 * Lock named after what it works on for as long as it runs. The lock goes with the page, so on
 * start-up a record marked as running whose lock nobody holds was cut off (reload, crash, closed
 * tab), while a held one is live in another tab and is left alone.
 */

/** Runs `job` holding the lock `name`, or throws `busy` when another tab holds it. */
export async function asOwner<T>(name: string, busy: string, job: () => Promise<T>): Promise<T> {
  if (typeof navigator === 'undefined' || !navigator.locks) return job();
  return navigator.locks.request(name, { ifAvailable: true }, async (lock) => {
    if (!lock) throw new Error(busy);
    return job();
  });
}

/** Names of the locks some tab holds right now. */
export async function heldLocks(): Promise<Set<string>> {
  if (typeof navigator === 'undefined' || !navigator.locks) return new Set();
  const { held = [] } = await navigator.locks.query();
  return new Set(held.map((l) => l.name ?? ''));
}
