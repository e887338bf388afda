/** Starting points for the training form, by task (the paper's schedules, scaled to a browser). */
import { DEFAULT_AUGMENT } from '../lib/ml/augment';
import { DEFAULT_SEGMENT_LOSS } from '../lib/ml/losses';
import { UNET_MULTIPLE } from '../lib/ml/models';
import type { Phase, TrainConfig } from '../lib/ml/trainer';

const multiple = (size: number) => Math.max(UNET_MULTIPLE, Math.round(size / UNET_MULTIPLE) * UNET_MULTIPLE);

/**
 * Classification: head only with the encoder frozen, then everything (fastai's fine_tune).
 * Segmentation: progressive resizing — quarter, half, then full size, the last phase unfrozen,
 * like the paper's 128 → 256 → 512.
 */
export function defaultPhases(task: 'classify' | 'segment', size: number): Phase[] {
  if (task === 'classify') {
    return [
      { epochs: 1, maxLr: 2e-3, freezeEncoder: true, size },
      { epochs: 3, maxLr: 1e-3, freezeEncoder: false, size },
    ];
  }
  const sizes = [...new Set([multiple(size / 4), multiple(size / 2), multiple(size)])];
  return sizes.map((s, i) => ({ epochs: i === sizes.length - 1 ? 2 : 1, maxLr: 2e-3, freezeEncoder: false, size: s }));
}

export function defaultConfig(task: 'classify' | 'segment', size: number): TrainConfig {
  return {
    model: { task, depth: 18, width: 0.25, classes: 2 },
    loss: task === 'segment' ? DEFAULT_SEGMENT_LOSS : 'ce',
    batchSize: task === 'segment' ? 4 : 32,
    phases: defaultPhases(task, size),
    weightDecay: 0.01,
    augment: structuredClone(DEFAULT_AUGMENT),
    seed: 1,
    valFraction: 0.2,
  };
}
