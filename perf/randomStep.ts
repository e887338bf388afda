/**
 * What the perf scripts time: one training step of our ResNet-18 networks (classifier or U-Net)
 * on random inputs — forward, the task's default loss, backward, the optimiser, the loss read back.
 */
import * as tf from '@tensorflow/tfjs';
import { defaultTrainConfig, type TrainConfig } from '../src/lib/ml/config';
import { lossFn } from '../src/lib/ml/losses';
import { buildModel } from '../src/lib/ml/models';

export interface StepOptimizer {
  minimize(f: () => tf.Tensor): tf.Scalar;
  dispose(): void;
}

export function randomTrainingStep(task: 'classify' | 'segment', size: number, batch: number, width: number,
  optimizerFor: (model: tf.LayersModel, config: TrainConfig) => StepOptimizer) {
  const config = defaultTrainConfig(task, size);
  const model = buildModel({ ...config.model, depth: 18, width });
  const optimizer = optimizerFor(model, config);
  const x = tf.randomNormal([batch, size, size, 1]);
  const labels = task === 'segment'
    ? tf.oneHot(tf.randomUniform([batch, size, size], 0, 2, 'int32') as tf.Tensor3D, 2)
    : tf.oneHot(tf.randomUniform([batch], 0, 2, 'int32') as tf.Tensor1D, 2);
  /** The step up to its loss, not read back: what enqueuing a step costs. */
  const minimizeOnce = () => optimizer.minimize(() => lossFn(config.loss, labels, model.apply(x, { training: true }) as tf.Tensor));
  const step = async () => {
    const cost = minimizeOnce();
    await cost.data();
    cost.dispose();
  };
  const dispose = () => {
    tf.dispose([x, labels]);
    optimizer.dispose();
    model.dispose();
  };
  return { config, model, step, minimizeOnce, dispose };
}
