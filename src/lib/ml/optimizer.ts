/**
 * AdamW as a handful of kernels for all of a model's variables together. TF.js' Adam runs about
 * a dozen element-wise ops per variable (so ~700 kernels a step for a ResNet-18), and on WebGPU
 * each kernel costs a fixed ~0.3 ms of host time whatever its size; here the gradients and the
 * weights are each joined into one flat vector (reshapes are free), Adam's maths runs once on it
 * with the moments kept flat, the decoupled weight decay is one masked multiply, and one split
 * hands each variable its part back (`assign` swaps the buffer, it runs no kernel).
 *
 * It reproduces `tf.train.adam(lr, beta1, beta2)` (TF.js 4.22) followed by `w *= 1 − lr·wd` on
 * the decayed variables: the same ops on the same values in the same order, so element for
 * element the same float32 results. Its state reads and writes TF.js Adam's checkpoint format
 * (`iter`, then each variable's first moment `<name>/m`, then each second moment `<name>/v`, by
 * position in the variable list), so either optimiser resumes from the other's checkpoint.
 */
import * as tf from '@tensorflow/tfjs';
import type { OptimizerWeights } from './config';

/** Which variables decoupled weight decay shrinks: conv and dense kernels, never biases or batch norm. */
export const decays = (v: { name: string }) => v.name.includes('kernel');

export interface FusedAdamWOptions {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  /** TF.js Adam's default: the backend's epsilon (1e-7 at float32) when the optimiser is made. */
  epsilon?: number;
  /** Decoupled weight decay per step: decayed variables are multiplied by 1 − learningRate · weightDecay after Adam's update. */
  weightDecay?: number;
  /** Per variable, whether weight decay applies (default: `decays`, the kernels). */
  decayMask?: readonly boolean[];
}

/** The float32 product of `beta` with itself `n + 1` times, as TF.js Adam accumulates it step by step. */
function accumulatedBeta(beta: number, n: number): number {
  const b = Math.fround(beta);
  let acc = b;
  for (let i = 0; i < n; i++) acc = Math.fround(acc * b);
  return acc;
}

/** w ← fround(fround(w + u[offset …]) · shrink) in place (u null: w ← fround(w · shrink)); a loop of its own for the JIT. */
function addScaled(w: Float32Array, u: Float32Array | null, offset: number, shrink: number) {
  const f = Math.fround;
  if (u) for (let j = 0; j < w.length; j++) w[j] = f(f(w[j] + u[offset + j]) * shrink);
  else if (shrink !== 1) for (let j = 0; j < w.length; j++) w[j] = f(w[j] * shrink);
}

/**
 * `tf.where` for same-shape operands without its broadcasts, which run an Identity kernel per
 * operand (free where it shares the buffer, a full copy on WASM).
 */
const select = (condition: tf.Tensor, a: tf.Tensor, b: tf.Tensor) =>
  tf.engine().runKernel('Select', { condition, t: a, e: b }) as tf.Tensor;

export class FusedAdamW {
  learningRate: number;
  weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly variables: readonly tf.Variable[];
  private readonly sizes: number[];
  private readonly total: number;
  /** Names of the moments in the checkpoint format: each variable's `/m`, then each `/v` (or those last loaded). */
  private names: string[];
  private readonly m: tf.Variable;
  private readonly v: tf.Variable;
  /** 1 where weight decay applies, per element of the flat vector; null when it applies nowhere. */
  private readonly decayMask: tf.Tensor | null;
  private readonly decayAny: boolean;
  /** Per variable, whether weight decay applies. */
  private readonly decayFlags: readonly boolean[];
  /** Apply the update with kernels even on WASM (see addOnHost; for comparisons in benchmarks and tests). */
  static kernelsOnly = false;
  private readonly decayEverywhere: boolean;
  private iterations_ = 0;
  /** beta^(iterations + 1) in float32, what TF.js Adam keeps as a variable (accBeta1, accBeta2). */
  private acc1: number;
  private acc2: number;

