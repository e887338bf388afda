/**
 * ResNet classifier and ResNet-encoder U-Net, built with the TF.js layers API so they save and
 * load as plain TF.js models. Layer names carry their role: `enc_` (encoder), `head_` (classifier
 * head), `dec_` (U-Net decoder), so phases can freeze the encoder by name.
 */
import * as tf from '@tensorflow/tfjs';

import { batchNormalization } from './batchNorm';
import { conv2d } from './conv2d';
import { DEPTHS, modelChannels, modelConfigError, type ModelConfig } from './config';

const filters = (base: number, width: number) => Math.max(4, Math.round(base * width));

/** Seeded He-normal kernels: each layer gets its own seed from the model seed and a counter. */
let initSeed: number | undefined;
let initCount = 0;
const heNormal = () => tf.initializers.heNormal({ seed: initSeed === undefined ? undefined : initSeed * 1000 + initCount++ });

function convBn(x: tf.SymbolicTensor, f: number, k: number, stride: number, name: string, relu = true): tf.SymbolicTensor {
  // No kernel regulariser: weight decay is applied decoupled (AdamW), not as a loss term.
  let y = conv2d({ filters: f, kernelSize: k, strides: stride, padding: 'same', useBias: false, kernelInitializer: heNormal(), name: `${name}_conv` }).apply(x) as tf.SymbolicTensor;
  y = batchNormalization({ name: `${name}_bn`, momentum: 0.9 }).apply(y) as tf.SymbolicTensor;
  return relu ? (tf.layers.reLU({ name: `${name}_relu` }).apply(y) as tf.SymbolicTensor) : y;
}

function block(x: tf.SymbolicTensor, f: number, stride: number, bottleneck: boolean, name: string): tf.SymbolicTensor {
  const inChannels = x.shape[3]!;
  const outChannels = bottleneck ? 4 * f : f;
  let y: tf.SymbolicTensor;
  if (bottleneck) {
    y = convBn(x, f, 1, 1, `${name}_a`);
    y = convBn(y, f, 3, stride, `${name}_b`);
    y = convBn(y, outChannels, 1, 1, `${name}_c`, false);
  } else {
    y = convBn(x, f, 3, stride, `${name}_a`);
    y = convBn(y, f, 3, 1, `${name}_b`, false);
  }
  const shortcut = stride !== 1 || inChannels !== outChannels ? convBn(x, outChannels, 1, stride, `${name}_proj`, false) : x;
  const sum = tf.layers.add({ name: `${name}_add` }).apply([y, shortcut]) as tf.SymbolicTensor;
  return tf.layers.reLU({ name: `${name}_out` }).apply(sum) as tf.SymbolicTensor;
}

/** Stem (7×7 stride 2, max-pool) and four stages; returns the stem and each stage's output. */
function encoder(input: tf.SymbolicTensor, c: ModelConfig): tf.SymbolicTensor[] {
  const { blocks, bottleneck } = DEPTHS[c.depth];
  const stem = convBn(input, filters(64, c.width), 7, 2, 'enc_stem');
  let x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'enc_pool' }).apply(stem) as tf.SymbolicTensor;
  const outputs = [stem];
  [64, 128, 256, 512].forEach((base, stage) => {
    for (let b = 0; b < blocks[stage]; b++) {
      x = block(x, filters(base, c.width), b === 0 && stage > 0 ? 2 : 1, bottleneck, `enc_s${stage + 1}b${b + 1}`);
    }
    outputs.push(x);
  });
  return outputs;
}

export function buildModel(c: ModelConfig): tf.LayersModel {
  const message = modelConfigError(c);
  if (message) throw new RangeError(message);
  initSeed = c.seed;
  initCount = 0;
  const input = tf.input({ shape: [null, null, modelChannels(c)], name: 'image' });
  const features = encoder(input, c);
  if (c.task === 'classify') {
    const pooled = tf.layers.globalAveragePooling2d({ name: 'head_pool' }).apply(features[features.length - 1]) as tf.SymbolicTensor;
    const output = tf.layers.dense({ units: c.classes, activation: 'softmax', kernelInitializer: heNormal(), name: 'head_dense' }).apply(pooled) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: output, name: `resnet${c.depth}` });
  }
  // Decoder: from the deepest stage up, upsample ×2, join the skip of that resolution, two convs.
  let x = features[features.length - 1];
  for (let k = features.length - 2; k >= 0; k--) {
    const skip = features[k];
    const f = Math.max(8, Math.round(skip.shape[3]! / (k === 0 ? 1 : 2)));
    x = tf.layers.upSampling2d({ size: [2, 2], name: `dec_up${k}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.concatenate({ name: `dec_cat${k}` }).apply([x, skip]) as tf.SymbolicTensor;
    x = convBn(x, f, 3, 1, `dec_${k}a`);
    x = convBn(x, f, 3, 1, `dec_${k}b`);
  }
  x = tf.layers.upSampling2d({ size: [2, 2], interpolation: 'bilinear', name: 'dec_up_full' }).apply(x) as tf.SymbolicTensor;
  x = convBn(x, Math.max(8, filters(32, c.width)), 3, 1, 'dec_full');
  const output = conv2d({ filters: c.classes, kernelSize: 1, activation: 'softmax', kernelInitializer: heNormal(), name: 'dec_logits' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: `unet${c.depth}` });
}

/** Freezes or unfreezes every encoder layer (phase "head only" vs "everything"). */
export function setEncoderTrainable(model: tf.LayersModel, trainable: boolean): void {
  for (const layer of model.layers) if (layer.name.startsWith('enc_')) layer.trainable = trainable;
}
