/** The engine RPC over a real MessageChannel: outcomes, progress, cancel, queueing, transfers, locks. */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { cancellationPoint, CancelledError, EngineClient, serve, throwIfCancelled, transfer, type Lock, type Method, type WorkerLike } from '../../src/lib/engine/rpc';

type Api = {
  add: Method<{ a: number; b: number }, never, number>;
  count: Method<{ to: number; delayMs: number }, number, string>;
  fail: Method<{ inCatch: boolean }, never, void>;
  bytes: Method<{ data: Uint8Array }, never, Uint8Array>;
  stubborn: Method<Record<string, never>, never, void>;
  busy: Method<Record<string, never>, number, void>;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ports: MessagePort[] = [];
let running = 0, maxRunning = 0, started = 0, terminated = 0;

function worker(): WorkerLike {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  started++;
  serve<Api>(port2 as unknown as WorkerLike, {
    add: async ({ a, b }) => a + b,
    count: async ({ to, delayMs }, ctx) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      try {
        for (let i = 1; i <= to; i++) {
          throwIfCancelled(ctx.signal);
          ctx.progress(i);
          await sleep(delayMs);
        }
        return `counted to ${to}`;
      } finally {
        running--;
      }
    },
    fail: async ({ inCatch }) => {
      try {
        throw new Error('first');
      } catch (e) {
        if (inCatch) throw new Error(`while handling "${(e as Error).message}": the disk is full`);
      }
      throw new Error('the dataset was deleted');
    },
    bytes: async ({ data }) => {
      const out = Uint8Array.from(data, (v) => 255 - v);
      return transfer(out, [out.buffer]);
    },
    stubborn: () => new Promise(() => undefined), // never ends, ignores its signal
    busy: async (_, ctx) => {
      // Only microtask awaits, as on the WASM backend: the cancel gets in at cancellation points.
      for (let i = 0; ; i++) {
        for (let k = 0; k < 1000; k++) await Promise.resolve();
        if (i % 10 === 0) ctx.progress(i);
        await cancellationPoint(ctx.signal);
      }
    },
  });
  const endpoint = port1 as unknown as WorkerLike;
  endpoint.terminate = () => {
    terminated++;
    port1.close();
  };
  port1.start();
  port2.start();
  return endpoint;
}

afterEach(() => {
  for (const p of ports.splice(0)) p.close();
  running = maxRunning = started = terminated = 0;
});

