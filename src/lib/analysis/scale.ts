/**
 * Scale between training and analysis. A U-Net learns boundaries and grains at the pixel sizes it
 * was shown; a micrograph at another magnification shows it grains several times larger or smaller
 * (in px) than any it saw. This module says what scale a model was trained at, whether a micrograph
 * is far from it, and resamples a micrograph to it and the boundary map back, so that every
 * statistic is still measured on the original micrograph, in its µm.
 */
import type { DatasetRecord, ModelRecord, TrainingSamples } from '../data/db';
import type { GreyImage } from '../data/tiling';
import { gFromGrainsPerMm2 } from './grainStats';
import { UNET_MULTIPLE } from '../ml/config';

/**
 * Scales further apart than this (either way) are warned about. Training augments zoom by up to
 * 1.2× and the generator's grain diameters usually span 2–3× within a recipe, so 1.5× is where a
 * micrograph's grains start to fall outside what the model saw; below it, resampling costs detail
 * for little gain.
 */
export const SCALE_MISMATCH_FACTOR = 1.5;


/**
 * Most pixels a micrograph is resampled to (4096²): segmenting keeps two float maps of this size
 * and the tiles; far larger ones run a tab out of memory.
 */
export const MAX_RESCALED_PIXELS = 4096 * 4096;

/**
 * ASTM E112 G of grains whose mean equivalent circle diameter is `diameterPx` at `micronsPerPixel`:
 * one grain per mean area π/4·d² (the generator places its grains by the same relation).
 */
export function gFromDiameter(diameterPx: number, micronsPerPixel: number): number {
  const d = diameterPx * micronsPerPixel;
  return gFromGrainsPerMm2(1e6 / ((Math.PI / 4) * d * d));
}

/** A recipe's kind, sample side and pixel size, as a model record keeps them. */
export function samplesOf(recipe: DatasetRecord['recipe']): TrainingSamples {
  return { kind: recipe.kind, size: recipe.size, ...(recipe.kind === 'grains' && recipe.micronsPerPixel !== undefined ? { micronsPerPixel: recipe.micronsPerPixel } : {}) };
}

/**
 * What a model's training samples were: a fine-tune's real tiles, as its record keeps them; else
 * its stored dataset's recipe, else what its record kept (models made before it kept none).
 */
export function trainingSamples(model: Pick<ModelRecord, 'samples' | 'fineTune'>, dataset: Pick<DatasetRecord, 'recipe'> | undefined): TrainingSamples | undefined {
  if (model.fineTune) return model.samples;
  return dataset ? samplesOf(dataset.recipe) : model.samples;
}

/**
 * µm per pixel of the images a grain U-Net trained on, or undefined when unknown: its samples' pixel
 * size times their side over the input size (training resizes whole samples to the input size).
 * Unknown for crack classifiers, for datasets generated without a pixel size, for models whose
 * samples are unknown (imported from a file without its recipe, or whose dataset is gone and whose
 * record predates keeping them), and for fine-tunes (real tiles resized to the input size, at
 * scales nobody recorded).
 */
export function trainingScale(model: Pick<ModelRecord, 'task' | 'config' | 'fineTune'>, samples: TrainingSamples | undefined): number | undefined {
  if (model.task !== 'segment' || model.fineTune || samples?.kind !== 'grains') return undefined;
  const umPerPx = samples.micronsPerPixel;
  if (umPerPx === undefined) return undefined;
  const phases = model.config.phases;
  return (umPerPx * samples.size) / phases[phases.length - 1].size;
}

export interface ScaleCheck {
  micrograph: number;
  model: number;
  /** How many times finer or coarser the micrograph is (≥ 1). */
  ratio: number;
  /** Whether the ratio is above SCALE_MISMATCH_FACTOR. */
  differs: boolean;
  /** A sentence naming both scales, for the user. */
  message: string;
}

const um = (x: number) => `${+x.toPrecision(3)} µm/px`;

/** How a micrograph's pixel size compares with a model's training scale. */
export function compareScales(micrograph: number, model: number): ScaleCheck {
  const ratio = Math.max(micrograph / model, model / micrograph);
  const looks = micrograph < model ? 'larger' : 'smaller';
  const message = `This micrograph is at ${um(micrograph)}; the model was trained at ${um(model)}. Its grains look ${+ratio.toFixed(1)}× ${looks} (in pixels) than any the model saw, so boundaries may be missed or invented.`;
  return { micrograph, model, ratio, differs: ratio > SCALE_MISMATCH_FACTOR, message };
}

/** The size a width × height image takes when resampled from `from` to `to` µm per pixel. */
export function rescaledSize(width: number, height: number, from: number, to: number): { width: number; height: number } {
  const f = from / to;
  return { width: Math.max(1, Math.round(width * f)), height: Math.max(1, Math.round(height * f)) };
}

/**
 * Sparse weights resampling n samples to m along one axis: output i takes sum over k in
 * [start[i], start[i+1]) of weight[k] · input[source[k]]. Enlarging interpolates linearly between
 * pixel centres; shrinking averages the input over each output pixel's footprint (area), so thin
 * boundary lines fade evenly instead of being hit or missed.
 */
