import { readdirSync, readFileSync } from 'node:fs';
import { zipSync } from 'fflate';

/** The real crack data the project may test with (shared/realdata), as a zip in its own layouts. */
export const REALDATA = process.env.REALDATA ?? new URL('../../../shared/realdata/', import.meta.url).pathname;

export function realCrackZip(pairs: number, tilesPerClass: number): Buffer {
  const root = `${REALDATA}cracks/`;
  const files: Record<string, Uint8Array> = {};
  for (const name of readdirSync(`${root}ceramic-tile-arthurflor23/image`).sort().slice(0, pairs)) {
    files[`walls/image/${name}`] = readFileSync(`${root}ceramic-tile-arthurflor23/image/${name}`);
    files[`walls/label/${name}`] = readFileSync(`${root}ceramic-tile-arthurflor23/label/${name}`);
  }
  for (const label of ['crack', 'no_crack']) {
    for (const name of readdirSync(`${root}ceramic-tile-tiles/${label}`).sort().slice(0, tilesPerClass)) {
      files[`tiles/${label}/${name}`] = readFileSync(`${root}ceramic-tile-tiles/${label}/${name}`);
    }
  }
  return Buffer.from(zipSync(files));
}
