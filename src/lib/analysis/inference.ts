/**
 * Inference on the user's own images, any size: sliding windows for the crack classifier (a
 * probability per window, averaged into a per-pixel heatmap) and overlapping tiles for the U-Net,
 * blended with weights that fall off towards tile edges so seams do not show. Images come in the
 * model's channels: grey (1 byte per pixel) or RGB (3, interleaved), normalised per channel as in
 * training (`normaliseChannels`).
 */
import * as tf from '@tensorflow/tfjs';
import type { GreyImage } from '../data/tiling';
import { gridPositions } from '../data/tiling';
import { channelStats, normaliseChannels, type InputNorm } from '../ml/augment';
import { channelWords } from '../ml/config';
import { lastClass } from '../ml/losses';
import { MIRROR_AVERAGED, predictMirrored } from '../ml/predict';
import { lumaOf, repeatGrey } from '../synth/grains/colour';
import { cancellationPoint } from '../engine/rpc';
import type { WindowResult } from './result';

/**
 * An image as a model of `channels` reads it: a grey model the grey; an RGB model the colour
 * upload's RGB, or a grey image's grey in all three channels (a colour image without colour).
 */
export function imageForModel(image: GreyImage & { colour?: Uint8Array }, channels: 1 | 3): GreyImage {
  const { width, height } = image;
  if (channels === 1) return { width, height, pixels: image.pixels.length === width * height ? image.pixels : lumaOf(image.pixels) };
  return { width, height, pixels: image.colour ?? repeatGrey(image.pixels) };
}

/**
 * Cuts a w² window at (x, y) of an image of `channels` interleaved channels and resizes it to
 * `size`² (bilinear, channel by channel), not yet normalised; writes size² × channels values.
 */
function windowInput(img: GreyImage, x: number, y: number, w: number, size: number, out: Float32Array, offset: number, channels = 1) {
  const scale = w / size;
  for (let j = 0; j < size; j++) for (let i = 0; i < size; i++) {
    const sx = Math.min(w - 1, Math.max(0, (i + 0.5) * scale - 0.5)), sy = Math.min(w - 1, Math.max(0, (j + 0.5) * scale - 0.5));
    const x0 = Math.min(w - 2, Math.floor(sx)), y0 = Math.min(w - 2, Math.floor(sy)), fx = sx - x0, fy = sy - y0;
    for (let c = 0; c < channels; c++) {
      const at = (u: number, v: number) => img.pixels[((y + v) * img.width + x + u) * channels + c];
      const top = at(x0, y0) + fx * (at(x0 + 1, y0) - at(x0, y0)), bottom = at(x0, y0 + 1) + fx * (at(x0 + 1, y0 + 1) - at(x0, y0 + 1));
      out[offset + (j * size + i) * channels + c] = top + fy * (bottom - top);
    }
  }
}

/** The model's input channels, checked against the image's, so a mismatch is refused with words, not a shape error. */
function inputChannels(model: tf.LayersModel, img: GreyImage): 1 | 3 {
  const channels = model.inputs[0].shape[3];
  if (channels !== 1 && channels !== 3) throw new Error(`This model takes ${channels}-channel images; Analyse reads images grey (1 channel) or RGB (3).`);
  const have = img.pixels.length / (img.width * img.height);
  if (have !== channels) throw new RangeError(`This model takes ${channelWords(channels)} images; the image given is ${channelWords(have)}.`);
  return channels;
}

/**
 * Crack probability of every `window`² window on a grid of `stride` (fed to the model at
 * `inputSize`²), in batches; an aborted signal ends it with a CancelledError.
 */
export async function classifyWindows(model: tf.LayersModel, img: GreyImage, window: number, stride: number, inputSize: number,
  batch = 16, signal?: AbortSignal, norm: InputNorm = 'fixed'): Promise<WindowResult[]> {
  const channels = inputChannels(model, img);
  const positions = gridPositions(img.width, img.height, window, stride);
  const out: WindowResult[] = [];
  for (let start = 0; start < positions.length; start += batch) {
    await cancellationPoint(signal);
    const chunk = positions.slice(start, start + batch);
    const area = inputSize * inputSize;
    const data = new Float32Array(chunk.length * area * channels);
    // Each window is normalised on its own (each channel apart), as each training tile was.
    chunk.forEach(([x, y], k) => {
      windowInput(img, x, y, window, inputSize, data, k * area * channels, channels);
      normaliseChannels(data, k * area * channels, area, channels, norm);
    });
    const probs = tf.tidy(() => {
      const p = model.predict(tf.tensor4d(data, [chunk.length, inputSize, inputSize, channels])) as tf.Tensor;
      return lastClass(p);
    });
    const values = await probs.data();
    probs.dispose();
    chunk.forEach(([x, y], k) => out.push({ x, y, probability: values[k] }));
  }
  return out;
}

/**
 * Boundary probability of every pixel from `tile`² tiles overlapping by a quarter, each weighted
 * by a tent that is highest in its centre; returns the probability map. With `flips`, each tile's
 * probability is the mean over the tile and its three mirror images (a micrograph has no preferred
 * orientation, and training flipped its samples): four times the work for a steadier map. On the
 * NIST micrograph with the Try it model it took the grain count from −14.6 % to −13.2 % and
 * boundary F1 from 0.962 to 0.963.
 */
export async function segmentTiled(model: tf.LayersModel, img: GreyImage, tile: number, signal?: AbortSignal, norm: InputNorm = 'fixed', flips = MIRROR_AVERAGED.segment): Promise<Float32Array> {
  const channels = inputChannels(model, img);
  if (img.width < tile || img.height < tile) throw new Error(`The image is ${img.width}×${img.height}; the model needs at least ${tile}×${tile} px.`);
  const stride = Math.max(1, Math.round((tile * 3) / 4));
  const weight = new Float32Array(tile * tile);
  for (let j = 0; j < tile; j++) for (let i = 0; i < tile; i++) {
    const wx = 1 - Math.abs((i + 0.5) / tile - 0.5) * 2, wy = 1 - Math.abs((j + 0.5) / tile - 0.5) * 2;
    weight[j * tile + i] = Math.max(1e-3, wx * wy);
  }
  const stats = channelStats(img.pixels, channels);
  const sum = new Float32Array(img.width * img.height), total = new Float32Array(img.width * img.height);
  for (const [x, y] of gridPositions(img.width, img.height, tile, stride)) {
    await cancellationPoint(signal);
    const data = new Float32Array(tile * tile * channels);
    windowInput(img, x, y, tile, tile, data, 0, channels);
    // Tiles share the whole micrograph's statistics, per channel (a training sample was a whole image).
    normaliseChannels(data, 0, tile * tile, channels, norm, stats);
    const probs = tf.tidy(() => {
      const x1 = tf.tensor4d(data, [1, tile, tile, channels]);
      return lastClass(flips ? predictMirrored(model, x1) : model.predict(x1) as tf.Tensor).squeeze([0]);
    });
    const values = await probs.data();
    probs.dispose();
    for (let j = 0; j < tile; j++) for (let i = 0; i < tile; i++) {
      const o = (y + j) * img.width + x + i, w = weight[j * tile + i];
      sum[o] += w * values[j * tile + i];
      total[o] += w;
    }
  }
  for (let i = 0; i < sum.length; i++) sum[i] = total[i] ? sum[i] / total[i] : 0;
  return sum;
}
