/**
 * A small typed request/response RPC between the UI thread and a worker, with request ids. Every
 * call returns a promise, takes an AbortSignal and a progress callback, and settles as exactly one
 * of result / cancelled / error (`Outcome`), never by throwing. Calls run one at a time, in order:
 * the queue and the running job are observable, and each can be cancelled. A lock (Web Locks in the
 * browser) makes tabs of the same app wait for each other, so two tabs never train at once.
 * No DOM and no TF.js: the same code runs over a Node MessageChannel in tests.
 */

/** A method's argument, progress and result types. */
export interface Method<A, P, R> {
  args: A;
  progress: P;
  result: R;
}
export type Methods = Record<string, Method<unknown, unknown, unknown>>;

export type Outcome<R> = { status: 'done'; result: R } | { status: 'cancelled' } | { status: 'error'; message: string };

/** Thrown by a job that saw its signal abort; reported to the caller as `cancelled`, not as an error. */
export class CancelledError extends Error {
  constructor() {
    super('Cancelled.');
    this.name = 'CancelledError';
  }
}

export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError();
}

/**
 * Lets queued events (a cancel message) in. On the WASM and CPU backends a job's awaits resolve as
 * microtasks, which never give the event loop a turn: without this, a cancel would wait for the
 * job's end. Costs about a millisecond; call it once per step or batch.
 */
export const yieldToEvents = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** A place where a job may stop: lets a cancel message in, then throws if it came. */
export async function cancellationPoint(signal: AbortSignal | undefined): Promise<void> {
  await yieldToEvents();
  if (signal) throwIfCancelled(signal);
}

/** Buffers to transfer (not copy) along with a value, as Comlink's `transfer` does. */
const transfers = new WeakMap<object, Transferable[]>();
export function transfer<T extends object>(value: T, list: Transferable[]): T {
  transfers.set(value, list);
  return value;
}
const transferList = (value: unknown): Transferable[] => (value && typeof value === 'object' ? transfers.get(value) ?? [] : []);

/** What both ends post on: a Worker, the worker's global scope, or a MessagePort. */
export interface Endpoint {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

type ToWorker = { id: number; method: string; args: unknown } | { id: number; cancel: true };
type FromWorker = { id: number; progress: unknown } | { id: number; outcome: Outcome<unknown> };

export interface JobContext<P> {
  signal: AbortSignal;
  progress(value: P): void;
}
export type Handlers<M extends Methods> = { [K in keyof M]: (args: M[K]['args'], ctx: JobContext<M[K]['progress']>) => Promise<M[K]['result']> };

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e)) || 'unknown error';

/** Worker side: runs each request through its handler and posts progress and one outcome. */
export function serve<M extends Methods>(endpoint: Endpoint, handlers: Handlers<M>): void {
  const running = new Map<number, AbortController>();
  const post = (message: FromWorker, list: Transferable[] = []) => {
    try {
      endpoint.postMessage(message, list);
    } catch (e) {
      // A value that cannot be cloned must still end the call.
      if ('outcome' in message) endpoint.postMessage({ id: message.id, outcome: { status: 'error', message: `The result could not be sent: ${messageOf(e)}` } }, []);
    }
  };
  endpoint.addEventListener('message', async (event: MessageEvent<ToWorker>) => {
    const request = event.data;
    if ('cancel' in request) {
      running.get(request.id)?.abort();
      return;
    }
    const controller = new AbortController();
    running.set(request.id, controller);
    const handler = handlers[request.method as keyof M];
    try {
      if (!handler) throw new Error(`The engine has no method "${request.method}".`);
      const result = await handler(request.args as never, {
        signal: controller.signal,
        progress: (value) => post({ id: request.id, progress: value }, transferList(value)),
      });
      post({ id: request.id, outcome: { status: 'done', result } }, transferList(result));
    } catch (e) {
      const cancelled = e instanceof CancelledError || controller.signal.aborted;
      post({ id: request.id, outcome: cancelled ? { status: 'cancelled' } : { status: 'error', message: messageOf(e) } });
    } finally {
      running.delete(request.id);
    }
  });
}

export type JobState = 'queued' | 'waiting' | 'running' | 'cancelling';
/** A job as the UI lists it. */
export interface JobInfo {
  id: number;
  method: string;
  label: string;
  state: JobState;
}

export interface CallOptions<P> {
  signal?: AbortSignal;
  onProgress?: (value: P) => void;
  /** Words for the job list ("Training ResNet-18 on cracks"). */
  label?: string;
  /** Buffers in the arguments to transfer rather than copy. */
  transfer?: Transferable[];
}

/** Runs `fn` holding a named lock that other tabs share; resolves false if the signal aborts first. */
export type Lock = (signal: AbortSignal, fn: () => Promise<void>) => Promise<boolean>;

interface Pending {
  info: JobInfo;
  args: unknown;
  options: CallOptions<unknown>;
  controller: AbortController;
  settle: (o: Outcome<unknown>) => void;
}

/** A worker as the client uses it. */
export interface WorkerLike extends Endpoint {
  terminate(): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  addEventListener(type: 'error', listener: (event: Event) => void): void;
}

export interface ClientOptions {
  /** Starts the worker; called lazily, and again after the worker crashed or was stopped. */
  start: () => WorkerLike;
  lock?: Lock;
  onJobs?: (jobs: JobInfo[]) => void;
  /** A running job that has not ended this long after its cancel gets its worker stopped. */
  cancelGraceMs?: number;
}

