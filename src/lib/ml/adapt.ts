/**
 * Adapting a trained network to the user's images without labels: batch-norm statistics
 * re-estimated on them (AdaBN; Li et al., "Revisiting batch normalization for practical domain
 * adaptation", 2016). A network trained on synthetic micrographs normalises every layer with the
 * means and variances it saw there; real images of another brightness, contrast, texture and noise
 * shift those statistics layer by layer. Replacing them with the real images' own makes each
 * layer see features on the scale it was trained for. Only the moving means and variances change;
 * no weight is trained, and no label is read.
 */
import * as tf from '@tensorflow/tfjs';
import { cancellationPoint } from '../engine/rpc';
import { Rng } from '../random';
import { NO_AUGMENT } from './augment';
import type { TrainConfig } from './config';
import { makeBatch, type SampleSource } from './trainer';

/** Fewer images than this give batch statistics too rough to replace the trained ones. */
export const MIN_ADAPT_IMAGES = 4;

interface MovingStatistics {
  momentum: number;
}

/** The model's batch-norm layers: those that keep moving statistics and update them in training mode. */
function batchNormLayers(model: tf.LayersModel): (tf.layers.Layer & MovingStatistics)[] {
  return model.layers.filter((l) => l.getClassName() === 'BatchNormalization') as (tf.layers.Layer & MovingStatistics)[];
}

/**
 * Replaces the moving means and variances of every batch-norm layer of `model` by their average over
 * the images `indices` of `source`, seen in batches of the config's batch size at `size` px,
 * unaugmented. Each batch is run in training mode, where every layer normalises with the batch's
 * own statistics (so later layers see the adapted earlier ones) and moves its averages towards
 * them; the momentum of batch t is (t − 1) / t, which makes the averages plain means over batches.
 * Returns a function that puts the trained statistics back (a model that trains on afterwards, or
 * meets other images, needs them); throws when there are fewer than MIN_ADAPT_IMAGES images. A
 * cancel puts them back itself.
 */
export async function adaptBatchNorm(model: tf.LayersModel, source: SampleSource, config: TrainConfig, indices: readonly number[], size: number,
  signal?: AbortSignal): Promise<() => void> {
  if (indices.length < MIN_ADAPT_IMAGES) {
    throw new Error(`Adapting to your images needs at least ${MIN_ADAPT_IMAGES} of them; ${indices.length} ${indices.length === 1 ? 'was' : 'were'} given.`);
  }
  const layers = batchNormLayers(model);
  const trained = layers.map((l) => l.momentum);
  const kept = layers.map((l) => l.getWeights().map((w) => tf.keep(w.clone())));
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    layers.forEach((l, k) => l.setWeights(kept[k]));
    tf.dispose(kept.flat());
  };
  // A last batch of one image has no spread to measure; it joins the batch before it.
  const batch = Math.max(2, config.batchSize);
  const starts: number[] = [];
  for (let s = 0; s < indices.length; s += batch) if (indices.length - s >= 2 || starts.length === 0) starts.push(s);
  const rng = new Rng(1);
  try {
    for (const [t, start] of starts.entries()) {
      await cancellationPoint(signal);
      const end = t === starts.length - 1 ? indices.length : start + batch;
      const samples = await source.get(indices.slice(start, end));
      const { x, y } = makeBatch(samples, source.size, size, config, NO_AUGMENT, rng);
      for (const l of layers) l.momentum = t / (t + 1);
      tf.tidy(() => { model.apply(x, { training: true }); });
      tf.dispose([x, y]);
    }
  } catch (e) {
    restore();
    throw e;
  } finally {
    layers.forEach((l, k) => (l.momentum = trained[k]));
  }
  return restore;
}
