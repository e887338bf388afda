import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/lib/random';
import { augmentInto, augmentRgbInto, DEFAULT_AUGMENT, greyStats, NO_AUGMENT, normaliseInput } from '../../src/lib/ml/augment';
import { lastClass, lossFn } from '../../src/lib/ml/losses';
import { predictMirrored } from '../../src/lib/ml/predict';
import { classifyWindows, imageForModel, segmentTiled } from '../../src/lib/analysis/inference';
import { segmentAtScale } from '../../src/lib/analysis/scale';
import { classifyMetrics, confusionMatrix, segmentMetrics } from '../../src/lib/ml/metrics';
import { buildModel, setEncoderTrainable } from '../../src/lib/ml/models';
import { lrSweep, oneCycle, suggestLr } from '../../src/lib/ml/schedule';
import type { TrainConfig } from '../../src/lib/ml/config';
import type { DatasetRecord } from '../../src/lib/data/db';
import { withDatasetChannels } from '../../src/lib/ml/modelRecords';
import { presetById } from '../../src/lib/synth/grains/space';
import { adamW, makeBatch, Trainer, type RawSample, type SampleSource } from '../../src/lib/ml/trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Two easy classes: a bright vertical bar (1) or a bright horizontal bar (0) on noise. */
function barSource(count: number, size: number): SampleSource {
  const samples: RawSample[] = Array.from({ length: count }, (_, i) => {
    const rng = new Rng(i + 1);
    const image = Uint8Array.from({ length: size * size }, () => 60 + rng.int(0, 40));
    const mask = new Uint8Array(size * size);
    const label = i % 2;
    const at = rng.int(size / 4, (3 * size) / 4);
    for (let k = 0; k < size; k++) for (let w = -2; w <= 2; w++) {
      const p = label ? k * size + at + w : (at + w) * size + k;
      image[p] = 220;
      mask[p] = 255;
    }
    return { image, mask, label };
  });
  return { count, size, get: async (idx) => idx.map((i) => samples[i]) };
}

describe('models', () => {
  it('build ResNet classifiers and U-Nets of every depth with the expected outputs', () => {
    for (const depth of [10, 18, 34, 50] as const) {
      const c = buildModel({ task: 'classify', depth, width: 0.125, classes: 2 });
      const u = buildModel({ task: 'segment', depth, width: 0.125, classes: 2 });
      const [pc, pu] = tf.tidy(() => [c.predict(tf.zeros([2, 64, 64, 1])) as tf.Tensor, u.predict(tf.zeros([1, 64, 64, 1])) as tf.Tensor]);
      expect(pc.shape).toEqual([2, 2]);
      expect(pu.shape).toEqual([1, 64, 64, 2]);
      tf.dispose([pc, pu]);
      c.dispose();
      u.dispose();
    }
    expect(() => buildModel({ task: 'classify', depth: 12 as never, width: 1, classes: 2 })).toThrow('Depth must be one of 10, 18, 34, 50');
  });

  it('the same seed gives the same initial weights', () => {
    const weights = () => {
      const m = buildModel({ task: 'classify', depth: 10, width: 0.125, classes: 2, seed: 3 });
      const w = m.getWeights().map((t) => Array.from(t.dataSync()));
      m.dispose();
      return w;
    };
    expect(weights()).toEqual(weights());
  });

  it('freezing the encoder leaves only head weights trainable', () => {
    const m = buildModel({ task: 'classify', depth: 10, width: 0.125, classes: 2 });
    setEncoderTrainable(m, false);
    expect(m.trainableWeights.every((w) => w.name.startsWith('head_'))).toBe(true);
    setEncoderTrainable(m, true);
    expect(m.trainableWeights.some((w) => w.name.startsWith('enc_'))).toBe(true);
    m.dispose();
  });
});

