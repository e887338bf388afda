/**
 * Backend choice, with the reason for every fallback. 'auto': WebGPU on a real GPU; WebAssembly
 * (XNNPACK, SIMD, threads where the page is cross-origin isolated) where there is no GPU or only a
 * software emulation of one (SwiftShader), as it trains fastest on a CPU; then WebGL; then the
 * plain-JS CPU backend. Before a backend is accepted it passes a gradient self-test: the gradients
 * of every convolution shape class the models use, computed on it, must match the CPU's, since a
 * broken driver or kernel can train without errors and learn nothing.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// Vite emits the binaries as hashed assets (precached by the service worker); the backend loads
// the one the browser can run: plain, SIMD, or SIMD with threads.
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import './kernels/wasm';
import { useSoftwareGpuKernels } from './kernels/webgpu';
import './kernels/cpu';
import { Rng } from '../random';
import { batchNormTraining } from './batchNorm';
import { lossFn } from './losses';

export type BackendName = 'webgpu' | 'wasm' | 'webgl' | 'cpu';
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
  /** CPU threads the backend computes on (WebAssembly; 1 for the CPU backend). */
  threads?: number;
  /** Anything else the user should know about the chosen backend, in words. */
  note?: string;
}

const SELF_TEST_TOLERANCE = 1e-3;
const LABELS: Record<BackendName, string> = { webgpu: 'WebGPU', wasm: 'WebAssembly', webgl: 'WebGL', cpu: 'CPU' };

/** WebAssembly threads: half the logical cores, where the page is cross-origin isolated (SharedArrayBuffer). */
export function wasmThreadsWanted(isolated = typeof crossOriginIsolated !== 'undefined' && crossOriginIsolated, cores = logicalCores()): number {
  return isolated ? Math.max(1, Math.floor(cores / 2)) : 1;
}

/** Logical cores as the browser reports them (Node 20 has no navigator). */
const logicalCores = () => (typeof navigator !== 'undefined' ? navigator.hardwareConcurrency ?? 1 : 1);

let wasmPathsSet = false;
function useBundledWasm() {
  if (wasmPathsSet) return;
  wasmPathsSet = true;
  // TF.js gives XNNPACK one thread per physical core, which it takes to be half the logical ones.
  // Below 4 logical cores that is one thread, and the threaded build would only add its 8 idle
  // workers: the plain SIMD build runs instead. (Two threads on this project's 2-core machine
  // measured 8–14 % slower than one.)
  if (wasmThreadsWanted() === 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  try {
    setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmUrl, 'tfjs-backend-wasm-simd.wasm': wasmSimdUrl, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl });
  } catch {
    // Already started with paths of its own (Node tests load the binaries from node_modules).
  }
}

/**
 * One case per convolution shape class of models.ts: the 7×7 stride-2 stem on one channel, 3×3
 * stride 1 and 2, the 1×1 stride-2 projection, the 1×1 logits; 'same' padding as the models use,
 * on odd and even sizes (TensorFlow puts a stride-2 convolution's odd padding row at the bottom),
 * plus one 'valid' and one large map. [batch, height, width], kernel size, in and out channels, stride, padding.
 */
const CONV_CASES: [[number, number, number], number, number, number, number, 'same' | 'valid'][] = [
  [[2, 11, 10], 7, 1, 4, 2, 'same'],
  [[2, 9, 8], 3, 3, 4, 1, 'same'],
  [[2, 9, 10], 3, 3, 4, 2, 'same'],
  [[2, 8, 8], 3, 3, 4, 2, 'same'],
  [[2, 9, 8], 1, 4, 6, 2, 'same'],
  [[2, 6, 6], 1, 4, 2, 1, 'same'],
  [[2, 9, 9], 3, 3, 2, 2, 'valid'],
  // Enough output pixels (2·48·48) that WebGPU's filter gradient is split over rows (kernels/conv2dWebgpu.ts),
  // with output channels one at a time and four to a thread (software GPUs).
  [[2, 48, 48], 3, 1, 2, 1, 'same'],
  [[2, 48, 48], 3, 2, 4, 1, 'same'],
];

