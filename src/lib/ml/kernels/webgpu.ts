/**
 * Our WebGPU kernels (registered on import), and the choice between the programs for a real GPU
 * and those for a software one (SwiftShader: the GPU emulated on the CPU, where workgroups and
 * barriers are costly and a thread's own loop is cheap).
 */
import './batchNormWebgpu';
import { conv2dWebgpuSettings } from './conv2dWebgpu';
import { reduceWebgpuSettings } from './reduceWebgpu';

/**
 * On a software GPU: a direct forward convolution (about 3× faster there than TF.js' matrix
 * product), four output channels per thread in our convolution programs, and Sum, Mean and
 * Softmax as loops. A real GPU keeps the programs measured on one (an H100).
 */
export function useSoftwareGpuKernels(software: boolean): void {
  Object.assign(conv2dWebgpuSettings, { direct: software, channelsPerThread: software ? 4 : 1 });
  reduceWebgpuSettings.enabled = software;
}
