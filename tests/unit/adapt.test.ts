import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { adaptBatchNorm, MIN_ADAPT_IMAGES } from '../../src/lib/ml/adapt';
import { defaultTrainConfig, type TrainConfig } from '../../src/lib/ml/config';
import { buildModel } from '../../src/lib/ml/models';
import { NO_AUGMENT } from '../../src/lib/ml/augment';
import { Rng } from '../../src/lib/random';
import { makeBatch, type RawSample, type SampleSource } from '../../src/lib/ml/trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const size = 32;
/** Grey images whose brightness and contrast differ from image to image (as real ones do from synthetic). */
function source(count: number, seed: number): SampleSource & { samples: RawSample[] } {
  const rng = new Rng(seed);
  const samples = Array.from({ length: count }, () => {
    const level = rng.int(40, 200), spread = rng.int(5, 50);
    return { image: Uint8Array.from({ length: size * size }, () => Math.max(0, Math.min(255, level + rng.int(-spread, spread)))), label: 0 };
  });
  return { count, size, samples, get: async (indices) => indices.map((i) => samples[i]) };
}

/** A convolution, then the batch norm whose statistics can be computed by hand. */
function tinyModel(): tf.LayersModel {
  const input = tf.input({ shape: [null, null, 1] as unknown as number[] });
  const conv = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', kernelInitializer: 'glorotUniform', name: 'c' }).apply(input) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization({ name: 'bn', momentum: 0.9 }).apply(conv) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: tf.layers.globalAveragePooling2d({}).apply(bn) as tf.SymbolicTensor });
}

const config: TrainConfig = { ...defaultTrainConfig('classify', size), batchSize: 4 };
const moving = (model: tf.LayersModel) => model.getLayer('bn').getWeights().slice(2).map((w) => Array.from(w.dataSync()));

describe('adapting batch-norm statistics to unlabelled images', () => {
  it('sets the moving mean and variance to the mean of the batches\' own statistics, and puts the trained ones back', async () => {
    const model = tinyModel();
    const data = source(10, 1);
    const trained = moving(model);
    const restore = await adaptBatchNorm(model, data, config, Array.from({ length: 10 }, (_, i) => i), size);
    // By hand: batches of 4, 4 and 2 images through the convolution, each batch's per-channel mean and variance, averaged.
    const conv = tf.model({ inputs: model.inputs, outputs: model.getLayer('c').output as tf.SymbolicTensor });
    const means: number[][] = [], variances: number[][] = [];
    for (const [start, end] of [[0, 4], [4, 8], [8, 10]]) {
      const { x } = makeBatch(data.samples.slice(start, end), size, size, config, NO_AUGMENT, new Rng(1));
      const { mean, variance } = tf.moments(conv.predict(x) as tf.Tensor, [0, 1, 2]);
      means.push(Array.from(mean.dataSync()));
      variances.push(Array.from(variance.dataSync()));
    }
    const average = (rows: number[][]) => rows[0].map((_, c) => rows.reduce((a, r) => a + r[c], 0) / rows.length);
    const [mean, variance] = moving(model);
    average(means).forEach((m, c) => expect(mean[c]).toBeCloseTo(m, 4));
    average(variances).forEach((v, c) => expect(variance[c]).toBeCloseTo(v, 4));
    expect(mean).not.toEqual(trained[0]);
    // The layer's own momentum is left as it was.
    expect((model.getLayer('bn') as unknown as { momentum: number }).momentum).toBe(0.9);
    restore();
    expect(moving(model)).toEqual(trained);
  });

  it('changes nothing but the moving statistics: weights and the network\'s own batch norms in a ResNet', async () => {
    const model = buildModel({ task: 'classify', depth: 10, width: 0.125, classes: 2 });
    const before = model.getWeights().map((w) => Array.from(w.dataSync()));
    const names = model.weights.map((w) => w.originalName);
    const restore = await adaptBatchNorm(model, source(6, 2), config, [0, 1, 2, 3, 4, 5], size);
    const after = model.getWeights().map((w) => Array.from(w.dataSync()));
    names.forEach((name, k) => {
      if (/moving_(mean|variance)/.test(name)) return;
      expect(after[k], name).toEqual(before[k]);
    });
    expect(names.some((name, k) => /moving_mean/.test(name) && after[k].some((v, i) => v !== before[k][i]))).toBe(true);
    restore();
    expect(model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before);
  });

  it(`refuses fewer than ${MIN_ADAPT_IMAGES} images, and a cancel puts the trained statistics back`, async () => {
    const model = tinyModel();
    const trained = moving(model);
    await expect(adaptBatchNorm(model, source(3, 3), config, [0, 1, 2], size)).rejects.toThrow(/at least 4 of them; 3 were given/);
    const controller = new AbortController();
    const data = source(12, 4);
    const slow: SampleSource = { ...data, get: async (indices) => { controller.abort(); return data.get(indices); } };
    await expect(adaptBatchNorm(model, slow, config, Array.from({ length: 12 }, (_, i) => i), size, controller.signal)).rejects.toThrow();
    expect(moving(model)).toEqual(trained);
  });
});
