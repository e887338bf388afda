/**
 * TF.js' own WASM kernels, captured when this module first loads, before ours replace any of them
 * (wasm.ts imports this first): our kernels fall back to them or call them directly, outside the
 * engine, and benchmarks compare ours against them.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

const BACKEND = 'wasm';
const STOCK = [tf.Tile, tf.Identity, tf.Cast, tf.Sum, tf.Mean, tf.FusedBatchNorm, tf.Multiply, tf.Add, tf.Sub, tf.RealDiv,
  tf.AvgPool, tf.FusedDepthwiseConv2D, tf.Square];
const captured = new Map(STOCK.map((name) => [name, tf.getKernel(name, BACKEND)]));

/** TF.js' own kernel of that name, if it is one of those captured (for benchmarks that compare). */
export function stockWasmKernel(name: string): tf.KernelConfig | undefined {
  return captured.get(name);
}

/** TF.js' own kernel of that name; a backend without it is an error that names it. */
export function requireStockWasmKernel(name: string): tf.KernelConfig {
  const config = captured.get(name);
  if (!config) throw new Error(`${name} is missing on the wasm backend.`);
  return config;
}
