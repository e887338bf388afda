import { type GrainRecipe } from '../../src/lib/synth/grains/index';
import { GRAIN_PRESETS } from '../../src/lib/synth/grains/space';
import type { Settings } from '../../src/lib/params/space';

export function recipe(overrides: Partial<GrainRecipe> = {}, params: Record<string, number | [number, number]> = {}): GrainRecipe {
  const preset = GRAIN_PRESETS[0];
  const settings: Settings = structuredClone(preset.settings);
  for (const [name, v] of Object.entries(params)) settings[name] = Array.isArray(v) ? { lo: v[0], hi: v[1] } : { lo: v, hi: v };
  return { kind: 'grains', preset: preset.id, settings, size: 128, count: 10, seed: 1, ...overrides };
}

/** Number of 4-connected regions of pixels where `inside` holds. */
export function countRegions(size: number, inside: (i: number) => boolean, minPixels = 1): number {
  const seen = new Uint8Array(size * size);
  const stack: number[] = [];
  let regions = 0;
  for (let start = 0; start < size * size; start++) {
    if (seen[start] || !inside(start)) continue;
    let pixels = 0;
    seen[start] = 1;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop()!;
      pixels++;
      const x = i % size;
      for (const j of [x > 0 ? i - 1 : -1, x < size - 1 ? i + 1 : -1, i - size, i + size]) {
        if (j >= 0 && j < size * size && !seen[j] && inside(j)) {
          seen[j] = 1;
          stack.push(j);
        }
      }
    }
    if (pixels >= minPixels) regions++;
  }
  return regions;
}
