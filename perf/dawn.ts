/**
 * TF.js' WebGPU backend in Node, through Dawn's Node bindings (the `webgpu` npm package, the WebGPU
 * implementation Chromium uses), for machines with a GPU but no browser. Not a dependency of the
 * project (50 MB of native builds): `npm i --no-save webgpu`, or pass the path of its index.js.
 * Without a GPU, Chromium's SwiftShader serves as the Vulkan driver:
 *   XDG_RUNTIME_DIR=/tmp VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
 */
import { pathToFileURL } from 'node:url';

/** Makes navigator.gpu Dawn's and loads TF.js' WebGPU backend with our kernels; returns the GPU object. */
export async function useDawn(module = 'webgpu'): Promise<{ requestAdapter(): Promise<{ info?: Record<string, string> } | null> }> {
  const dawn = await import(module.endsWith('.js') ? pathToFileURL(module).href : module);
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  // TF.js registers its WebGPU backend only where it sees a browser global and navigator.gpu.
  Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true });
  (globalThis as Record<string, unknown>).window ??= globalThis;
  await import('@tensorflow/tfjs-backend-webgpu');
  await import('../src/lib/ml/kernels/webgpu');
  return gpu;
}
