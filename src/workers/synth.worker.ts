/// <reference lib="webworker" />
/** Thin adapter: one recipe index in, one sample out, pixel buffers transferred, not copied. */
import { releaseWorkBuffers } from '../lib/synth/grains/render';
import { SampleMaker } from '../lib/synth/recipe';
import type { SynthReply, SynthRequest } from './protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const maker = new SampleMaker();
/** An idle pool worker gives back the generator's work buffers (32 MiB at 1024²) this long after its last sample. */
const RELEASE_AFTER_MS = 2000;
let idle: ReturnType<typeof setTimeout> | undefined;

scope.onmessage = (event: MessageEvent<SynthRequest>) => {
  clearTimeout(idle);
  idle = setTimeout(releaseWorkBuffers, RELEASE_AFTER_MS);
  const { id, recipe, index } = event.data;
  let reply: SynthReply;
  try {
    const sample = maker.make(recipe, index);
    reply = { id, ok: true, sample };
    scope.postMessage(reply, [sample.image.buffer, sample.mask.buffer]);
  } catch (e) {
    reply = { id, ok: false, message: e instanceof Error ? e.message : String(e) };
    scope.postMessage(reply);
  }
};
