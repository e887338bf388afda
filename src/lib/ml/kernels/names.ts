/**
 * Names of the kernels this project defines itself (not TF.js kernels), and the input check their
 * implementations share. Kept apart from the implementations so that model code can ask whether the
 * current backend has one without importing that backend.
 */
import type { TensorInfo } from '@tensorflow/tfjs';

/** A training batch's batch norm over N, H and W: inputs x, gamma, beta; attr epsilon; outputs y, mean, variance. */
export const BATCH_NORM_TRAIN = 'SynthScopeBatchNormTrain';
/** Its gradient: inputs dy, x, mean, variance, gamma; attr epsilon; outputs dx, dGamma, dBeta. */
export const BATCH_NORM_TRAIN_GRAD = 'SynthScopeBatchNormTrainGrad';
/** A batch-norm moving average's update v − (v − value)·(1 − momentum): inputs average, value; attr momentum; output the new average. */
export const BATCH_NORM_MOVING_AVERAGE = 'SynthScopeBatchNormMovingAverage';

/** The batch-norm kernels take a non-empty float32 [N, H, W, C] x (WebGPU: C within one dispatch dimension). */
export function checkBatchNormInput(name: string, x: TensorInfo, maxChannels = Infinity) {
  if (x.shape.length !== 4 || x.dtype !== 'float32' || x.shape.some((d) => d === 0) || x.shape[3] > maxChannels) {
    const limit = Number.isFinite(maxChannels) ? ` with C ≤ ${maxChannels}` : '';
    throw new Error(`${name} takes a non-empty float32 [N, H, W, C] tensor${limit}; got ${x.dtype} [${x.shape}].`);
  }
}
