import { readdirSync, readFileSync } from 'node:fs';
import { zipSync } from 'fflate';

/** Real images the tests use: a small subset of shared/realdata kept in tests/fixtures. */
export const REALDATA = new URL('../fixtures/realdata/', import.meta.url).pathname;

/** Real crack data as a zip in its own layouts: image + mask pairs and labelled tiles. */
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