describe('schedules', () => {
  it('one-cycle warms up to the maximum and anneals far below it', () => {
    const lrs = Array.from({ length: 100 }, (_, s) => oneCycle(s, 100, 0.01));
    expect(lrs[0]).toBeCloseTo(0.01 / 25);
    expect(Math.max(...lrs)).toBeCloseTo(0.01, 4);
    expect(lrs.indexOf(Math.max(...lrs))).toBe(25);
    expect(lrs[99]).toBeLessThan(1e-5);
  });

  it('the LR finder suggestion sits where the loss falls fastest, before it blows up', () => {
    const lrs = lrSweep(60, 1e-5, 1);
    const losses = lrs.map((lr) => (lr < 1e-3 ? 1 : lr < 1e-1 ? 1 - 0.4 * Math.log10(lr / 1e-3) : 0.2 + 20 * (lr - 0.1)));
    const { suggestion } = suggestLr(lrs, losses);
    expect(suggestion).toBeGreaterThan(1e-3);
    expect(suggestion).toBeLessThan(1e-1);
  });
});

describe('metrics and losses', () => {
  it('compute error, confusion and IoU', () => {
    const m = confusionMatrix([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], 2);
    expect(m).toEqual([[1, 1], [1, 2]]);
    expect(classifyMetrics(m).error).toBeCloseTo(0.4);
    const s = segmentMetrics(m);
    expect(s.iou[0]).toBeCloseTo(1 / 3);
    expect(s.iou[1]).toBeCloseTo(2 / 4);
    expect(s.miou).toBeCloseTo((1 / 3 + 0.5) / 2);
  });

  it('every loss is lower for a better prediction', () => {
    const y = tf.oneHot(tf.tensor1d([0, 1, 1, 0, 0, 0, 0, 1], 'int32'), 2);
    const good = tf.tensor2d([[0.9, 0.1], [0.2, 0.8], [0.1, 0.9], [0.8, 0.2], [0.9, 0.1], [0.7, 0.3], [0.9, 0.1], [0.3, 0.7]]);
    const bad = tf.sub(1, good);
    for (const name of ['ce', 'weighted-ce', 'dice', 'focal', 'weighted-ce+dice'] as const) {
      expect(lossFn(name, y, good).dataSync()[0]).toBeLessThan(lossFn(name, y, bad).dataSync()[0]);
    }
  });
});

describe('augmentation', () => {
  it('moves image and mask together and resizes', () => {
    const size = 32, src = new Uint8Array(size * size), mask = new Uint8Array(size * size);
    for (let y = 0; y < size; y++) for (let x = 0; x < 8; x++) { src[y * size + x] = 255; mask[y * size + x] = 255; }
    for (let seed = 0; seed < 20; seed++) {
      const image = new Float32Array(16 * 16), out = new Uint8Array(16 * 16);
      augmentInto(src, mask, size, 16, { ...DEFAULT_AUGMENT, brightness: 0, contrast: 0 }, new Rng(seed), image, 0, out, 0);
      let agree = 0;
      for (let i = 0; i < out.length; i++) if ((image[i] > 0) === (out[i] === 1)) agree++;
      expect(agree / out.length).toBeGreaterThan(0.95);
    }
    const image = new Float32Array(size * size), out = new Uint8Array(size * size);
    augmentInto(src, mask, size, size, NO_AUGMENT, new Rng(1), image, 0, out, 0);
    expect(Array.from(out)).toEqual(Array.from(mask, (v) => (v > 127 ? 1 : 0)));
  });

  it('mottling adds blotches a few pixels across, up to the stated spread, on about half the samples, never to the mask', () => {
    const size = 64, flat = new Uint8Array(size * size).fill(128), mask = new Uint8Array(size * size).fill(255);
    let mottled = 0;
    for (let seed = 0; seed < 40; seed++) {
      const image = new Float32Array(size * size), out = new Uint8Array(size * size);
      augmentInto(flat, mask, size, size, { ...NO_AUGMENT, mottle: 0.08 }, new Rng(seed), image, 0, out, 0);
      expect(out.every((v) => v === 1)).toBe(true);
      const grey = Array.from(image, (v) => (v / 4 + 0.5) * 255); // 'fixed' inputs back to grey levels
      const mean = grey.reduce((a, v) => a + v, 0) / grey.length;
      const sd = Math.sqrt(grey.reduce((a, v) => a + (v - mean) ** 2, 0) / grey.length);
      if (sd < 0.5) continue;
      mottled++;
      expect(sd).toBeLessThanOrEqual(0.08 * 255 + 0.5);
      // Blotches, not pixel noise: neighbours move together.
      let pair = 0;
      for (let y = 0; y < size; y++) for (let x = 0; x + 1 < size; x++) pair += (grey[y * size + x] - mean) * (grey[y * size + x + 1] - mean);
      expect(pair / (size * (size - 1)) / (sd * sd)).toBeGreaterThan(0.6);
    }
    expect(mottled).toBeGreaterThan(10);
    expect(mottled).toBeLessThan(30);
  });
});

