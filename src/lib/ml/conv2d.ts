/**
 * A 2-D convolution layer whose input gradient is computed only when something needs it.
 *
 * TF.js' layer convolves through `tf.fused.conv2d`, which while recording gradients wraps the
 * convolution in `customGrad`, and customGrad computes every input's gradient as soon as the tape
 * reaches the node, wanted or not. The network's first convolution (the stem) sees the image, which
 * needs no gradient, so each training step computed a full-resolution input gradient and threw it
 * away: on WASM about 3 % of a ResNet-18 step. Without a bias or an activation to fuse, this layer
 * calls `tf.conv2d`, whose registered gradient the tape runs per input, and only for inputs that
 * lead back to a variable. Same values and same weights; anything else (a bias, an activation,
 * dilation, channels first) goes to TF.js' own code.
 *
 * Registered under TF.js' class name, as our batch-norm layer is: stored models load into it, and
 * what it saves loads anywhere TF.js does.
 */
import * as tf from '@tensorflow/tfjs';

type Conv2DArgs = Parameters<typeof tf.layers.conv2d>[0];
type Kwargs = { [key: string]: unknown };

/** The fields of TF.js' Conv2D that its declarations keep private. */
interface ConvFields {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  activation: { getClassName(): string };
  strides: [number, number];
  padding: 'same' | 'valid';
  dataFormat: 'channelsFirst' | 'channelsLast';
  dilationRate: number | [number, number];
}

/** TF.js' class, as its factory makes it (named, so no automatic layer name is used up). */
const StockConv2D = Object.getPrototypeOf(tf.layers.conv2d({ filters: 1, kernelSize: 1, name: 'stock_conv2d_probe' })).constructor as
  new (args: Conv2DArgs) => tf.layers.Layer;

export class Conv2D extends StockConv2D {
  static className = 'Conv2D';
  /** Convolve through TF.js' own layer code instead (for same-process comparisons in benchmarks and tests). */
  static useStock = false;

  constructor(args: Conv2DArgs) {
    super(args);
  }

  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const self = this as unknown as ConvFields;
    const dilated = [self.dilationRate].flat().some((d) => d !== 1);
    if (Conv2D.useStock || (Array.isArray(inputs) && inputs.length !== 1) || x.rank !== 4 || self.bias || dilated
      || self.dataFormat !== 'channelsLast' || self.activation.getClassName() !== 'linear') {
      return super.call(inputs, kwargs);
    }
    return tf.conv2d(x as tf.Tensor4D, self.kernel.read() as tf.Tensor4D, self.strides, self.padding);
  }
}

// Under TF.js' own class name: stored models (whose topology says 'Conv2D') load into this class.
tf.serialization.registerClass(Conv2D as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** A 2-D convolution layer, as `tf.layers.conv2d` makes one. */
export const conv2d = (args: Conv2DArgs) => new Conv2D(args);