/** Gradients w.r.t. input and kernel of every case, of a 3×3 stride-2 max-pool, of batch norm in training and of the segmentation loss, on the current backend. */
async function testGradients(): Promise<Float32Array[]> {
  const rng = new Rng(7);
  const values = (n: number) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
  const grads = tf.tidy(() => {
    const out: tf.Tensor[] = [];
    for (const [[n, h, w], k, ci, co, stride, pad] of CONV_CASES) {
      const x = tf.tensor4d(values(n * h * w * ci), [n, h, w, ci]);
      const kernel = tf.tensor4d(values(k * k * ci * co), [k, k, ci, co]);
      const yShape = tf.conv2d(x, kernel, stride, pad).shape;
      const g = tf.tensor4d(values(yShape.reduce((a, b) => a * b)), yShape);
      out.push(...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), g)))([x, kernel]));
    }
    const x = tf.tensor4d(values(2 * 9 * 9 * 3), [2, 9, 9, 3]);
    const g = tf.tensor4d(values(2 * 5 * 5 * 3), [2, 5, 5, 3]);
    out.push(tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 3, 2, 'same'), g)))(x));
    // Batch norm in training, through the backend's own kernels where it has them (WASM, WebGPU).
    const bnX = tf.add(tf.tensor4d(values(2 * 5 * 4 * 6), [2, 5, 4, 6]), 3);
    const bnG = tf.tensor4d(values(2 * 5 * 4 * 6), [2, 5, 4, 6]);
    const normalised = (a: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
      const { y, mean, variance } = batchNormTraining(a as tf.Tensor4D, gamma as tf.Tensor1D, beta as tf.Tensor1D, 1e-3);
      tf.dispose([mean, variance]);
      return tf.sum(tf.mul(y, bnG));
    };
    out.push(...tf.grads(normalised)([bnX, tf.tensor1d(values(6)), tf.tensor1d(values(6))]));
    // The segmentation loss through softmax: its sums over two classes and its means over every
    // pixel (long enough to be reduced in chunks by a software GPU's loops, kernels/reduceWebgpu.ts).
    const logits = tf.tensor4d(values(2 * 16 * 16 * 2), [2, 16, 16, 2]);
    const labels = tf.oneHot(tf.tensor3d(Int32Array.from(values(2 * 16 * 16), (v) => (v > 0.6 ? 1 : 0)), [2, 16, 16], 'int32'), 2);
    out.push(tf.grad((a: tf.Tensor) => lossFn('weighted-ce+dice', labels, tf.softmax(a)))(logits));
    return out;
  });
  const data = await Promise.all(grads.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(grads);
  return data;
}

function maxRelativeDifference(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((arr, i) => {
    let scale = 1e-6;
    for (const v of b[i]) scale = Math.max(scale, Math.abs(v));
    for (let k = 0; k < arr.length; k++) worst = Math.max(worst, Math.abs(arr[k] - b[i][k]) / scale);
  });
  return worst;
}

type GpuAdapter = { info?: Record<string, string> & { isFallbackAdapter?: boolean }; isFallbackAdapter?: boolean; limits?: { maxStorageBufferBindingSize?: number } };

/** The WebGPU adapter, if the browser offers one: whether it is a software emulation, and its description and limits. */
async function gpuAdapter(): Promise<{ present: boolean; software: boolean; adapter?: string; maxBufferBytes?: number }> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } })?.gpu;
  if (!gpu) return { present: false, software: false };
  let adapter: GpuAdapter | null = null;
  try {
    adapter = (await gpu.requestAdapter()) as GpuAdapter | null;
  } catch {
    adapter = null;
  }
  if (!adapter) return { present: false, software: false };
  // GPUAdapterInfo's fields are prototype getters: name them (Object.values sees none).
  const info = adapter.info ?? {};
  const words = [info.vendor, info.architecture, info.device, info.description].join(' ').toLowerCase();
  const software = adapter.isFallbackAdapter === true || info.isFallbackAdapter === true || words.includes('swiftshader');
  const described = [info.vendor, info.architecture, info.description].filter(Boolean).join(' · ');
  return { present: true, software, adapter: described || 'unnamed adapter', maxBufferBytes: adapter.limits?.maxStorageBufferBindingSize };
}

