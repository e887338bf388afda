/**
 * Live preview on its own worker, newest request wins: while one image renders, only the latest
 * of the requests that arrive meanwhile is kept, so dragging a control never builds a queue.
 */
import type { Recipe, Sample } from '../lib/synth/recipe';
import type { SynthReply } from '../workers/protocol';
import { createSynthWorker } from './synthPool';

export class PreviewClient {
  private worker: Worker | null = null;
  private busy = false;
  private pending: { recipe: Recipe; index: number } | null = null;
  private nextId = 0;

  constructor(
    private readonly onSample: (sample: Sample) => void,
    private readonly onError: (message: string) => void,
  ) {}

  request(recipe: Recipe, index: number): void {
    this.pending = { recipe, index }; // a plain object: Svelte state proxies cannot be posted
    if (!this.busy) this.sendPending();
  }

  private sendPending() {
    if (!this.pending) return;
    if (!this.worker) {
      this.worker = createSynthWorker();
      this.worker.onmessage = (event: MessageEvent<SynthReply>) => {
        this.busy = false;
        const reply = event.data;
        if (reply.ok) this.onSample(reply.sample);
        else this.onError(reply.message);
        this.sendPending();
      };
      this.worker.onerror = (event) => {
        this.busy = false;
        this.onError(`The preview worker crashed: ${event.message || 'unknown error'}`);
      };
    }
    this.busy = true;
    this.worker.postMessage({ id: this.nextId++, ...this.pending });
    this.pending = null;
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
  }
}
