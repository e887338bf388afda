/** The one message protocol between the UI thread and the synthesis workers. */
import type { Recipe, Sample } from '../lib/synth/recipe';

export interface SynthRequest {
  id: number;
  recipe: Recipe;
  index: number;
}

export type SynthReply = { id: number; ok: true; sample: Sample } | { id: number; ok: false; message: string };