describe('training', () => {
  it('a tiny classifier learns an easy two-class set, with a flat tensor count', async () => {
    const source = barSource(96, 32);
    const config: TrainConfig = {
      model: { task: 'classify', depth: 10, width: 0.125, classes: 2, seed: 1 }, loss: 'ce', batchSize: 16, weightDecay: 0.01,
      phases: [{ epochs: 1, maxLr: 0.01, freezeEncoder: false, size: 32 }, { epochs: 4, maxLr: 0.01, freezeEncoder: false, size: 32 }],
      augment: { ...NO_AUGMENT, flips: true },
      seed: 1, valFraction: 0.25,
    };
    const model = buildModel(config.model);
    const counts: number[] = [];
    const trainer = new Trainer(model, config, source, { onEpoch: () => void counts.push(tf.memory().numTensors) });
    const result = await trainer.run();
    expect(result.history).toHaveLength(5);
    expect((result.history.at(-1)!.metrics as { error: number }).error).toBeLessThan(0.1);
    // Within a phase the tensor count stays flat once the optimiser has made its moments.
    expect(new Set(counts.slice(2)).size).toBe(1);
    model.dispose();
  }, 120_000);
});

describe('pretrained encoder', () => {
  it('wraps any fixed-size TF.js model as a grey-input classifier whose encoder freezes', async () => {
    const { buildPretrainedClassifier } = await import('../../src/lib/ml/pretrained');
    const pre = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [32, 32, 3], filters: 4, kernelSize: 3, activation: 'relu' }),
      tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2 }),
      tf.layers.flatten(), tf.layers.dense({ units: 10 }),
    ] });
    const model = buildPretrainedClassifier(pre, { task: 'classify', depth: 18, width: 1, classes: 2 });
    const out = tf.tidy(() => (model.predict(tf.zeros([2, 32, 32, 1])) as tf.Tensor).shape);
    expect(out).toEqual([2, 2]);
    setEncoderTrainable(model, false);
    expect(model.trainableWeights.map((w) => w.name).every((n) => n.startsWith('head_'))).toBe(true);
    setEncoderTrainable(model, true);
    expect(model.trainableWeights.length).toBeGreaterThan(2);
  });

  it('caps the batch by the GPU buffer limit', async () => {
    const { maxBatchForBuffer } = await import('../../src/lib/ml/backend');
    expect(maxBatchForBuffer(undefined, 512, 64, 32)).toBe(32);
    expect(maxBatchForBuffer(128 * 2 ** 20, 512, 64, 32)).toBe(2); // (512/2)² × 64 filters × 4 B × 4 = 64 MiB a sample
    expect(maxBatchForBuffer(1, 512, 64, 32)).toBe(1);
  });
});

