/**
 * The training loop: AdamW with a one-cycle learning rate per phase, phases that freeze the
 * encoder or train everything at a given input size (progressive resizing), validation after
 * every epoch, a checkpoint hook, and a stop flag. Batches are made from uint8 samples one batch
 * at a time, so a dataset is never held as float32. Runs wherever TF.js does (worker or Node).
 */
import * as tf from '@tensorflow/tfjs';
import { hashSeed, Rng } from '../random';
import { augmentInto, augmentRgbInto, inputToGrey, NO_AUGMENT, type AugmentConfig } from './augment';
import { lastClass, lossFn } from './losses';
import { predictMirrored } from './predict';
import { addBoundaryCounts, addConfusion, boundaryF1, classifyMetrics, emptyBoundaryCounts, rocAuc, segmentMetrics } from './metrics';
import { setEncoderTrainable } from './models';
import { FusedAdamW } from './optimizer';
import { channelWords, modelChannels, trainConfigError, type Decision, type OptimizerWeights, type EpochRecord, type Metrics, type Prediction, type StepProgress, type TrainConfig, type TrainState } from './config';
import { oneCycle } from './schedule';
import { cancellationPoint, yieldToEvents } from '../engine/rpc';

export interface RawSample {
  /** Grey: one byte per pixel; RGB: three, interleaved. */
  image: Uint8Array;
  /** Segmentation: label mask, 255 = the class of interest (boundary). */
  mask?: Uint8Array;
  /** Classification: class index. */
  label?: number;
}

/** Where samples come from: IndexedDB in the browser, memory in tests. */
export interface SampleSource {
  count: number;
  /** Side of the (square) stored samples. */
  size: number;
  /** Channels of its images: 1 grey (absent), 3 RGB. */
  channels?: 1 | 3;
  get(indices: readonly number[]): Promise<RawSample[]>;
}

export interface TrainHooks {
  onStep?: (p: StepProgress) => void;
  onEpoch?: (record: EpochRecord, state: TrainState, predictions: Prediction[]) => void | Promise<void>;
  /**
   * Called after every epoch with the state to resume from, and the optimiser's variables when
   * the phase goes on (none at a phase's end: the next phase starts a fresh optimiser).
   */
  checkpoint?: (model: tf.LayersModel, state: TrainState, optimizer?: OptimizerWeights) => Promise<void>;
  shouldStop?: () => boolean;
}

