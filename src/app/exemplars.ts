/** Loads the bundled texture exemplars once, decoded with the same PNG code as the CLI. */
import { decodeGreyPng } from '../lib/data/png';
import { EXEMPLAR_INDEX, type ExemplarIndex } from '../lib/synth/cracks/exemplars';
import type { Exemplar } from '../lib/synth/cracks/texture';

let loading: Promise<{ source: string; exemplars: Exemplar[] }> | null = null;

export function defaultExemplars(): Promise<{ source: string; exemplars: Exemplar[] }> {
  loading ??= (async () => {
    const base = new URL(EXEMPLAR_INDEX, document.baseURI);
    const response = await fetch(base);
    if (!response.ok) throw new Error(`The bundled texture exemplars could not be loaded (${response.status}).`);
    const index: ExemplarIndex = await response.json();
    const exemplars = await Promise.all(index.files.map(async (file) => {
      const r = await fetch(new URL(file, base));
      if (!r.ok) throw new Error(`Texture exemplar ${file} could not be loaded (${r.status}).`);
      return decodeGreyPng(new Uint8Array(await r.arrayBuffer()), file);
    }));
    return { source: index.source, exemplars };
  })().catch((e) => {
    loading = null; // forget a failed load so a retry works
    throw e;
  });
  return loading;
}
