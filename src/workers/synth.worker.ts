/// <reference lib="webworker" />
/** Thin adapter: one recipe index in, one sample out, pixel buffers transferred, not copied. */
import { SampleMaker } from '../lib/synth/recipe';
import type { SynthReply, SynthRequest } from './protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const maker = new SampleMaker();

scope.onmessage = (event: MessageEvent<SynthRequest>) => {
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