/** Seeded split of sample indices into training and validation. */
export function splitIndices(count: number, valFraction: number, seed: number): { train: number[]; val: number[] } {
  const order = Array.from({ length: count }, (_, i) => i);
  const rng = new Rng(hashSeed(seed, 0x5151));
  for (let i = count - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const nVal = Math.max(1, Math.round(count * valFraction));
  return { val: order.slice(0, nVal).sort((a, b) => a - b), train: order.slice(nVal) };
}

/** Turns raw samples into input and one-hot target tensors of the given size. */
export function makeBatch(samples: RawSample[], nativeSize: number, size: number, config: TrainConfig,
  augment: AugmentConfig, rng: Rng): { x: tf.Tensor4D; y: tf.Tensor } {
  const n = samples.length, classes = config.model.classes, channels = modelChannels(config.model);
  const images = new Float32Array(n * size * size * channels);
  const segment = config.model.task === 'segment';
  const masks = segment ? new Uint8Array(n * size * size) : null;
  samples.forEach((s, k) => {
    if (s.image.length !== channels * nativeSize * nativeSize) {
      throw new RangeError(`This model takes ${channelWords(channels)} images of ${nativeSize}² px; a sample has ${s.image.length} bytes (${channelWords(s.image.length / (nativeSize * nativeSize))}).`);
    }
    (channels === 3 ? augmentRgbInto : augmentInto)(s.image, s.mask ?? null, nativeSize, size, augment, rng, images, k * size * size * channels, masks, k * size * size, config.norm ?? 'fixed');
  });
  return tf.tidy(() => {
    const x = tf.tensor4d(images, [n, size, size, channels]);
    const y = segment
      ? tf.oneHot(tf.tensor3d(Int32Array.from(masks!), [n, size, size], 'int32'), classes)
      : tf.oneHot(tf.tensor1d(Int32Array.from(samples, (s) => s.label ?? 0), 'int32'), classes);
    return { x, y };
  });
}

/** A sample's network input as bytes to show: grey, or RGB interleaved for RGB inputs (each channel as the network sees it). */
function previewImage(xs: Float32Array, k: number, area: number, channels: number): Uint8Array {
  return Uint8Array.from(xs.subarray(k * area * channels, (k + 1) * area * channels), inputToGrey);
}

/**
 * The training optimiser: Adam (beta1 0.9, beta2 0.99) with decoupled weight decay on the conv and
 * dense kernels, never biases or batch norm (AdamW), fused over all `variables` (optimizer.ts).
 */
export const adamW = (variables: tf.Variable[], learningRate: number, weightDecay: number) =>
  new FusedAdamW(variables, { learningRate, beta1: 0.9, beta2: 0.99, weightDecay });

export class Trainer {
  private optimizer: FusedAdamW | null = null;

  constructor(
    readonly model: tf.LayersModel,
    readonly config: TrainConfig,
    readonly source: SampleSource,
    readonly hooks: TrainHooks = {},
  ) {
    const message = trainConfigError(config);
    if (message) throw new RangeError(message);
    const want = modelChannels(config.model), have = source.channels ?? 1;
    if (want !== have) throw new RangeError(`This model takes ${channelWords(want)} images, but its data is ${channelWords(have)}. Train a new model on this data (its channels follow the dataset).`);
  }

  /**
   * Trains from `state` (a fresh run by default) until done or stopped; returns where it ended.
   * `split` fixes the training and validation samples (default: a seeded split of the source).
   * `optimizer` (from a checkpoint of this state) restores Adam's moments, so a resumed run
   * follows the same trajectory as one never stopped.
   */
  async run(state: TrainState = { phase: 0, epoch: 0, history: [] }, split?: { train: number[]; val: number[] },
    optimizerWeights?: OptimizerWeights): Promise<TrainState & { stopped: boolean }> {
    const { config, model, source } = this;
    const { train, val } = split ?? splitIndices(source.count, config.valFraction, config.seed);
    const stepsPerEpoch = Math.max(1, Math.floor(train.length / config.batchSize));
    const remainingEpochs = () => config.phases.slice(state.phase).reduce((a, p) => a + p.epochs, 0) - state.epoch;
    const started = performance.now();
    let imagesDone = 0;
    while (state.phase < config.phases.length) {
      const phase = config.phases[state.phase];
      setEncoderTrainable(model, !phase.freezeEncoder);
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      // A fresh optimiser per phase: its moments are kept by position in the variable list, which
      // changes when the encoder is frozen or unfrozen.
      this.optimizer?.dispose();
      const optimizer = (this.optimizer = adamW(variables, 1e-3, config.weightDecay));
      if (optimizerWeights && state.epoch > 0) {
        optimizer.setWeights(optimizerWeights);
        optimizerWeights = undefined;
      }
      while (state.epoch < phase.epochs) {
        await yieldToEvents();
        if (this.hooks.shouldStop?.()) return this.end(state, true);
        const epochStart = performance.now();
        const rng = new Rng(hashSeed(config.seed, state.phase, state.epoch));
        const order = [...train];
        for (let i = order.length - 1; i > 0; i--) {
          const j = rng.int(0, i);
          [order[i], order[j]] = [order[j], order[i]];
        }
        let lossSum = 0;
        for (let step = 0; step < stepsPerEpoch; step++) {
          await yieldToEvents();
          if (this.hooks.shouldStop?.()) return this.end(state, true);
          const stepStart = performance.now();
          const samples = await source.get(order.slice(step * config.batchSize, (step + 1) * config.batchSize));
          const lr = oneCycle(state.epoch * stepsPerEpoch + step, phase.epochs * stepsPerEpoch, phase.maxLr);
          optimizer.learningRate = lr;
          const { x, y } = makeBatch(samples, source.size, phase.size, config, config.augment, rng);
          const cost = optimizer.minimize(() => lossFn(config.loss, y, model.apply(x, { training: true }) as tf.Tensor));
          const loss = (await cost.data())[0];
          tf.dispose([x, y, cost]);
          lossSum += loss;
          imagesDone += samples.length;
          const elapsed = (performance.now() - started) / 1000;
          const perSecond = imagesDone / elapsed;
          this.hooks.onStep?.({
            phase: state.phase, epoch: state.epoch, step, stepsPerEpoch, loss, lr, imagesPerSecond: perSecond,
            stepSeconds: (performance.now() - stepStart) / 1000,
            etaSeconds: ((remainingEpochs() * stepsPerEpoch - step - 1) * config.batchSize + val.length * remainingEpochs() * 0.3) / perSecond,
          });
        }
        const { valLoss, metrics, predictions } = await this.validate(val, phase.size);
        const record: EpochRecord = {
          phase: state.phase, epoch: state.epoch, trainLoss: lossSum / stepsPerEpoch, valLoss, metrics,
          imagesPerSecond: (stepsPerEpoch * config.batchSize) / ((performance.now() - epochStart) / 1000),
          seconds: (performance.now() - epochStart) / 1000,
        };
        state = { phase: state.phase, epoch: state.epoch + 1, history: [...state.history, record] };
        if (state.epoch >= phase.epochs) state = { ...state, phase: state.phase + 1, epoch: 0 };
        await this.hooks.checkpoint?.(model, state, state.epoch === 0 ? undefined : await optimizer.getWeights());
        await this.hooks.onEpoch?.(record, state, predictions);
        if (state.epoch === 0) break; // phase finished: re-read trainable variables for the next one
      }
    }
    return this.end(state, false);
  }

  /** The optimiser's moments and step counters are tensors too: free them however the run ends. */
  private end(state: TrainState, stopped: boolean): TrainState & { stopped: boolean } {
    this.optimizer?.dispose();
    this.optimizer = null;
    return { ...state, stopped };
  }

  /**
   * One score per sample, for adaptive sampling: classification — the sample's cross-entropy
   * (higher is worse); segmentation — the IoU of the boundary class (lower is worse).
   * Also the prediction of each (probability of the last class, or the predicted mask).
   */
  async scoreSamples(indices: readonly number[], size: number): Promise<{ scores: number[]; predictions: (number | Uint8Array)[] }> {
    const { config, model, source } = this;
    const scores: number[] = [], predictions: (number | Uint8Array)[] = [];
    for (let start = 0; start < indices.length; start += config.batchSize) {
      await yieldToEvents();
      const samples = await source.get(indices.slice(start, start + config.batchSize));
      const { x, y } = makeBatch(samples, source.size, size, config, NO_AUGMENT, new Rng(1));
      const [truth, predicted, probs] = tf.tidy(() => {
        const p = model.predict(x) as tf.Tensor;
        const pTrue = tf.sum(tf.mul(p, y), -1);
        return [tf.argMax(y, -1), tf.argMax(p, -1), config.model.task === 'segment' ? lastClass(p) : pTrue];
      });
      const [t, pr, pb] = await Promise.all([truth.data(), predicted.data(), probs.data()]);
      tf.dispose([x, y, truth, predicted, probs]);
      for (let k = 0; k < samples.length; k++) {
        if (config.model.task === 'classify') {
          scores.push(-Math.log(Math.max(1e-7, pb[k])));
          predictions.push(pr[k]);
          continue;
        }
        const area = size * size;
        let tp = 0, fp = 0, fn = 0;
        for (let i = k * area; i < (k + 1) * area; i++) {
          if (pr[i] && t[i]) tp++;
          else if (pr[i]) fp++;
          else if (t[i]) fn++;
        }
        scores.push(tp + fp + fn === 0 ? 1 : tp / (tp + fp + fn));
        predictions.push(Uint8Array.from((pr as Int32Array).subarray(k * area, (k + 1) * area), (v) => v * 255));
      }
    }
    return { scores, predictions };
  }

  /**
   * Training speed at `size` on the current backend, images per second: a few forward and
   * backward passes after one warm-up (kernel compilation), gradients thrown away and the
   * weights (batch norm's moving statistics too) put back, so the run itself is unchanged.
   */
  async imagesPerSecond(size: number, steps = 2): Promise<number> {
    const { config, model, source } = this;
    const saved = model.getWeights().map((w) => w.clone());
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const rng = new Rng(hashSeed(config.seed, 0x5eed));
    let seconds = 0;
    try {
      for (let i = 0; i <= steps; i++) {
        const samples = await source.get(Array.from({ length: config.batchSize }, () => rng.int(0, source.count - 1)));
        const started = performance.now();
        const { x, y } = makeBatch(samples, source.size, size, config, config.augment, rng);
        const { value, grads } = tf.variableGrads(() => lossFn(config.loss, y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, variables);
        await value.data();
        tf.dispose([x, y, value, ...Object.values(grads)]);
        if (i > 0) seconds += (performance.now() - started) / 1000;
      }
    } finally {
      model.setWeights(saved);
      tf.dispose(saved);
    }
    return (steps * config.batchSize) / seconds;
  }

  private predict(x: tf.Tensor4D, mirrored: boolean): tf.Tensor {
    return mirrored ? predictMirrored(this.model, x) : this.model.predict(x) as tf.Tensor;
  }

  /**
   * Segmentation's decision rule: the boundary-probability threshold with the best boundary F1 on
   * these (synthetic validation) samples, with the predicted and labelled boundary shares there.
   * Picked rather than fixed at 0.5, since a loss weighted towards the rare class shifts the
   * probabilities (it would over-predict boundary at 0.5). `mirrored`: on probabilities averaged
   * over each sample's mirror images (predict.ts), as they will be decided.
   */
  async pickThreshold(indices: readonly number[], size: number, signal?: AbortSignal, mirrored = false): Promise<Decision> {
    const { config, source } = this;
    const thresholds = Array.from({ length: 17 }, (_, i) => 0.1 + 0.05 * i);
    const counts = thresholds.map(() => emptyBoundaryCounts());
    const predicted = thresholds.map(() => 0);
    let labelled = 0, pixels = 0;
    for (let start = 0; start < indices.length; start += config.batchSize) {
      await cancellationPoint(signal);
      const samples = await source.get(indices.slice(start, start + config.batchSize));
      const { x, y } = makeBatch(samples, source.size, size, config, NO_AUGMENT, new Rng(1));
      const [truth, probs] = tf.tidy(() => [tf.argMax(y, -1), lastClass(this.predict(x, mirrored))]);
      const [t, p] = [(await truth.data()) as Int32Array, (await probs.data()) as Float32Array];
      tf.dispose([x, y, truth, probs]);
      const area = size * size, mask = new Uint8Array(area);
      for (let k = 0; k < samples.length; k++) {
        const tk = t.subarray(k * area, (k + 1) * area), pk = p.subarray(k * area, (k + 1) * area);
        for (let i = 0; i < area; i++) labelled += tk[i];
        pixels += area;
        thresholds.forEach((th, j) => {
          let n = 0;
          for (let i = 0; i < area; i++) n += mask[i] = pk[i] > th ? 1 : 0;
          predicted[j] += n;
          addBoundaryCounts(counts[j], tk, mask, size);
        });
      }
    }
    const f1 = counts.map(boundaryF1);
    const best = f1.indexOf(Math.max(...f1));
    return { threshold: +thresholds[best].toFixed(2), boundaryF1: f1[best], predictedFraction: predicted[best] / pixels, labelFraction: labelled / pixels };
  }

  /**
   * Loss and metrics over the validation samples, plus a few predictions to show. Segmentation
   * decides boundary where its probability is above `threshold` (a picked decision), else by argmax.
   * `mirrored`: probabilities averaged over each sample's mirror images (predict.ts).
   */
  async validate(indices: readonly number[], size: number, signal?: AbortSignal, keep = 4, threshold?: number, mirrored = false): Promise<{ valLoss: number; metrics: Metrics; predictions: Prediction[] }> {
    const { config, source } = this;
    const classes = config.model.classes;
    let confusion = Array.from({ length: classes }, () => new Array(classes).fill(0));
    const boundaries = emptyBoundaryCounts();
    let lossSum = 0;
    const predictions: Prediction[] = [];
    const scores: number[] = [], truths: number[] = [];
    const rng = new Rng(1);
    for (let start = 0; start < indices.length; start += config.batchSize) {
      await cancellationPoint(signal);
      const samples = await source.get(indices.slice(start, start + config.batchSize));
      const { x, y } = makeBatch(samples, source.size, size, config, NO_AUGMENT, rng);
      const [loss, truth, predicted, probs] = tf.tidy(() => {
        const p = this.predict(x, mirrored);
        const decided = threshold === undefined ? tf.argMax(p, -1) : tf.cast(tf.greater(lastClass(p), threshold), 'int32');
        return [lossFn(config.loss, y, p), tf.argMax(y, -1), decided, lastClass(p)];
      });
      const [l, t, pr, pb, xs] = await Promise.all([loss.data(), truth.data(), predicted.data(), probs.data(), x.data()]);
      tf.dispose([x, y, loss, truth, predicted, probs]);
      lossSum += l[0] * samples.length;
      const batch = Array.from({ length: classes }, () => new Array(classes).fill(0));
      for (let i = 0; i < t.length; i++) batch[t[i]][pr[i]]++;
      confusion = addConfusion(confusion, batch);
      if (config.model.task === 'classify') for (let k = 0; k < samples.length; k++) { scores.push(pb[k]); truths.push(t[k]); }
      for (let k = 0; k < samples.length; k++) {
        const area = size * size;
        if (config.model.task === 'segment') addBoundaryCounts(boundaries, (t as Int32Array).subarray(k * area, (k + 1) * area), (pr as Int32Array).subarray(k * area, (k + 1) * area), size);
        if (predictions.length >= keep) continue;
        const image = previewImage(xs as Float32Array, k, area, modelChannels(config.model));
        if (config.model.task === 'segment') {
          predictions.push({ image, size, truth: Uint8Array.from((t as Int32Array).subarray(k * area, (k + 1) * area), (v) => v * 255),
            predicted: Uint8Array.from((pr as Int32Array).subarray(k * area, (k + 1) * area), (v) => v * 255) });
        } else {
          predictions.push({ image, size, truth: t[k], predicted: pr[k], probability: pb[k] });
        }
      }
    }
    const auc = rocAuc(scores, truths);
    const metrics = config.model.task === 'segment' ? { ...segmentMetrics(confusion), boundaryF1: boundaryF1(boundaries) }
      : { ...classifyMetrics(confusion), ...(Number.isNaN(auc) ? {} : { auc }) };
    return { valLoss: lossSum / indices.length, metrics, predictions };
  }
}

/**
 * LR finder: a short run with the learning rate rising exponentially, on a throwaway model; returns
 * (lr, loss) pairs, stopping early once the loss blows up.
 */
export async function findLr(model: tf.LayersModel, config: TrainConfig, source: SampleSource, lrs: number[],
  onPoint?: (lr: number, loss: number) => void, signal?: AbortSignal): Promise<{ lrs: number[]; losses: number[] }> {
  const { train } = splitIndices(source.count, config.valFraction, config.seed);
  const rng = new Rng(hashSeed(config.seed, 0xf1d));
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = adamW(variables, lrs[0], 0); // plain Adam: no weight decay while finding the LR
  const size = config.phases[0].size;
  const out = { lrs: [] as number[], losses: [] as number[] };
  let best = Infinity;
  try {
    for (let i = 0; i < lrs.length; i++) {
      await cancellationPoint(signal);
      const picks = Array.from({ length: config.batchSize }, () => train[rng.int(0, train.length - 1)]);
      const { x, y } = makeBatch(await source.get(picks), source.size, size, config, config.augment, rng);
      optimizer.learningRate = lrs[i];
      const cost = optimizer.minimize(() => lossFn(config.loss, y, model.apply(x, { training: true }) as tf.Tensor));
      const loss = (await cost.data())[0];
      tf.dispose([x, y, cost]);
      out.lrs.push(lrs[i]);
      out.losses.push(loss);
      onPoint?.(lrs[i], loss);
      best = Math.min(best, loss);
      if (!Number.isFinite(loss) || loss > 4 * best) break;
    }
  } finally {
    optimizer.dispose();
  }
  return out;
}
