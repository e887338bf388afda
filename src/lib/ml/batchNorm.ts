/**
 * Batch normalisation whose training step is a few kernels forward and a few backward.
 *
 * TF.js' layer normalises a training batch with `tf.moments` and `tf.batchNorm`, and autodiff then
 * differentiates through all three: the batch-norm gradient, the variance and the mean, about twenty
 * activation-sized element-wise kernels per layer and their gradient-tape bookkeeping. Here the
 * forward is the same ops (same values), and the gradient is written out once:
 *
 *   x̂ = (x − μ)/σ,  dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ/σ · (dy − dβ/M − x̂·dγ/M)   (M = N·H·W)
 *
 * computed as dx = dy·k − (x̂·k·dγ/M + k·dβ/M) with k = γ/σ, where both x̂ and the bracket are one
 * `FusedBatchNorm` kernel each: five activation-sized kernels in all, and two reductions. Where the
 * backend registers the kernels of kernels/names.ts (WASM, WebGPU), the same maths runs as one
 * forward and one gradient kernel instead, and each moving average as one kernel.
 *
 * The layer is TF.js' `BatchNormalization` with only its training path replaced: same weights
 * (`gamma`, `beta`, `moving_mean`, `moving_variance`), same moving-average update, same config,
 * and it is registered under the same class name, so stored models and checkpoints load into it and
 * what it saves loads anywhere TF.js does. Inference, and any shape or option our models do not
 * use (not rank 4, not channels last, without centre or scale), go to TF.js' own code.
 */
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_MOVING_AVERAGE, BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from './kernels/names';

type BatchNormArgs = NonNullable<Parameters<typeof tf.layers.batchNormalization>[0]>;
type Kwargs = { [key: string]: unknown };

/** The fields of TF.js' BatchNormalization that its declarations keep private. */
interface BatchNormFields {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

/** TF.js' class, as its factory makes it (named, so no automatic layer name is used up). */
const StockBatchNormalization = Object.getPrototypeOf(tf.layers.batchNormalization({ name: 'stock_batch_norm_probe' })).constructor as
  new (args?: BatchNormArgs) => tf.layers.Layer;

/**
 * Batch normalisation of a training batch over N, H and W, with its gradient written out (see the
 * top of this file). Returns the output and the batch's mean and variance; the caller disposes
 * `mean` and `variance` (they carry no gradient).
 */
export function batchNormTraining(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number):
  { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  if (hasFusedKernels()) return batchNormTrainingFused(x, gamma, beta, epsilon);
  const axes = [0, 1, 2];
  let mean: tf.Tensor1D | undefined, variance: tf.Tensor1D | undefined;
  const normalise = tf.customGrad((...args: unknown[]) => {
    const [x, gamma, beta] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    const moments = tf.moments(x, axes);
    // Kept past customGrad's scope for the caller's moving averages.
    mean = tf.keep(moments.mean as tf.Tensor1D);
    variance = tf.keep(moments.variance as tf.Tensor1D);
    save([x, mean, variance, gamma]);
    return {
      value: tf.batchNorm4d(x, mean, variance, beta, gamma, epsilon),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [x, mean, variance, gamma] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        const count = x.size / x.shape[3];
        const dBeta = tf.sum(dy, axes) as tf.Tensor1D;
        const xHat = tf.batchNorm4d(x, mean, variance, undefined, undefined, epsilon);
        const dGamma = tf.sum(tf.mul(dy, xHat), axes) as tf.Tensor1D;
        const k = tf.mul(gamma, tf.rsqrt(tf.add(variance, epsilon))) as tf.Tensor1D;
        const k1 = tf.mul(k, tf.div(dGamma, count)) as tf.Tensor1D;
        const k0 = tf.mul(k, tf.div(dBeta, count)) as tf.Tensor1D;
        const dx = tf.sub(tf.mul(dy, k), tf.batchNorm4d(x, mean, variance, k0, k1, epsilon));
        return [dx, dGamma, dBeta];
      },
    };
  });
  const y = normalise(x, gamma, beta) as tf.Tensor4D;
  return { y, mean: mean!, variance: variance! };
}

/** Whether the current backend has both training kernels of kernels/names.ts (WASM, WebGPU), and they are not turned off. */
function hasFusedKernels(): boolean {
  const backend = tf.getBackend();
  return !BatchNormalization.opsOnly && !!tf.getKernel(BATCH_NORM_TRAIN, backend) && !!tf.getKernel(BATCH_NORM_TRAIN_GRAD, backend);
}

/** The same maths as one forward and one gradient kernel (kernels/batchNormWasm.ts, batchNormWebgpu.ts), for backends that register them. */
function batchNormTrainingFused(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number):
  { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  let mean: tf.Tensor1D | undefined, variance: tf.Tensor1D | undefined;
  const normalise = tf.customGrad((...args: unknown[]) => {
    const [x, gamma, beta] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    const [y, m, v] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x, gamma, beta }, { epsilon }) as tf.Tensor[];
    // Kept past customGrad's scope for the caller's moving averages.
    mean = tf.keep(m as tf.Tensor1D);
    variance = tf.keep(v as tf.Tensor1D);
    save([x, mean, variance, gamma]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [x, mean, variance, gamma] = saved;
        return tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { dy, x, mean, variance, gamma }, { epsilon }) as tf.Tensor[];
      },
    };
  });
  const y = normalise(x, gamma, beta) as tf.Tensor4D;
  return { y, mean: mean!, variance: variance! };
}

export class BatchNormalization extends StockBatchNormalization {
  static className = 'BatchNormalization';
  /** Train through TF.js' own ops instead (for same-process comparisons in benchmarks and tests). */
  static useStock = false;
  /** Train through our written-out gradient as ops even where the backend has the fused kernels (for comparisons). */
  static opsOnly = false;

  constructor(args?: BatchNormArgs) {
    super(args);
  }

  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const self = this as unknown as BatchNormFields;
    const axis = self.axis >= 0 ? self.axis : self.axis + x.rank;
    if (!kwargs.training || BatchNormalization.useStock || (Array.isArray(inputs) && inputs.length !== 1) || x.rank !== 4 || axis !== 3
      || !self.center || !self.scale || x.dtype !== 'float32') {
      return super.call(inputs, kwargs);
    }
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(x as tf.Tensor4D, self.gamma.read() as tf.Tensor1D, self.beta.read() as tf.Tensor1D, self.epsilon);
      // The moving averages as TF.js' layer updates them: v − (v − batch value)·(1 − momentum).
      for (const [average, value] of [[self.movingMean, mean], [self.movingVariance, variance]] as const) {
        if (hasFusedKernels() && tf.getKernel(BATCH_NORM_MOVING_AVERAGE, tf.getBackend())) {
          average.write(tf.engine().runKernel(BATCH_NORM_MOVING_AVERAGE, { average: average.read(), value }, { momentum: self.momentum }) as tf.Tensor);
          continue;
        }
        tf.tidy(() => {
          const old = average.read();
          average.write(tf.sub(old, tf.mul(tf.sub(old, value), 1 - self.momentum)));
        });
      }
      tf.dispose([mean, variance]);
      return y;
    });
  }
}

// Under TF.js' own class name: stored models (whose topology says 'BatchNormalization') load into this class.
tf.serialization.registerClass(BatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** A batch-norm layer, as `tf.layers.batchNormalization` makes one. */
export const batchNormalization = (args?: BatchNormArgs) => new BatchNormalization(args);