describe('engine RPC', () => {
  it('returns results, reports progress, and starts its worker lazily, once', async () => {
    const client = new EngineClient<Api>({ start: worker });
    expect(started).toBe(0);
    expect(await client.call('add', { a: 2, b: 3 })).toEqual({ status: 'done', result: 5 });
    const seen: number[] = [];
    expect(await client.call('count', { to: 3, delayMs: 1 }, { onProgress: (n) => seen.push(n) })).toEqual({ status: 'done', result: 'counted to 3' });
    expect(seen).toEqual([1, 2, 3]);
    expect(started).toBe(1);
    client.dispose();
  });

  it('an error thrown in the worker, even inside a catch block, reaches the caller with its message', async () => {
    const client = new EngineClient<Api>({ start: worker });
    expect(await client.call('fail', { inCatch: false })).toEqual({ status: 'error', message: 'the dataset was deleted' });
    expect(await client.call('fail', { inCatch: true })).toEqual({ status: 'error', message: 'while handling "first": the disk is full' });
    expect(await client.call('add', { a: 1, b: 1 })).toEqual({ status: 'done', result: 2 }); // still usable
    client.dispose();
  });

  it('a cancelled running job ends as cancelled, not as a result or an error', async () => {
    const client = new EngineClient<Api>({ start: worker });
    const controller = new AbortController();
    const seen: number[] = [];
    const call = client.call('count', { to: 1000, delayMs: 2 }, { signal: controller.signal, onProgress: (n) => seen.push(n) });
    await sleep(30);
    controller.abort();
    expect(await call).toEqual({ status: 'cancelled' });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(1000);
    client.dispose();
  });

  it('calls queue, one at a time, in order; a queued job cancels at once without running', async () => {
    const jobs: string[][] = [];
    const client = new EngineClient<Api>({ start: worker, onJobs: (j) => jobs.push(j.map((x) => `${x.label}:${x.state}`)) });
    const order: string[] = [];
    const a = client.call('count', { to: 5, delayMs: 5 }, { label: 'a' }).then((o) => (order.push('a'), o));
    const b = client.call('count', { to: 5, delayMs: 5 }, { label: 'b' }).then((o) => (order.push('b'), o));
    const c = client.call('count', { to: 5, delayMs: 5 }, { label: 'c' }).then((o) => (order.push('c'), o));
    expect(client.jobs.map((j) => `${j.label}:${j.state}`)).toEqual(['a:running', 'b:queued', 'c:queued']);
    client.cancel(client.jobs[1].id);
    expect((await Promise.all([a, b, c])).map((o) => o.status)).toEqual(['done', 'cancelled', 'done']);
    expect(order).toEqual(['b', 'a', 'c']);
    expect(maxRunning).toBe(1);
    expect(jobs.at(-1)).toEqual([]);
    client.dispose();
  });

  it('a job whose awaits are all microtasks still sees its cancel at a cancellation point', async () => {
    const client = new EngineClient<Api>({ start: worker, cancelGraceMs: 60_000 });
    const controller = new AbortController();
    let steps = 0;
    const call = client.call('busy', {}, { signal: controller.signal, onProgress: () => ++steps === 3 && controller.abort() });
    expect(await call).toEqual({ status: 'cancelled' });
    expect(terminated).toBe(0); // stopped by its own signal, not by stopping the worker
    client.dispose();
  });

  it('big buffers are transferred both ways, not copied', async () => {
    const client = new EngineClient<Api>({ start: worker });
    const data = Uint8Array.from({ length: 1 << 16 }, (_, i) => i & 255);
    const outcome = await client.call('bytes', { data }, { transfer: [data.buffer] });
    expect(data.byteLength).toBe(0); // detached: it moved to the worker
    expect(outcome.status).toBe('done');
    const result = (outcome as { result: Uint8Array }).result;
    expect(result.byteLength).toBe(1 << 16);
    expect(result[1]).toBe(254);
    client.dispose();
  });

  it('a job that ignores its cancel has its worker stopped after the grace time; the next call gets a new worker', async () => {
    const client = new EngineClient<Api>({ start: worker, cancelGraceMs: 50 });
    const controller = new AbortController();
    const stuck = client.call('stubborn', {}, { signal: controller.signal });
    await sleep(10);
    controller.abort();
    expect(await stuck).toEqual({ status: 'cancelled' });
    expect(terminated).toBe(1);
    expect(await client.call('add', { a: 4, b: 4 })).toEqual({ status: 'done', result: 8 });
    expect(started).toBe(2);
    client.dispose();
  });

  it('two clients (two tabs) sharing a lock run their jobs one after the other, and a wait can be cancelled', async () => {
    let tail = Promise.resolve();
    const lock: Lock = async (signal, fn) => {
      const before = tail;
      let release!: () => void;
      tail = new Promise((r) => (release = r));
      await before;
      if (signal.aborted) {
        release();
        return false;
      }
      try {
        await fn();
      } finally {
        release();
      }
      return true;
    };
    const tabA = new EngineClient<Api>({ start: worker, lock });
    const tabB = new EngineClient<Api>({ start: worker, lock });
    const a = tabA.call('count', { to: 10, delayMs: 3 });
    await sleep(5);
    const b = tabB.call('count', { to: 10, delayMs: 3 });
    const controller = new AbortController();
    const c = tabB.call('count', { to: 10, delayMs: 3 }, { signal: controller.signal });
    await sleep(5);
    expect(tabB.jobs.map((j) => j.state)).toEqual(['waiting', 'queued']);
    controller.abort();
    expect((await Promise.all([a, b, c])).map((o) => o.status)).toEqual(['done', 'done', 'cancelled']);
    expect(maxRunning).toBe(1);
    tabA.dispose();
    tabB.dispose();
  });

  it('a cancel in the turn the lock is granted stops the job before it starts', async () => {
    // Web Locks drop only a request still in line; once granted, the callback runs in a later task.
    let grant!: () => void;
    const lock: Lock = (signal, fn) => new Promise<boolean>((resolve) => {
      let granted = false;
      signal.addEventListener('abort', () => { if (!granted) resolve(false); });
      grant = () => {
        granted = true;
        setTimeout(() => fn().then(() => resolve(true)));
      };
    });
    const client = new EngineClient<Api>({ start: worker, lock });
    const controller = new AbortController();
    const call = client.call('count', { to: 3, delayMs: 1 }, { signal: controller.signal });
    await sleep(1);
    grant();
    controller.abort();
    expect(await call).toEqual({ status: 'cancelled' });
    expect(started).toBe(0); // nothing was sent: no worker was even started
    client.dispose();
  });

  it('a worker crash fails only a job running on it: a cancelled one is cancelled, one waiting for the lock waits on', async () => {
    type Fake = WorkerLike & { fire(message: string): void };
    let last!: Fake;
    const fake = (): Fake => {
      const listeners: Record<string, ((e: unknown) => void)[]> = { message: [], error: [] };
      return (last = {
        addEventListener: (type: string, f: (e: unknown) => void) => listeners[type].push(f),
        removeEventListener: () => undefined,
        postMessage: (m: { id: number; method?: string }) => {
          if (m.method === 'add') setTimeout(() => listeners.message.forEach((f) => f({ data: { id: m.id, outcome: { status: 'done', result: 3 } } })));
        },
        terminate: () => undefined,
        fire: (message: string) => listeners.error.forEach((f) => f({ message })),
      } as unknown as Fake);
    };
    // Cancelled, then the worker dies before its "cancelled" reply: still a cancel.
    const client = new EngineClient<Api>({ start: fake });
    const controller = new AbortController();
    const call = client.call('count', { to: 3, delayMs: 1 }, { signal: controller.signal });
    await sleep(1);
    controller.abort();
    last.fire('out of memory');
    expect(await call).toEqual({ status: 'cancelled' });
    // A late error from the previous job's worker while the next waits for the lock (another tab has it).
    let release!: () => void, calls = 0;
    const held: Lock = async (_signal, fn) => {
      if (calls++ === 1) await new Promise<void>((r) => (release = r));
      await fn();
      return true;
    };
    const tab = new EngineClient<Api>({ start: fake, lock: held });
    expect(await tab.call('add', { a: 1, b: 2 })).toEqual({ status: 'done', result: 3 });
    const next = tab.call('add', { a: 1, b: 2 });
    await sleep(1);
    last.fire('late error from the previous job');
    expect(tab.jobs.map((j) => j.state)).toEqual(['waiting']);
    release();
    expect(await next).toEqual({ status: 'done', result: 3 });
  });

  it('a worker that cannot be started ends the call with an error, and the next call tries again', async () => {
    let tries = 0;
    const client = new EngineClient<Api>({ start: () => { if (tries++ === 0) throw new Error('cannot start worker'); return worker(); } });
    expect(await client.call('add', { a: 1, b: 2 })).toEqual({ status: 'error', message: 'The worker could not be started: cannot start worker' });
    expect(await client.call('add', { a: 1, b: 2 })).toEqual({ status: 'done', result: 3 });
    client.dispose();
  });

  it('CancelledError is what throwIfCancelled throws', () => {
    const controller = new AbortController();
    expect(() => throwIfCancelled(controller.signal)).not.toThrow();
    controller.abort();
    expect(() => throwIfCancelled(controller.signal)).toThrow(CancelledError);
  });
});