describe('inference on a whole micrograph', () => {
  it('with flips, a tile’s probability is the mean of the predictions on it and its mirror images, mirrored back', async () => {
    const model = buildModel({ task: 'segment', depth: 10, width: 0.125, classes: 2, seed: 3 });
    const rng = new Rng(5);
    const image = { width: 32, height: 32, pixels: Uint8Array.from({ length: 32 * 32 }, () => rng.int(0, 255)) };
    const flipped = await segmentTiled(model, image, 32, undefined, 'standardise', true);
    const plain = await segmentTiled(model, image, 32, undefined, 'standardise', false);
    // The same by hand: predict on each mirror image of the (already normalised) tile, mirror back, average.
    const input = Float32Array.from(image.pixels);
    normaliseInput(input, 0, input.length, 'standardise', greyStats(image.pixels));
    const expected = tf.tidy(() => {
      const x = tf.tensor4d(input, [1, 32, 32, 1]);
      const p = (t: tf.Tensor4D) => lastClass(model.predict(t) as tf.Tensor).expandDims(-1) as tf.Tensor4D;
      return tf.addN([p(x), p(x.reverse(2)).reverse(2), p(x.reverse(1)).reverse(1), p(x.reverse([1, 2])).reverse([1, 2])]).div(4).dataSync();
    });
    flipped.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    expect(plain.some((v, i) => Math.abs(v - flipped[i]) > 1e-4)).toBe(true); // a random network is not symmetric
    model.dispose();
  });

  it('a classifier\'s mirrored prediction is the mean of its four views\' class probabilities', () => {
    const model = buildModel({ task: 'classify', depth: 10, width: 0.125, classes: 2, seed: 3 });
    const rng = new Rng(6);
    const x = tf.tensor4d(Float32Array.from({ length: 2 * 32 * 32 }, () => rng.next() * 2 - 1), [2, 32, 32, 1]);
    const p = (t: tf.Tensor4D) => model.predict(t) as tf.Tensor;
    const expected = tf.addN([p(x), p(x.reverse(2)), p(x.reverse(1)), p(x.reverse([1, 2]))]).div(4);
    const mirrored = predictMirrored(model, x);
    expect(mirrored.shape).toEqual([2, 2]);
    const [got, want, plain] = [mirrored.dataSync(), expected.dataSync(), p(x).dataSync()];
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    expect(got.some((v, i) => Math.abs(v - plain[i]) > 1e-5)).toBe(true);
    tf.dispose([x, expected, mirrored]);
    model.dispose();
  });
});

/**
 * Two classes told apart only by colour: a bar tinted red (1) or blue (0) on grey noise, both with
 * the same luma as the grey bar would have, so a grey model sees no difference.
 */
function colourBarSource(count: number, size: number): SampleSource {
  const samples: RawSample[] = Array.from({ length: count }, (_, i) => {
    const rng = new Rng(i + 1);
    const image = new Uint8Array(3 * size * size);
    for (let p = 0; p < size * size; p++) image[3 * p] = image[3 * p + 1] = image[3 * p + 2] = 100 + rng.int(0, 30);
    const label = i % 2, at = rng.int(size / 4, (3 * size) / 4), vertical = rng.next() < 0.5;
    for (let k = 0; k < size; k++) for (let w = -2; w <= 2; w++) {
      const p = vertical ? k * size + at + w : (at + w) * size + k;
      const v = image[3 * p];
      // Red: R +60, G −30.6 (luma kept); blue: B +120, G −23.3.
      if (label) { image[3 * p] = v + 60; image[3 * p + 1] = v - 31; } else { image[3 * p + 2] = v + 120; image[3 * p + 1] = v - 23; }
    }
    return { image, label };
  });
  return { count, size, channels: 3, get: async (idx) => idx.map((i) => samples[i]) };
}

