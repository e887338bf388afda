/**
 * An ImageNet-pretrained encoder for the classifier: any TF.js layers model loaded from a URL
 * (default: Google's public MobileNet v1 0.25), kept in IndexedDB after the first download so it
 * works offline. Its last 4-D feature map becomes the encoder (named enc_… so phases can freeze
 * it); grey input at the model's own input size (the trainer's resizing warp makes that size; a
 * resizing layer is not used because TF.js 4.22's drops the batch dimension) is scaled to
 * [−1, 1] and repeated to three channels. Training from scratch stays the offline default. The U-Net keeps its ResNet encoder,
 * as its skips need the encoder's stage outputs.
 */
import * as tf from '@tensorflow/tfjs';
import { fnv1a } from '../synth/dataset';
import type { ModelConfig } from './config';
import { saveArtifacts } from './modelStore';

const cachePath = (url: string) => `synthscope-pretrained-v1-${fnv1a(new TextEncoder().encode(url)).toString(16)}`;

/**
 * From the IndexedDB cache, else from the URL (then cached). A cache that cannot be written (a
 * full disk) does not stop the work: `notCached` says why it was not kept.
 */
export async function loadPretrained(url: string): Promise<{ model: tf.LayersModel; fromCache: boolean; notCached?: string }> {
  const key = `indexeddb://${cachePath(url)}`;
  try {
    return { model: await tf.loadLayersModel(key), fromCache: true };
  } catch {
    // not cached yet
  }
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(url);
  } catch (e) {
    throw new Error(`The pretrained encoder could not be loaded from ${url} (${(e as Error).message}). ` +
      'Check the address and the connection, or train from scratch; once loaded it is kept for offline use.');
  }
  const notCached = await saveArtifacts(cachePath(url), model, 'The pretrained encoder').then(() => undefined, (e: Error) => e.message);
  return { model, fromCache: false, notCached };
}

/** The input side the pretrained classifier needs; training phases run at this size. */
export const pretrainedInputSize = (model: tf.LayersModel) => model.inputs[0].shape[1] as number;

/** A classifier: pretrained features → global average pooling → a new dense head. */
export function buildPretrainedClassifier(pretrained: tf.LayersModel, config: ModelConfig): tf.LayersModel {
  const [, height, width, channels] = pretrained.inputs[0].shape;
  if (!height || !width || !channels || height !== width) throw new Error('The pretrained model must have a fixed, square input size.');
  const featureLayer = [...pretrained.layers].reverse().find((l) => {
    const shape = l.outputShape as number[] | number[][];
    return !Array.isArray(shape[0]) && (shape as number[]).length === 4;
  });
  if (!featureLayer) throw new Error('The pretrained model has no convolutional feature map to use as an encoder.');
  const features = tf.model({ inputs: pretrained.inputs, outputs: featureLayer.output as tf.SymbolicTensor, name: 'enc_pretrained' });
  const input = tf.input({ shape: [height, width, 1], name: 'image' });
  let x = tf.layers.rescaling({ scale: 0.5, name: 'enc_scale' }).apply(input) as tf.SymbolicTensor; // our −2…2 → MobileNet's −1…1
  if (channels > 1) x = tf.layers.concatenate({ name: 'enc_rgb' }).apply(Array(channels).fill(x)) as tf.SymbolicTensor;
  x = features.apply(x) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({ name: 'head_pool' }).apply(x) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: config.classes, activation: 'softmax', name: 'head_dense' }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'pretrained_classifier' });
}