/** UI side: one queue, one job at a time on the worker. */
export class EngineClient<M extends Methods> {
  private endpoint: WorkerLike | null = null;
  private queue: Pending[] = [];
  private current: Pending | null = null;
  private nextId = 1;
  private listeners = new Map<number, (m: FromWorker) => void>();

  constructor(private readonly options: ClientOptions) {}

  /** Calls `method` once the jobs before it are done. Never rejects. */
  call<K extends keyof M & string>(method: K, args: M[K]['args'], options: CallOptions<M[K]['progress']> = {}): Promise<Outcome<M[K]['result']>> {
    return new Promise((resolve) => {
      const pending: Pending = {
        info: { id: this.nextId++, method, label: options.label ?? method, state: 'queued' },
        args, options: options as CallOptions<unknown>, controller: new AbortController(),
        settle: resolve as (o: Outcome<unknown>) => void,
      };
      const onAbort = () => this.cancel(pending.info.id);
      if (options.signal?.aborted) return resolve({ status: 'cancelled' });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const settle = pending.settle;
      pending.settle = (o) => {
        options.signal?.removeEventListener('abort', onAbort);
        settle(o);
      };
      this.queue.push(pending);
      this.changed();
      this.pump();
    });
  }

  /** Cancels a queued job at once, or asks the running one to stop. */
  cancel(id: number): void {
    const queued = this.queue.findIndex((p) => p.info.id === id);
    if (queued >= 0) {
      const [p] = this.queue.splice(queued, 1);
      p.settle({ status: 'cancelled' });
      this.changed();
      return;
    }
    const p = this.current;
    if (!p || p.info.id !== id || p.info.state === 'cancelling') return;
    const wasRunning = p.info.state === 'running';
    p.info.state = 'cancelling';
    p.controller.abort();
    this.changed();
    if (!wasRunning) return; // still waiting for the lock: the abort ends the wait
    this.endpoint?.postMessage({ id, cancel: true } satisfies ToWorker, []);
    const grace = this.options.cancelGraceMs ?? 15_000;
    setTimeout(() => {
      if (this.current !== p) return;
      // The job did not stop (a long kernel, a hung device): stop its worker; the next call starts a new one.
      this.restart();
      this.finish(p, { status: 'cancelled' });
    }, grace);
  }

  get jobs(): JobInfo[] {
    return [...(this.current ? [this.current.info] : []), ...this.queue.map((p) => p.info)].map((i) => ({ ...i }));
  }

  dispose(): void {
    for (const p of [...this.queue, ...(this.current ? [this.current] : [])]) p.settle({ status: 'cancelled' });
    this.queue = [];
    this.current = null;
    this.restart();
  }

  private changed() {
    this.options.onJobs?.(this.jobs);
  }

  private restart() {
    this.endpoint?.terminate();
    this.endpoint = null;
    this.listeners.clear();
  }

  private connect() {
    if (this.endpoint) return this.endpoint;
    const endpoint = this.options.start();
    endpoint.addEventListener('message', (event: MessageEvent<FromWorker>) => this.listeners.get(event.data.id)?.(event.data));
    endpoint.addEventListener('error', (e: Event) => {
      // An error outside any handler (a failed import, out of memory): the running job fails with it.
      if (this.endpoint !== endpoint) return;
      const p = this.current;
      this.restart();
      // Only a job on this worker fails with it (one still waiting for the lock never ran there),
      // and a job already asked to stop is cancelled, as asked, not failed.
      if (p?.info.state === 'running') this.finish(p, { status: 'error', message: `The engine worker crashed: ${(e as Event & { message?: string }).message || 'unknown error'}` });
      else if (p?.info.state === 'cancelling') this.finish(p, { status: 'cancelled' });
    });
    return (this.endpoint = endpoint);
  }

  private finish(p: Pending, outcome: Outcome<unknown>) {
    if (this.current !== p) return;
    this.listeners.delete(p.info.id);
    this.current = null;
    p.settle(outcome);
    this.changed();
    this.pump();
  }

  private pump() {
    if (this.current || this.queue.length === 0) return;
    const p = (this.current = this.queue.shift()!);
    p.info.state = this.options.lock ? 'waiting' : 'running';
    this.changed();
    const run = () => new Promise<void>((done) => {
      if (this.current !== p) return done();
      // Cancelled in the same turn the lock was granted: the job never starts.
      if (p.controller.signal.aborted) {
        this.finish(p, { status: 'cancelled' });
        return done();
      }
      p.info.state = 'running';
      this.changed();
      let endpoint: WorkerLike;
      try {
        endpoint = this.connect();
      } catch (e) {
        this.finish(p, { status: 'error', message: `The worker could not be started: ${messageOf(e)}` });
        return done();
      }
      this.listeners.set(p.info.id, (m) => {
        if ('progress' in m) p.options.onProgress?.(m.progress);
        else {
          this.finish(p, m.outcome);
          done();
        }
      });
      const settle = p.settle;
      p.settle = (o) => {
        settle(o);
        done();
      };
      try {
        endpoint.postMessage({ id: p.info.id, method: p.info.method, args: p.args } satisfies ToWorker, p.options.transfer ?? []);
      } catch (e) {
        this.finish(p, { status: 'error', message: `The request could not be sent: ${messageOf(e)}` });
      }
    });
    if (!this.options.lock) {
      run();
      return;
    }
    this.options.lock(p.controller.signal, run).then((got) => {
      if (!got) this.finish(p, { status: 'cancelled' });
    }, (e) => this.finish(p, { status: 'error', message: messageOf(e) }));
  }
}