describe('colour (3-channel) models', () => {
  const config = (channels: 1 | 3): TrainConfig => ({
    model: { task: 'classify', depth: 10, width: 0.125, classes: 2, seed: 1, channels }, loss: 'ce', batchSize: 16, weightDecay: 0.01,
    phases: [{ epochs: 4, maxLr: 0.01, freezeEncoder: false, size: 32 }],
    augment: { ...NO_AUGMENT, flips: true }, seed: 1, valFraction: 0.25, norm: 'standardise',
  });

  it('augment every channel with the same warp: a grey image in three channels stays grey', () => {
    const size = 32, grey = Uint8Array.from({ length: size * size }, (_, i) => (i * 37) % 256);
    const rgb = new Uint8Array(3 * size * size).map((_, i) => grey[Math.floor(i / 3)]);
    const image = new Float32Array(3 * 24 * 24), mask = new Uint8Array(24 * 24);
    augmentRgbInto(rgb, grey, size, 24, DEFAULT_AUGMENT, new Rng(3), image, 0, mask, 0, 'standardise');
    for (let i = 0; i < 24 * 24; i++) {
      expect(image[3 * i + 1]).toBeCloseTo(image[3 * i], 5);
      expect(image[3 * i + 2]).toBeCloseTo(image[3 * i], 5);
    }
    expect(mask.some((v) => v === 1)).toBe(true);
  });

  it('a 3-channel classifier fits classes that differ only in colour, from NHWC batches of 3 channels', async () => {
    const source = colourBarSource(16, 32), cfg = config(3);
    const model = buildModel(cfg.model);
    expect(model.inputs[0].shape).toEqual([null, null, null, 3]);
    const { x, y } = makeBatch(await source.get(Array.from({ length: 8 }, (_, i) => i)), 32, 32, cfg, NO_AUGMENT, new Rng(1));
    expect(x.shape).toEqual([8, 32, 32, 3]);
    // Grey sees one picture in both classes; the RGB model fits the colour-only labels of a fixed batch.
    const optimizer = adamW(model.trainableWeights.map((w) => w.read() as tf.Variable), 0.01, 0);
    const losses: number[] = [];
    for (let step = 0; step < 12; step++) {
      const cost = optimizer.minimize(() => lossFn('ce', y, model.apply(x, { training: true }) as tf.Tensor));
      losses.push((await cost.data())[0]);
      cost.dispose();
    }
    expect(losses.at(-1)!).toBeLessThan(0.5 * losses[0]);
    optimizer.dispose();
    tf.dispose([x, y]);
    // The trainer runs it end to end (one step, validation and its preview images).
    const result = await new Trainer(model, { ...cfg, phases: [{ ...cfg.phases[0], epochs: 1 }] }, source).run();
    expect(result.history).toHaveLength(1);
    model.dispose();
  }, 240_000);

  /** A stand-in model of `channels` inputs that keeps every batch it is given and predicts 0.5 everywhere. */
  function recordingModel(channels: 1 | 3, task: 'classify' | 'segment') {
    const seen: { shape: number[]; values: Float32Array }[] = [];
    const model = {
      inputs: [{ shape: [null, null, null, channels] }],
      predict: (x: tf.Tensor) => {
        seen.push({ shape: x.shape, values: x.dataSync() as Float32Array });
        return task === 'classify' ? tf.fill([x.shape[0], 2], 0.5) : tf.fill([...x.shape.slice(0, 3), 2], 0.5);
      },
    } as unknown as tf.LayersModel;
    return { model, seen };
  }

  it('Analyse feeds an RGB model the same per-channel standardised RGB as training does, for windows and tiles', async () => {
    const size = 32, rng = new Rng(11);
    const rgb = Uint8Array.from({ length: 3 * size * size }, (_, i) => (i % 3 === 0 ? 150 : i % 3 === 1 ? 90 : 40) + rng.int(0, 60));
    const grey = { width: size, height: size, pixels: new Uint8Array(size * size) };
    const image = imageForModel({ ...grey, colour: rgb }, 3);
    for (const norm of ['standardise', 'fixed'] as const) {
      // Training's input for the same pixels as a whole sample, without augmentation.
      const cfg: TrainConfig = { ...config(3), norm };
      const { x, y } = makeBatch([{ image: rgb, label: 0 }], size, size, cfg, NO_AUGMENT, new Rng(1));
      const trained = x.dataSync();
      tf.dispose([x, y]);
      const crack = recordingModel(3, 'classify');
      await classifyWindows(crack.model, image, size, size, size, 16, undefined, norm);
      expect(crack.seen[0].shape).toEqual([1, size, size, 3]);
      crack.seen[0].values.forEach((v, i) => expect(v).toBeCloseTo(trained[i], 5));
      const grains = recordingModel(3, 'segment');
      await segmentTiled(grains.model, image, size, undefined, norm, false);
      expect(grains.seen[0].shape).toEqual([1, size, size, 3]);
      grains.seen[0].values.forEach((v, i) => expect(v).toBeCloseTo(trained[i], 5));
    }
  });

  it('an RGB model reads a grey image as its grey in three channels; grey models read grey; mismatches are refused in words', async () => {
    const grey = { width: 4, height: 2, pixels: Uint8Array.from([0, 10, 20, 30, 40, 50, 60, 70]) };
    expect(Array.from(imageForModel(grey, 3).pixels.subarray(0, 6))).toEqual([0, 0, 0, 10, 10, 10]);
    const colour = Uint8Array.from({ length: 24 }, (_, i) => i * 10);
    expect(imageForModel({ ...grey, colour }, 1).pixels).toBe(grey.pixels);
    expect(imageForModel({ ...grey, colour }, 3).pixels).toBe(colour);
    const { model } = recordingModel(3, 'segment');
    await expect(segmentTiled(model, { width: 32, height: 32, pixels: new Uint8Array(32 * 32) }, 32)).rejects.toThrow('This model takes colour (RGB, 3 channels) images; the image given is grey (1 channel).');
  });

  it('rescaling an RGB micrograph resamples every channel; the boundary map comes back at the original size', async () => {
    const w = 96, h = 64, rgb = new Uint8Array(3 * w * h);
    for (let i = 0; i < w * h; i++) { rgb[3 * i] = 200; rgb[3 * i + 1] = (i % w) * 2; rgb[3 * i + 2] = 30; }
    let segmented: { width: number; height: number; pixels: Uint8Array } | undefined;
    const { probability, rescaled } = await segmentAtScale({ width: w, height: h, pixels: rgb }, 1, 2, async (im) => {
      segmented = im;
      return new Float32Array(im.width * im.height).fill(0.25);
    });
    expect(rescaled).toMatchObject({ width: 48, height: 32 });
    expect(segmented!.pixels).toHaveLength(3 * 48 * 32);
    expect([segmented!.pixels[0], segmented!.pixels[2]]).toEqual([200, 30]);
    expect(segmented!.pixels[3 * 10 + 1]).toBe(41); // green keeps its ramp: the mean of 40 and 42
    expect(probability).toHaveLength(w * h);
  });

  it('a model made on a dataset takes the dataset\'s channels', () => {
    const dataset = (preset: string) => ({ recipe: { kind: 'grains', preset, settings: presetById(preset).settings, size: 64, count: 4, seed: 1 } }) as unknown as DatasetRecord;
    expect(withDatasetChannels(config(1), dataset('colour-etched')).model.channels).toBe(3);
    expect(withDatasetChannels(config(3), dataset('tint-etched')).model).not.toHaveProperty('channels');
  });

  it('refuses a model whose channels do not match its data, saying which is which', () => {
    const model = buildModel(config(1).model);
    expect(() => new Trainer(model, config(1), colourBarSource(8, 32))).toThrow('This model takes grey (1 channel) images, but its data is colour (RGB, 3 channels).');
    model.dispose();
    expect(() => buildModel({ ...config(3).model, channels: 2 as 3 })).toThrow('Channels must be 1 (grey) or 3 (RGB); got 2.');
  });
});
