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

  it('CancelledError is what throwIfCancelled throws', () => {
    const controller = new AbortController();
    expect(() => throwIfCancelled(controller.signal)).not.toThrow();
    controller.abort();
    expect(() => throwIfCancelled(controller.signal)).toThrow(CancelledError);
  });
});