  constructor(variables: readonly tf.Variable[], options: FusedAdamWOptions = {}) {
    if (variables.length === 0) throw new RangeError('FusedAdamW: no variables to optimise.');
    for (const v of variables) if (v.dtype !== 'float32') throw new TypeError(`FusedAdamW: variable ${v.name} is ${v.dtype}, not float32.`);
    this.variables = [...variables];
    this.learningRate = options.learningRate ?? 1e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? tf.backend().epsilon();
    this.weightDecay = options.weightDecay ?? 0;
    this.sizes = variables.map((v) => v.size);
    this.total = this.sizes.reduce((a, b) => a + b, 0);
    this.names = [...variables.map((v) => `${v.name}/m`), ...variables.map((v) => `${v.name}/v`)];
    this.acc1 = accumulatedBeta(this.beta1, 0);
    this.acc2 = accumulatedBeta(this.beta2, 0);
    const mask = options.decayMask ?? variables.map(decays);
    if (mask.length !== variables.length) throw new RangeError(`FusedAdamW: ${mask.length} decay flags for ${variables.length} variables.`);
    this.decayEverywhere = mask.every(Boolean);
    if (mask.some(Boolean) && !this.decayEverywhere) {
      const flags = new Uint8Array(this.total);
      let offset = 0;
      mask.forEach((on, i) => {
        if (on) flags.fill(1, offset, offset + this.sizes[i]);
        offset += this.sizes[i];
      });
      this.decayMask = tf.tensor1d(flags, 'bool');
    } else {
      this.decayMask = null;
    }
    this.decayAny = mask.some(Boolean);
    this.decayFlags = [...mask];
    [this.m, this.v] = tf.tidy(() => [tf.variable(tf.zeros([this.total]), false), tf.variable(tf.zeros([this.total]), false)]);
  }

  /** Steps taken (TF.js' `iterations`; restored by `setWeights`). */
  get iterations(): number {
    return this.iterations_;
  }

  /**
   * Gradients of `f` (which must return a scalar) with respect to the variables, one AdamW step,
   * and the cost; as `tf.Optimizer.minimize(f, true, variables)`.
   */
  minimize(f: () => tf.Tensor): tf.Scalar {
    const { value, grads } = tf.variableGrads(f as () => tf.Scalar, [...this.variables]);
    try {
      this.applyGradients(this.variables.map((v) => grads[v.name] ?? null));
    } finally {
      tf.dispose(Object.values(grads).filter((g): g is tf.Tensor => g != null));
    }
    return value;
  }

  /** One AdamW step from gradients given in the order of `variables` (null: that variable has none this step, as in TF.js). */
  applyGradients(gradients: readonly (tf.Tensor | null | undefined)[]): void {
    if (gradients.length !== this.variables.length) throw new RangeError(`FusedAdamW: ${gradients.length} gradients for ${this.variables.length} variables.`);
    const { beta1, beta2, epsilon } = this;
    const lr = this.learningRate;
    // TF.js Adam's scalars, as it computes them: 1 − beta^t in float32, −lr, the decay factor.
    const oneMinusAcc1 = Math.fround(1 - this.acc1), oneMinusAcc2 = Math.fround(1 - this.acc2);
    const missing = gradients.some((g) => g == null);
    const decay = this.decayAny && this.weightDecay !== 0;
    // Stages in their own scopes so that at most a few flat vectors are alive at once.
    const [g, present] = tf.tidy(() => {
      const flat = tf.concat(gradients.map((grad, i) => (grad == null ? tf.zeros([this.sizes[i]]) : tf.reshape(grad, [-1]))));
      // TF.js skips a variable without a gradient entirely (moments and value stay): a mask of those that have one.
      let has: tf.Tensor | null = null;
      if (missing) {
        const flags = new Uint8Array(this.total);
        let offset = 0;
        gradients.forEach((grad, i) => {
          if (grad != null) flags.fill(1, offset, offset + this.sizes[i]);
          offset += this.sizes[i];
        });
        has = tf.tensor1d(flags, 'bool');
      }
      return has ? [flat, has] : [flat];
    }) as [tf.Tensor, tf.Tensor?];
    const newM = tf.tidy(() => {
      const next = tf.add(tf.mul(this.m, beta1), tf.mul(g, 1 - beta1));
      return present ? select(present, next, this.m) : next;
    });
    const newV = tf.tidy(() => {
      const next = tf.add(tf.mul(this.v, beta2), tf.mul(tf.square(g), 1 - beta2));
      return present ? select(present, next, this.v) : next;
    });
    g.dispose();
    const update = tf.tidy(() => tf.mul(tf.div(tf.div(newM, oneMinusAcc1), tf.add(tf.sqrt(tf.div(newV, oneMinusAcc2)), epsilon)), -lr));
    this.m.assign(newM);
    this.v.assign(newV);
    tf.dispose([newM, newV]);
    if (tf.getBackend() === 'wasm' && !FusedAdamW.kernelsOnly) {
      this.addOnHost(update, gradients, decay ? Math.fround(1 - lr * this.weightDecay) : 1);
    } else tf.tidy(() => {
      const weights = tf.concat(this.variables.map((v) => tf.reshape(v, [-1])));
      let next = tf.add(update, weights);
      if (present) next = select(present, next, weights);
      if (decay) {
        const shrunk = tf.mul(next, 1 - lr * this.weightDecay);
        next = this.decayEverywhere ? shrunk : select(this.decayMask!, shrunk, next);
      }
      this.scatter(next);
    });
    tf.dispose([update, present]);
    this.acc1 = Math.fround(this.acc1 * Math.fround(beta1));
    this.acc2 = Math.fround(this.acc2 * Math.fround(beta2));
    this.iterations_++;
  }

