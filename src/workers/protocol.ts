/** The one message protocol between the UI thread and the synthesis workers. */
import type { SampledParams } from '../lib/params/space';
import type { GrainRecipe } from '../lib/synth/grains/index';

export interface SynthRequest {
  id: number;
  recipe: GrainRecipe;
  index: number;
}

export interface SynthSample {
  index: number;
  name: string;
  seed: number;
  params: SampledParams;
  image: Uint8Array;
  mask: Uint8Array;
  hash: number;
}

export type SynthReply = { id: number; ok: true; sample: SynthSample } | { id: number; ok: false; message: string };
