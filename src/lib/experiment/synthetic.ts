/**
 * An experiment's synthetic data as a stream: a sample is a pure function of (recipe, index), so it
 * is made when a batch asks for it and dropped after the step. Paper-sized sets (4,000 grains at
 * 512², image and mask: 2 GiB; 99,140 crack tiles at 128²: 3.2 GiB) never have to fit in a tab.
 *
 * No cache: training visits every sample once per epoch in a fresh shuffled order, so a cache
 * smaller than the set never hits within an epoch, and one as large is the set again. Remaking is
 * cheap beside training on it: a 512² grain image takes ≈ 13 ms on one core and a crack tile ≈ 21 ms
 * (a fresh variation recipe ≈ 26 ms, its patch dictionary included), against ≈ 0.5 s for a U-Net
 * step per image on WebAssembly.
 */
import type { RawSample, SampleSource } from '../ml/trainer';
import type { Sample } from '../synth/recipe';

/** How a made sample trains: crack tiles are classes (no crack 0, crack 1); grains bring their mask. */
export const toRaw = (s: Sample): RawSample => ({ image: s.image, mask: s.mask, label: s.label === 'crack' ? 1 : 0 });

/** What adaptive sampling needs to vary a sample, without its pixels. */
export type SampleOrigin = Pick<Sample, 'seed' | 'label' | 'params'>;

/** Builds a source of `count` samples of side `size`, sample i being `make(i)`. */
export type SourceFactory = (count: number, size: number, make: (index: number) => RawSample) => SampleSource;

/** Makes the asked samples at each `get`, holding none: memory stays at one batch whatever `count` is. */
export const madeSource: SourceFactory = (count, size, make) => ({
  count, size, get: async (indices) => indices.map(make),
});

/** Makes every sample up front and holds them: what runs did before streaming, kept for tests to compare. */
export const heldSource: SourceFactory = (count, size, make) => {
  const samples = Array.from({ length: count }, (_, i) => make(i));
  return { count, size, get: async (indices) => indices.map((i) => samples[i]) };
};
