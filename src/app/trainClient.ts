/** The UI side of the training worker: one worker, started lazily, messages fanned out to a listener. */
import type { TrainMessage, TrainRequest } from '../workers/trainProtocol';

export class TrainClient {
  private worker: Worker | null = null;

  constructor(private readonly listener: (m: TrainMessage) => void) {}

  send(request: TrainRequest): void {
    if (!this.worker) {
      this.worker = new Worker(new URL('../workers/train.worker.ts', import.meta.url), { type: 'module', name: 'train' });
      this.worker.onmessage = (e: MessageEvent<TrainMessage>) => this.listener(e.data);
      this.worker.onerror = (e) => {
        this.listener({ type: 'error', message: `The training worker crashed: ${e.message || 'unknown error'}` });
        this.dispose();
      };
    }
    this.worker.postMessage(request);
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
  }
}
