/**
 * The first-open demo in one call: generate a small grain set, train a small U-Net on it, and
 * segment the bundled NIST steel micrograph with grain statistics. Each step reports progress;
 * a cancel at any step ends the demo as cancelled (null), never as an error.
 */
import { decodeGreyPng } from '../lib/data/png';
import type { Db } from '../lib/data/db';
import type { AnalysisResult } from '../lib/analysis/result';
import { defaultTrainConfig, type TrainConfig } from '../lib/ml/config';
import { newModelRecord, putModelRecord } from '../lib/ml/modelRecords';
import type { Outcome } from '../lib/engine/rpc';
import { DEFAULT_PRESET } from '../lib/synth/grains/space';
import { createDataset } from './datasetJob';
import { engine } from './engine.svelte';
import { CancelledError, type SynthPool } from './synthPool';

/** 222 px = 50 µm (NIST's scale note). */
export const NIST_MICRONS_PER_PIXEL = 50 / 222;
/** Synthetic images the demo trains on, and the seconds of training it allows itself (the Try it panel says both). */
export const TRY_IT_IMAGES = 96;
export const TRY_IT_TRAINING_SECONDS = 120;

export async function runTryIt(db: Db, pool: SynthPool, onStatus: (text: string) => void, signal: AbortSignal): Promise<Outcome<AnalysisResult>> {
  onStatus(`1/3 Generating ${TRY_IT_IMAGES} synthetic grain micrographs with exact boundary labels…`);
  let dataset;
  try {
    dataset = await createDataset(db, pool, { kind: 'grains', preset: DEFAULT_PRESET.id, settings: DEFAULT_PRESET.settings, size: 128, count: TRY_IT_IMAGES, seed: 1 },
      `Try it: grains 128px ×${TRY_IT_IMAGES}`, { signal, onProgress: (p) => onStatus(`1/3 Generating synthetic micrographs: ${p.done} of ${p.total}`) });
  } catch (e) {
    if (e instanceof CancelledError) return { status: 'cancelled' };
    throw e;
  }
  if (signal.aborted || dataset.status !== 'complete') return { status: 'cancelled' };
  // The Train tab's defaults, with a small network and one phase at the stored size, sized to the time budget.
  const config: TrainConfig = {
    ...defaultTrainConfig('segment', 128), model: { task: 'segment', depth: 10, width: 0.25, classes: 2, seed: 1 },
    phases: [{ epochs: 10, maxLr: 3e-3, freezeEncoder: false, size: 128 }], budgetSeconds: TRY_IT_TRAINING_SECONDS,
  };
  const record = newModelRecord(dataset, config, 'Try it: small U-Net');
  await putModelRecord(db, record);
  const [image, truth] = await Promise.all(['samples/nist-steel.png', 'samples/nist-steel-mask.png'].map(async (path) => {
    const r = await fetch(new URL(path, document.baseURI));
    if (!r.ok) throw new Error(`The bundled micrograph could not be loaded (${r.status}).`);
    return decodeGreyPng(new Uint8Array(await r.arrayBuffer()), path);
  }));
  const trained = await engine.call('train', { modelId: record.id, backend: 'auto' }, {
    signal, label: 'Try it: training a small U-Net',
    onProgress: (m) => {
      if (m.kind === 'status') onStatus(`2/3 ${m.message}`);
      if (m.kind === 'step') onStatus(`2/3 Training a small U-Net: epoch ${m.progress.epoch + 1}, step ${m.progress.step + 1}/${m.progress.stepsPerEpoch}, ${m.progress.imagesPerSecond.toFixed(1)} images/s, about ${Math.ceil(m.progress.etaSeconds)} s left`);
    },
  });
  if (trained.status !== 'done') return trained;
  onStatus('3/3 Segmenting the NIST steel micrograph (800×600) and measuring its grains…');
  const analysed = await engine.call('analyse', {
    modelId: record.id, images: [{ name: 'nist-steel.png', image, truth }], stride: 96, micronsPerPixel: NIST_MICRONS_PER_PIXEL, backend: 'auto',
  }, { signal, label: 'Try it: segmenting NIST steel', transfer: [image.pixels.buffer as ArrayBuffer, truth.pixels.buffer as ArrayBuffer] });
  return analysed.status === 'done' ? { status: 'done', result: analysed.result[0] } : analysed;
}
