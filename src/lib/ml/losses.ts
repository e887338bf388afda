/**
 * Losses for softmax outputs. Boundaries are a small share of pixels (a few per cent), so plain
 * cross-entropy learns to predict "interior" everywhere; the default for segmentation is
 * cross-entropy weighted by inverse class frequency plus soft Dice on the boundary class, which
 * rewards overlap directly. Focal loss is offered as the other common remedy.
 */
import * as tf from '@tensorflow/tfjs';

import type { LossName } from './config';

const EPS = 1e-6;

/**
 * The last class's channel of [..., classes] (boundary, crack), as a sum against a class vector:
 * tf.gather on the last axis gave wrong values on TF.js' WebGPU backend (SwiftShader) here.
 */
export function lastClass(t: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const classes = t.shape[t.shape.length - 1]!;
    return tf.sum(tf.mul(t, tf.oneHot(tf.tensor1d([classes - 1], 'int32'), classes).reshape([classes])), -1);
  });
}

/**
 * Per-class weights ∝ 1 / frequency in this batch (normalised to mean 1), clipped at 50. Written
 * with reshape + mean over one axis and sums against a class vector, not gather or multi-axis
 * means, as those returned wrong values on TF.js' WebGPU backend (SwiftShader) here.
 */
function inverseFrequencyWeights(oneHot: tf.Tensor): tf.Tensor {
  const classes = oneHot.shape[oneHot.shape.length - 1]!;
  const freq = tf.mean(tf.reshape(oneHot, [-1, classes]), 0);
  const inv = tf.clipByValue(tf.div(1, tf.add(freq, EPS)), 0, 50);
  return tf.div(inv, tf.mean(inv));
}

/** `labels` one-hot, `probs` softmax output, both [..., classes]. Returns a scalar. */
export function lossFn(name: LossName, labels: tf.Tensor, probs: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const p = tf.clipByValue(probs, EPS, 1 - EPS);
    const logp = tf.log(p);
    const ce = (weights?: tf.Tensor) => {
      const perClass = tf.mul(labels, logp);
      const weighted = weights ? tf.mul(perClass, weights) : perClass;
      return tf.neg(tf.mean(tf.sum(weighted, -1)));
    };
    const dice = () => {
      // Soft Dice on the last class (boundary / crack).
      const y = lastClass(labels), q = lastClass(p);
      const inter = tf.sum(tf.mul(y, q));
      return tf.sub(1, tf.div(tf.add(tf.mul(2, inter), 1), tf.add(tf.add(tf.sum(y), tf.sum(q)), 1)));
    };
    switch (name) {
      case 'ce':
        return ce() as tf.Scalar;
      case 'weighted-ce':
        return ce(inverseFrequencyWeights(labels)) as tf.Scalar;
      case 'dice':
        return dice() as tf.Scalar;
      case 'focal': {
        const gamma = 2;
        const focal = tf.mul(tf.pow(tf.sub(1, p), gamma), tf.mul(labels, logp));
        return tf.neg(tf.mean(tf.sum(focal, -1))) as tf.Scalar;
      }
      case 'weighted-ce+dice':
        return tf.add(ce(inverseFrequencyWeights(labels)), dice()) as tf.Scalar;
    }
  });
}
