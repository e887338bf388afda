/**
 * Backend choice: WebGPU first, then WebGL, then CPU, with the reason for every fallback. Before a
 * GPU backend is accepted it passes a gradient self-test: the gradient of a tiny conv net computed
 * on it must match the CPU's, since a broken driver can train without errors and learn nothing.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { Rng } from '../random';

export type BackendName = 'webgpu' | 'webgl' | 'cpu';
export type BackendPreference = 'auto' | BackendName;

export interface BackendInfo {
  name: BackendName;
  /** The GPU adapter in words (vendor, architecture, description), where the browser says. */
  adapter?: string;
  /** Why earlier choices were passed over. */
  fallbacks: string[];
  /** Largest storage buffer the adapter allows, bytes (WebGPU). */
  maxBufferBytes?: number;
  /** Largest relative gradient difference against the CPU in the self-test. */
  selfTestError?: number;
}

const SELF_TEST_TOLERANCE = 1e-3;

/** Gradient of a 2-conv net's loss w.r.t. its kernels on the current backend. */
async function testGradients(): Promise<Float32Array[]> {
  const rng = new Rng(7);
  const values = (n: number) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
  const x = tf.tensor4d(values(2 * 8 * 8 * 1), [2, 8, 8, 1]);
  const k1 = tf.tensor4d(values(3 * 3 * 1 * 4), [3, 3, 1, 4]);
  const k2 = tf.tensor4d(values(3 * 3 * 4 * 2), [3, 3, 4, 2]);
  const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.mean(tf.square(tf.conv2d(tf.relu(tf.conv2d(x, a as tf.Tensor4D, 1, 'same')), b as tf.Tensor4D, 2, 'same'))));
  const [g1, g2] = grads([k1, k2]);
  const out = [(await g1.data()) as Float32Array, (await g2.data()) as Float32Array];
  tf.dispose([x, k1, k2, g1, g2]);
  return out;
}

function maxRelativeDifference(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((arr, i) => {
    const scale = Math.max(1e-6, ...Array.from(b[i], Math.abs));
    for (let k = 0; k < arr.length; k++) worst = Math.max(worst, Math.abs(arr[k] - b[i][k]) / scale);
  });
  return worst;
}

async function adapterInfo(): Promise<{ adapter?: string; maxBufferBytes?: number }> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } })?.gpu;
  if (!gpu) return {};
  const adapter = (await gpu.requestAdapter()) as { info?: Record<string, string>; limits?: { maxStorageBufferBindingSize?: number } } | null;
  if (!adapter) return {};
  const info = adapter.info ?? {};
  const words = [info.vendor, info.architecture, info.description].filter(Boolean).join(' · ');
  return { adapter: words || 'unnamed adapter', maxBufferBytes: adapter.limits?.maxStorageBufferBindingSize };
}

/** A software WebGPU adapter (SwiftShader, or one the browser flags as a fallback) emulates a GPU on the CPU. */
async function softwareAdapter(): Promise<boolean> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } })?.gpu;
  const adapter = (await gpu?.requestAdapter()) as { info?: Record<string, string>; isFallbackAdapter?: boolean } | null | undefined;
  if (!adapter) return false;
  // GPUAdapterInfo's fields are prototype getters: name them (Object.values sees none).
  const info = adapter.info ?? {};
  const words = [info.vendor, info.architecture, info.device, info.description].join(' ').toLowerCase();
  return adapter.isFallbackAdapter === true || (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true || words.includes('swiftshader');
}

export async function chooseBackend(preference: BackendPreference = 'auto'): Promise<BackendInfo> {
  let order: BackendName[] = preference === 'auto' ? ['webgpu', 'webgl', 'cpu'] : [preference, ...(['webgpu', 'webgl', 'cpu'] as BackendName[]).filter((b) => b !== preference)];
  const fallbacks: string[] = [];
  if (preference === 'auto' && (await softwareAdapter())) {
    // Measured here (npm run bench, SwiftShader): WebGL trains 3× (ResNet) to 4× (U-Net) faster.
    order = ['webgl', 'webgpu', 'cpu'];
    fallbacks.push('WebGPU: only a software emulation (SwiftShader) is available, on which WebGL trains 3–4× faster; choose WebGPU to use it anyway.');
  }
  await tf.setBackend('cpu');
  const reference = await testGradients();
  for (const name of order) {
    if (name === 'webgpu' && !(globalThis.navigator as Navigator & { gpu?: unknown })?.gpu) {
      fallbacks.push('WebGPU: this browser does not offer it (navigator.gpu is missing).');
      continue;
    }
    let ok = false;
    try {
      ok = await tf.setBackend(name);
    } catch (e) {
      fallbacks.push(`${name}: failed to start (${(e as Error).message}).`);
      continue;
    }
    if (!ok) {
      fallbacks.push(`${name}: failed to start.`);
      continue;
    }
    await tf.ready();
    if (name === 'cpu') return { name, fallbacks };
    const error = maxRelativeDifference(await testGradients(), reference);
    if (!(error <= SELF_TEST_TOLERANCE)) {
      fallbacks.push(`${name}: computes wrong gradients (off by ${(100 * error).toFixed(2)} % against the CPU); not used.`);
      continue;
    }
    return { name, fallbacks, selfTestError: error, ...(name === 'webgpu' ? await adapterInfo() : {}) };
  }
  await tf.setBackend('cpu');
  return { name: 'cpu', fallbacks };
}

/**
 * Largest batch whose biggest activation (the stem's output: batch × (size/2)² × stem filters,
 * float32, with a factor of 4 for the tensors alive around it) fits the adapter's buffer limit.
 */
export function maxBatchForBuffer(maxBufferBytes: number | undefined, size: number, stemFilters: number, wanted: number): number {
  if (!maxBufferBytes) return wanted;
  const perSample = (size / 2) * (size / 2) * stemFilters * 4 * 4;
  return Math.max(1, Math.min(wanted, Math.floor(maxBufferBytes / perSample)));
}
