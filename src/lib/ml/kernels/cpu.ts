/**
 * Fixes for TF.js 4.22's CPU backend, which is the app's last fallback and the reference the other
 * backends' gradients are checked against: its resize gradients (the U-Net's upsampling layers) are
 * wrong, so a U-Net trained on it learned from wrong gradients. Replaced by exact adjoints of its
 * own forward resize (resizeGrad.ts). Importing this module registers them once.
 */
import * as tf from '@tensorflow/tfjs';
import { resizeBilinearGrad, resizeNearestGrad } from './resizeGrad';

const BACKEND = 'cpu';

interface CpuBackendLike {
  data: { get(dataId: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

function resizeGradKernel(kernelName: string, grad: typeof resizeNearestGrad): tf.KernelConfig {
  return {
    kernelName,
    backendName: BACKEND,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { images, dy } = inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
      const { alignCorners, halfPixelCenters } = attrs as unknown as { alignCorners: boolean; halfPixelCenters: boolean };
      const cpu = backend as unknown as CpuBackendLike;
      const [batch, inHeight, inWidth, channels] = images.shape;
      const dx = new Float32Array(batch * inHeight * inWidth * channels);
      grad(cpu.data.get(dy.dataId).values, dx, { batch, inHeight, inWidth, channels, outHeight: dy.shape[1], outWidth: dy.shape[2] }, alignCorners, halfPixelCenters);
      return cpu.makeTensorInfo(images.shape, 'float32', dx);
    },
  };
}

const kernels = [resizeGradKernel(tf.ResizeNearestNeighborGrad, resizeNearestGrad), resizeGradKernel(tf.ResizeBilinearGrad, resizeBilinearGrad)];

export function registerCpuFixes(): void {
  for (const config of kernels) {
    if (tf.getKernel(config.kernelName, BACKEND)?.kernelFunc === config.kernelFunc) continue;
    if (tf.getKernel(config.kernelName, BACKEND)) tf.unregisterKernel(config.kernelName, BACKEND);
    tf.registerKernel(config);
  }
}

registerCpuFixes();