function axisWeights(n: number, m: number): { start: Int32Array; source: Int32Array; weight: Float64Array } {
  const source: number[] = [], weight: number[] = [], start = new Int32Array(m + 1);
  const scale = n / m;
  for (let i = 0; i < m; i++) {
    start[i] = source.length;
    if (m >= n) {
      const x = Math.min(n - 1, Math.max(0, (i + 0.5) * scale - 0.5));
      const x0 = Math.min(Math.max(0, n - 2), Math.floor(x)), f = x - x0;
      source.push(x0); weight.push(1 - f);
      if (n > 1) { source.push(x0 + 1); weight.push(f); }
    } else {
      const a = i * scale, b = (i + 1) * scale;
      for (let j = Math.floor(a); j < Math.min(n, Math.ceil(b)); j++) {
        const overlap = Math.min(b, j + 1) - Math.max(a, j);
        if (overlap > 0) { source.push(j); weight.push(overlap / scale); }
      }
    }
  }
  start[m] = source.length;
  return { start, source: Int32Array.from(source), weight: Float64Array.from(weight) };
}

/** Resamples a width × height map to outWidth × outHeight (area when shrinking, bilinear when enlarging), axis by axis. */
export function resample(values: ArrayLike<number>, width: number, height: number, outWidth: number, outHeight: number): Float32Array {
  if (values.length !== width * height) throw new RangeError(`resample: ${values.length} values are not ${width}×${height}.`);
  const wx = axisWeights(width, outWidth), wy = axisWeights(height, outHeight);
  const rows = new Float64Array(height * outWidth);
  for (let y = 0; y < height; y++) for (let i = 0; i < outWidth; i++) {
    let s = 0;
    for (let k = wx.start[i]; k < wx.start[i + 1]; k++) s += wx.weight[k] * values[y * width + wx.source[k]];
    rows[y * outWidth + i] = s;
  }
  const out = new Float32Array(outWidth * outHeight);
  for (let j = 0; j < outHeight; j++) for (let k = wy.start[j]; k < wy.start[j + 1]; k++) {
    const from = wy.source[k] * outWidth, w = wy.weight[k], to = j * outWidth;
    for (let i = 0; i < outWidth; i++) out[to + i] += w * rows[from + i];
  }
  return out;
}

/** Resamples an image of 1 (grey) or 3 (RGB, interleaved) bytes per pixel channel by channel, to bytes. */
export function resampleImage(image: GreyImage, width: number, height: number): GreyImage {
  const channels = image.pixels.length / (image.width * image.height);
  if (channels === 1) return { width, height, pixels: Uint8Array.from(resample(image.pixels, image.width, image.height, width, height), (v) => Math.round(v)) };
  const plane = new Uint8Array(image.width * image.height), pixels = new Uint8Array(channels * width * height);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < plane.length; i++) plane[i] = image.pixels[channels * i + c];
    const out = resample(plane, image.width, image.height, width, height);
    for (let i = 0; i < out.length; i++) pixels[channels * i + c] = Math.round(out[i]);
  }
  return { width, height, pixels };
}

/** What was done to a micrograph to meet its model's scale. */
export interface Rescale {
  /** µm per pixel of the micrograph, and of the model (what it was resampled to). */
  from: number;
  to: number;
  /** The size it was segmented at. */
  width: number;
  height: number;
}

/**
 * The boundary probability of every pixel of `image` (grey or RGB), from `segment` run at `to` µm
 * per pixel when given (else at the image's own scale): the image is resampled to that scale,
 * segmented, and the probabilities resampled back, so statistics are measured on the original pixels and pixel size.
 */
export async function segmentAtScale(image: GreyImage, from: number, to: number | undefined,
  segment: (image: GreyImage) => Promise<Float32Array>): Promise<{ probability: Float32Array; rescaled?: Rescale }> {
  if (to === undefined || to === from) {
    if (Math.min(image.width, image.height) < UNET_MULTIPLE) throw new Error(`This ${image.width}×${image.height} px micrograph is smaller than the ${UNET_MULTIPLE} px the U-Net needs: analyse a larger image.`);
    return { probability: await segment(image) };
  }
  const { width, height } = rescaledSize(image.width, image.height, from, to);
  const what = `At the model's scale (${um(to)}) this ${image.width}×${image.height} px micrograph at ${um(from)} would be ${width}×${height} px`;
  if (Math.min(width, height) < UNET_MULTIPLE) throw new Error(`${what}, smaller than the ${UNET_MULTIPLE} px the U-Net needs: analyse it without rescaling, or check its pixel size.`);
  if (width * height > MAX_RESCALED_PIXELS) throw new Error(`${what}, more than the ${MAX_RESCALED_PIXELS / 1e6} megapixels this page can segment: crop it, analyse it without rescaling, or check its pixel size.`);
  const small = await segment(resampleImage(image, width, height));
  return { probability: resample(small, width, height, image.width, image.height), rescaled: { from, to, width, height } };
}
