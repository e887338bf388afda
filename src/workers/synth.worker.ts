/// <reference lib="webworker" />
/** Thin adapter: one recipe index in, one sample out, pixel buffers transferred, not copied. */
import { sampleHash } from '../lib/synth/dataset';
import { generateGrainSample } from '../lib/synth/grains/index';
import type { SynthReply, SynthRequest } from './protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = (event: MessageEvent<SynthRequest>) => {
  const { id, recipe, index } = event.data;
  let reply: SynthReply;
  try {
    const { grainIds: _, ...sample } = generateGrainSample(recipe, index);
    reply = { id, ok: true, sample: { ...sample, hash: sampleHash(sample.image, sample.mask) } };
    scope.postMessage(reply, [sample.image.buffer, sample.mask.buffer]);
  } catch (e) {
    reply = { id, ok: false, message: e instanceof Error ? e.message : String(e) };
    scope.postMessage(reply);
  }
};
