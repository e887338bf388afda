/**
 * Makes docs/colour-grey-vs-rgb.png: one sample of the Colour etched preset rendered grey (colour 0)
 * and in colour (colour 1), same recipe and index, side by side: the grey one is the colour one's
 * luma (up to clipping). Run: npx tsx docs/colour-figure.ts
 */
import { writeFileSync } from 'node:fs';
import { encodePng } from '../src/lib/data/png';
import { generateGrainSample, type GrainRecipe } from '../src/lib/synth/grains/index';
import { presetById } from '../src/lib/synth/grains/space';

const size = 256, gap = 8;
const preset = presetById('colour-etched');
const recipe = (colour: number): GrainRecipe => ({ kind: 'grains', preset: preset.id, settings: { ...preset.settings, colour: { lo: colour, hi: colour } }, size, count: 4, seed: 3 });
const grey = generateGrainSample(recipe(0), 1).image, rgb = generateGrainSample(recipe(1), 1).image;
const width = 2 * size + gap, out = new Uint8Array(3 * width * size).fill(255);
for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
  const i = y * size + x, left = 3 * (y * width + x), right = 3 * (y * width + size + gap + x);
  out[left] = out[left + 1] = out[left + 2] = grey[i];
  out.set(rgb.subarray(3 * i, 3 * i + 3), right);
}
writeFileSync(new URL('./colour-grey-vs-rgb.png', import.meta.url), encodePng(out, width, size));
