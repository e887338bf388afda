/**
 * Names of the kernels this project defines itself (not TF.js kernels). Kept apart from their
 * implementations so that model code can ask whether the current backend has one without importing
 * that backend.
 */

/** A training batch's batch norm over N, H and W: inputs x, gamma, beta; attr epsilon; outputs y, mean, variance. */
export const BATCH_NORM_TRAIN = 'SynthScopeBatchNormTrain';
/** Its gradient: inputs dy, x, mean, variance, gamma; attr epsilon; outputs dx, dGamma, dBeta. */
export const BATCH_NORM_TRAIN_GRAD = 'SynthScopeBatchNormTrainGrad';
/** A batch-norm moving average's update v − (v − value)·(1 − momentum): inputs average, value; attr momentum; output the new average. */
export const BATCH_NORM_MOVING_AVERAGE = 'SynthScopeBatchNormMovingAverage';
