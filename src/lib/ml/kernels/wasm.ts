/**
 * Makes TF.js' WASM backend a training backend: it lacks Conv2DBackpropFilter (so no convolution can
 * be trained on it), and its Conv2DBackpropInput is a plain loop far slower than its XNNPACK forward
 * convolution. Both are registered here, built on the backend's fast kernels (see conv2dGrad.ts).
 * Importing this module registers them once; importing it again changes nothing.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { conv2dFilterGrad, conv2dInputGrad } from './conv2dGrad';

type ConvAttrs = {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

const BACKEND = 'wasm';

function assertNhwc(kernel: string, attrs: ConvAttrs) {
  if (attrs.dataFormat === 'NCHW') throw new Error(`${kernel} on wasm supports NHWC (channels last) only.`);
}

const filterGrad: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: BACKEND,
  kernelFunc: ({ inputs, attrs }) => {
    const { x, dy } = inputs as unknown as { x: tf.Tensor4D; dy: tf.Tensor4D };
    const a = attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
    assertNhwc('Conv2DBackpropFilter', a);
    return conv2dFilterGrad(x, dy, a.filterShape, a.strides, a.pad, a.dimRoundingMode);
  },
};

const inputGrad: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: BACKEND,
  kernelFunc: ({ inputs, attrs }) => {
    const { dy, filter } = inputs as unknown as { dy: tf.Tensor4D; filter: tf.Tensor4D };
    const a = attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
    assertNhwc('Conv2DBackpropInput', a);
    return conv2dInputGrad(dy, filter, a.inputShape, a.strides, a.pad, a.dimRoundingMode);
  },
};

/** Registers (or re-registers) the kernels; replacing a kernel unregisters it first, so TF.js does not warn. */
export function registerWasmTrainingKernels(): void {
  for (const config of [filterGrad, inputGrad]) {
    if (tf.getKernel(config.kernelName, BACKEND)?.kernelFunc === config.kernelFunc) continue;
    if (tf.getKernel(config.kernelName, BACKEND)) tf.unregisterKernel(config.kernelName, BACKEND);
    tf.registerKernel(config);
  }
}

registerWasmTrainingKernels();