export async function chooseBackend(preference: BackendPreference = 'auto'): Promise<BackendInfo> {
  useBundledWasm();
  const fallbacks: string[] = [];
  const gpu = await gpuAdapter();
  let order: BackendName[];
  if (gpu.present && !gpu.software) order = ['webgpu', 'wasm', 'webgl', 'cpu'];
  else {
    // Measured (npm run bench, no GPU, SwiftShader): WebAssembly trains several times faster than
    // WebGL or WebGPU emulated on the same CPU.
    order = ['wasm', 'webgl', 'webgpu', 'cpu'];
    if (preference === 'auto') {
      fallbacks.push(gpu.present
        ? 'WebGPU: only a software emulation of a GPU (SwiftShader) is available; WebAssembly on the CPU trains faster. Choose WebGPU to use it anyway.'
        : 'WebGPU: no graphics adapter is available in this browser; training runs on the CPU with WebAssembly.');
    }
  }
  if (preference !== 'auto') order = [preference, ...order.filter((b) => b !== preference)];

  await tf.setBackend('cpu');
  const reference = await testGradients();
  for (const name of order) {
    const label = LABELS[name];
    if (name === 'webgpu' && !gpu.present) {
      if (preference === 'webgpu' || (preference === 'auto' && order[0] === 'webgpu')) fallbacks.push('WebGPU: this browser offers no WebGPU adapter.');
      continue;
    }
    if (name === 'webgpu') useSoftwareGpuKernels(gpu.software);
    let ok = false;
    try {
      ok = await tf.setBackend(name);
    } catch (e) {
      fallbacks.push(`${label}: failed to start (${(e as Error).message}).`);
      continue;
    }
    if (!ok) {
      fallbacks.push(`${label}: failed to start in this browser.`);
      continue;
    }
    await tf.ready();
    if (name === 'cpu') return { name, fallbacks, threads: 1, note: 'The plain-JavaScript CPU backend is slow: expect training to take much longer.' };
    let error: number;
    try {
      error = maxRelativeDifference(await testGradients(), reference);
    } catch (e) {
      fallbacks.push(`${label}: failed its gradient check (${(e as Error).message}); not used.`);
      continue;
    }
    if (!(error <= SELF_TEST_TOLERANCE)) {
      fallbacks.push(`${label}: computes wrong gradients (off by ${(100 * error).toFixed(2)} % against the CPU); not used.`);
      continue;
    }
    const info: BackendInfo = { name, fallbacks, selfTestError: error };
    if (name === 'webgpu') Object.assign(info, { adapter: gpu.adapter, maxBufferBytes: gpu.maxBufferBytes });
    if (name === 'wasm') {
      info.threads = getThreadsCount();
      if (info.threads <= 1) {
        info.note = typeof crossOriginIsolated !== 'undefined' && !crossOriginIsolated
          ? 'WebAssembly runs on 1 thread: this page is not cross-origin isolated, so WebAssembly threads are off. '
            + 'Its server sends no COOP and COEP headers (npm start does), and the app\'s service worker, which adds them, did not serve this page (service workers blocked here, or a forced reload: a normal reload may help).'
          : `WebAssembly runs on 1 thread: it takes one per physical core, counted as half the ${logicalCores()} logical cores here.`;
      }
    }
    return info;
  }
  await tf.setBackend('cpu');
  return { name: 'cpu', fallbacks, threads: 1 };
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
