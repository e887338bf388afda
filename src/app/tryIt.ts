/**
 * The first-open demo in one call: generate a small grain set, train a small U-Net on it, and
 * segment the bundled NIST steel micrograph with grain statistics. Each step reports progress.
 */
import { decodeGreyPng } from '../lib/data/png';
import type { Db, ModelRecord } from '../lib/data/db';
import { DEFAULT_AUGMENT } from '../lib/ml/augment';
import { DEFAULT_SEGMENT_LOSS } from '../lib/ml/losses';
import { DEFAULT_PRESET } from '../lib/synth/grains/space';
import type { AnalysisResult, TrainMessage } from '../workers/trainProtocol';
import { createDataset } from './datasetJob';
import type { SynthPool } from './synthPool';
import { TrainClient } from './trainClient';

/** 222 px = 50 µm (NIST's scale note). */
export const NIST_MICRONS_PER_PIXEL = 50 / 222;

export async function runTryIt(db: Db, pool: SynthPool, onStatus: (text: string) => void, signal: AbortSignal): Promise<AnalysisResult> {
  onStatus('1/3 Generating 48 synthetic grain micrographs with exact boundary labels…');
  const dataset = await createDataset(db, pool, { kind: 'grains', preset: DEFAULT_PRESET.id, settings: DEFAULT_PRESET.settings, size: 128, count: 48, seed: 1 },
    'Try it: grains 128px ×48', { signal, onProgress: (p) => onStatus(`1/3 Generating synthetic micrographs: ${p.done} of ${p.total}`) });
  const record: ModelRecord = {
    id: crypto.randomUUID(), name: 'Try it: small U-Net', task: 'segment', datasetId: dataset.id, datasetName: dataset.name,
    config: { model: { task: 'segment', depth: 10, width: 0.25, classes: 2, seed: 1 }, loss: DEFAULT_SEGMENT_LOSS, batchSize: 8,
      phases: [{ epochs: 3, maxLr: 3e-3, freezeEncoder: false, size: 128 }], weightDecay: 0.01, augment: DEFAULT_AUGMENT, seed: 1, valFraction: 0.2 },
    state: { phase: 0, epoch: 0, history: [] }, status: 'training', createdAt: Date.now(), updatedAt: Date.now(), hasWeights: false,
  };
  await db.put('models', record);
  const [image, truth] = await Promise.all(['samples/nist-steel.png', 'samples/nist-steel-mask.png'].map(async (path) => {
    const r = await fetch(new URL(path, document.baseURI));
    if (!r.ok) throw new Error(`The bundled micrograph could not be loaded (${r.status}).`);
    return decodeGreyPng(new Uint8Array(await r.arrayBuffer()), path);
  }));
  return new Promise<AnalysisResult>((resolve, reject) => {
    const client = new TrainClient((m: TrainMessage) => {
      if (m.type === 'step') onStatus(`2/3 Training a small U-Net: epoch ${m.progress.epoch + 1} of 3, step ${m.progress.step + 1}/${m.progress.stepsPerEpoch}, ${m.progress.imagesPerSecond.toFixed(1)} images/s`);
      else if (m.type === 'done' && m.stopped) {
        reject(new Error('Cancelled.'));
        client.dispose();
      } else if (m.type === 'done') {
        onStatus('3/3 Segmenting the NIST steel micrograph (800×600) and measuring its grains…');
        client.send({ type: 'analyse', modelId: record.id, images: [{ name: 'nist-steel.png', image, truth }], stride: 96, micronsPerPixel: NIST_MICRONS_PER_PIXEL, backend: 'auto' });
      } else if (m.type === 'analysed') {
        resolve(m.result);
        client.dispose();
      } else if (m.type === 'error') {
        reject(new Error(m.message));
        client.dispose();
      }
    });
    signal.addEventListener('abort', () => client.send({ type: 'stop' }));
    client.send({ type: 'train', modelId: record.id, backend: 'auto' });
  });
}