  /**
   * The last two stages on WASM, whose tensors live in CPU memory: each variable's values plus its
   * part of the update, times the decay factor where it decays, by a JavaScript loop that rounds each
   * to float32 as the kernels did (same values bit for bit), written back as new tensors. The kernels
   * concatenated the weights and picked the decayed values with a Select, which TF.js' WASM runs as a
   * per-element loop (3–8 ms of CPU time on a ResNet-18's 700,786 values). The whole update, same
   * gradients, alternating 40 times: 21.1 → 19.4 and 20.6 → 19.0 ms of CPU time.
   * `shrink` 1 means no decay (a product with 1 rounds to itself).
   */
  private addOnHost(update: tf.Tensor, gradients: readonly (tf.Tensor | null | undefined)[], shrink: number) {
    const u = update.dataSync() as Float32Array;
    let offset = 0;
    const next = this.variables.map((variable, i) => {
      const w = variable.dataSync() as Float32Array;
      // TF.js Adam leaves a variable without a gradient alone; the decay still applies.
      addScaled(w, gradients[i] == null ? null : u, offset, this.decayFlags[i] ? shrink : 1);
      offset += w.length;
      return w;
    });
    tf.tidy(() => this.variables.forEach((variable, i) => variable.assign(tf.tensor(next[i], variable.shape, 'float32'))));
  }

  /**
   * Hands each variable its part of the flat vector. One SplitV kernel (slices that are views on
   * CPU and WebGL, one small copy each on WebGPU), except on WASM, whose slices each copy the whole
   * input out of the heap first (~150 ms a step for a ResNet-18 at width 0.25): there the vector is
   * read once and each part written back as a new tensor, which runs no kernel at all.
   */
  private scatter(flat: tf.Tensor) {
    if (tf.getBackend() === 'wasm') {
      const values = flat.dataSync() as Float32Array;
      let offset = 0;
      this.variables.forEach((v, i) => {
        v.assign(tf.tensor(values.subarray(offset, offset + this.sizes[i]), v.shape, 'float32'));
        offset += this.sizes[i];
      });
      return;
    }
    const parts = tf.split(flat, this.sizes);
    this.variables.forEach((v, i) => v.assign(tf.reshape(parts[i], v.shape)));
  }

  /** The state in TF.js Adam's checkpoint format: `iter`, then the first moments, then the second, per variable. */
  async getWeights(): Promise<OptimizerWeights> {
    const [m, v] = (await Promise.all([this.m.data(), this.v.data()])) as Float32Array[];
    const n = this.variables.length;
    const out: OptimizerWeights = [{ name: 'iter', shape: [], values: Int32Array.of(this.iterations_) as unknown as Float32Array }];
    for (const [flat, first] of [[m, 0], [v, n]] as const) {
      let offset = 0;
      this.variables.forEach((variable, i) => {
        // A copy, not a view: stored records would otherwise carry the whole flat buffer.
        out.push({ name: this.names[first + i], shape: [...variable.shape], values: flat.slice(offset, offset + this.sizes[i]) });
        offset += this.sizes[i];
      });
    }
    return out;
  }

  /**
   * Restores a state from `getWeights` or TF.js Adam's: the first entry is the step count, then the
   * first moments and the second, matched to the variables by position as TF.js does (only a step
   * count: moments zero, as TF.js makes them on its first step).
   */
  setWeights(weights: OptimizerWeights): void {
    if (weights.length === 0) throw new RangeError('FusedAdamW: no optimiser state (the step count comes first).');
    const moments = weights.slice(1);
    const n = this.variables.length;
    if (moments.length !== 0 && moments.length !== 2 * n) {
      throw new RangeError(`FusedAdamW: the state has ${moments.length / 2} moments per kind for ${n} variables.`);
    }
    const flat = [new Float32Array(this.total), new Float32Array(this.total)];
    if (moments.length) {
      for (const [k, first] of [[0, 0], [1, n]] as const) {
        let offset = 0;
        for (let i = 0; i < n; i++) {
          const w = moments[first + i];
          if (w.values.length !== this.sizes[i]) {
            throw new RangeError(`FusedAdamW: moment ${w.name} has ${w.values.length} values; variable ${this.variables[i].name} has ${this.sizes[i]}.`);
          }
          flat[k].set(w.values, offset);
          offset += this.sizes[i];
        }
      }
      this.names = moments.map((w) => w.name);
    }
    tf.tidy(() => {
      this.m.assign(tf.tensor1d(flat[0]));
      this.v.assign(tf.tensor1d(flat[1]));
    });
    this.iterations_ = Number(weights[0].values[0]);
    this.acc1 = accumulatedBeta(this.beta1, this.iterations_);
    this.acc2 = accumulatedBeta(this.beta2, this.iterations_);
  }

  dispose(): void {
    tf.dispose([this.m, this.v]);
    this.decayMask?.dispose();
  }
}
