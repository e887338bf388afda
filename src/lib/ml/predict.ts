/**
 * Predictions averaged over an input and its three mirror images. A micrograph or a chip photo
 * has no preferred orientation and training flips its samples, so the four views are equally
 * valid inputs; their mean is steadier than any one (fewer isolated specks and broken lines in a
 * boundary map). Four times the work of one prediction. Analyse and experiment scoring share it.
 */
import * as tf from '@tensorflow/tfjs';
import type { Task } from './config';

/**
 * Whether a task's models are used on mirror-averaged predictions (Analyse), and so also given
 * their decision threshold and scored on them (Train, real evaluation, experiments). Segmentation:
 * on `grains-quick` it took boundary F1 0.783 → 0.789 and mIoU 0.540 → 0.543, the same model.
 * Classification: on `cracks-quick` (three seeds, the same models) it took the real test error
 * 0.363 → 0.430 and ROC AUC 0.667 → 0.630, so classifiers score single views.
 */
export const MIRROR_AVERAGED: Readonly<Record<Task, boolean>> = Object.freeze({ segment: true, classify: false });

/** Class probabilities of the batch `x` [n, h, w, c]: [n, classes] for a classifier, [n, h, w, classes] for a U-Net, each the mean of the four views (segmentation maps mirrored back first). */
export function predictMirrored(model: tf.LayersModel, x: tf.Tensor4D): tf.Tensor {
  // One view at a time: a batch is sized to fit the GPU's buffer limit (maxBatchForBuffer), four at once would not.
  return tf.tidy(() => {
    const views = [[], [2], [1], [1, 2]].map((axes) => {
      const p = model.predict(axes.length ? tf.reverse(x, axes) : x) as tf.Tensor;
      return axes.length && p.rank === 4 ? tf.reverse(p, axes) : p;
    });
    return tf.addN(views).div(4);
  });
}
