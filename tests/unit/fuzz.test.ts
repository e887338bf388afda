/**
 * Property-based tests over every parser that takes what a user (or a hostile file) gives: each
 * input ends in a result or in an Error with a message that says what is wrong — never an
 * uncaught TypeError from deep inside, never a hang.
 */
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { checkImage } from '../../src/lib/data/imageType';
import { decodeGreyPng, encodeGreyPng } from '../../src/lib/data/png';
import { unzipBounded } from '../../src/lib/data/zip';
import { ConfigError, parseExperimentConfig } from '../../src/lib/experiment/config';
import { resultsFromJson } from '../../src/lib/experiment/export';
import { modelRecordError } from '../../src/lib/ml/modelRecords';
import { datasetRecordError, experimentRecordError } from '../../src/lib/data/records';
import { LINK_PREFIX, recipeFromLinkHash } from '../../src/lib/synth/shareLink';
import { recipe } from './helpers';

const RUNS = { numRuns: 300 };

/** Runs `f`; passes if it returns, or throws an Error (not a TypeError) whose message matches `message`. */
function clearOutcome(f: () => unknown, message: RegExp) {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(TypeError);
    expect((e as Error).message).toMatch(message);
  }
}

/** A valid value with some of its leaves replaced or removed, recursively. */
const mutated = (value: unknown) => fc.tuple(fc.anything(), fc.array(fc.nat(), { maxLength: 4 }), fc.boolean()).map(([junk, path, drop]) => {
  const copy = structuredClone(value) as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  for (const [depth, step] of path.entries()) {
    const keys = Object.keys(node);
    if (!keys.length) break;
    const key = keys[step % keys.length];
    const child = node[key];
    if (depth === path.length - 1 || typeof child !== 'object' || child === null) {
      if (drop) delete node[key];
      else node[key] = junk;
      break;
    }
    node = child as Record<string, unknown>;
  }
  return copy;
});

const link = (value: unknown) => LINK_PREFIX + Buffer.from(JSON.stringify(value) ?? 'null').toString('base64url');

describe('fuzzed inputs', () => {
  it('share links: any text, any JSON, any damaged recipe', () => {
    fc.assert(fc.property(fc.string(), (text) => clearOutcome(() => recipeFromLinkHash(LINK_PREFIX + text), /^This (recipe )?link/)), RUNS);
    fc.assert(fc.property(fc.anything(), (value) => clearOutcome(() => recipeFromLinkHash(link(value)), /^This (recipe )?link/)), RUNS);
    fc.assert(fc.property(mutated(recipe()), (value) => clearOutcome(() => recipeFromLinkHash(link(value)), /^This (recipe )?link/)), RUNS);
  });

  it('experiment configs: any JSON and any damaged config give a result or a ConfigError naming a field', () => {
    const good = { task: 'cracks', synthetic: { count: 8, size: 64 }, real: { all: 'x' }, runs: 2, model: { depth: 10, width: 0.25 },
      train: { batchSize: 4, synthetic: [{ epochs: 1, maxLr: 0.001 }] } };
    for (const arb of [fc.anything(), mutated(good)]) {
      fc.assert(fc.property(arb, (value) => {
        try {
          parseExperimentConfig(value);
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
          expect((e as ConfigError).field.length).toBeGreaterThan(0);
        }
      }), RUNS);
    }
    // Found by the fuzzer: a depth that is an object whose toString is not a function.
    expect(() => parseExperimentConfig({ ...good, model: { depth: { toString: 0 }, width: 0.25 } })).toThrow(ConfigError);
  });

  it('model records: the validator answers for anything, never throws', () => {
    fc.assert(fc.property(fc.anything(), (value) => {
      const answer = modelRecordError(value);
      expect(answer === undefined || typeof answer === 'string').toBe(true);
    }), RUNS);
  });

  it('stored dataset and experiment records: the validators answer for anything, never throw', () => {
    fc.assert(fc.property(fc.anything(), (value) => {
      for (const check of [datasetRecordError, experimentRecordError]) {
        const answer = check(value);
        expect(answer === undefined || typeof answer === 'string').toBe(true);
      }
    }), RUNS);
    const dataset = { id: 'd', name: 'n', kind: 'grains', recipe: recipe(), createdAt: 1, stored: 0, bytes: 0, status: 'complete', hashes: [] };
    expect(datasetRecordError(dataset)).toBeUndefined();
    fc.assert(fc.property(mutated(dataset), (value) => {
      const answer = datasetRecordError(value);
      expect(answer === undefined || typeof answer === 'string').toBe(true);
    }), RUNS);
  });

  it('results files: any text and any JSON give results or a message naming the file', () => {
    fc.assert(fc.property(fc.string(), (text) => clearOutcome(() => resultsFromJson(text, 'r.json'), /r\.json/)), RUNS);
    fc.assert(fc.property(fc.anything(), (value) => clearOutcome(() => resultsFromJson(JSON.stringify(value) ?? '', 'r.json'), /r\.json/)), RUNS);
  });

  it('image bytes: random and damaged PNGs decode or give a message naming the file', () => {
    const png = encodeGreyPng(Uint8Array.from({ length: 24 * 16 }, (_, i) => i % 251), 24, 16);
    const damaged = fc.tuple(fc.array(fc.tuple(fc.nat(png.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat(png.length))
      .map(([edits, cut]) => {
        const bytes = png.slice(0, Math.max(8, cut));
        for (const [at, v] of edits) if (at < bytes.length) bytes[at] = v;
        return bytes;
      });
    for (const arb of [fc.uint8Array({ maxLength: 200 }), damaged]) {
      fc.assert(fc.property(arb, (bytes) => {
        clearOutcome(() => checkImage(bytes, 'x.png'), /x\.png/);
        clearOutcome(() => decodeGreyPng(bytes, 'x.png'), /x\.png/);
      }), RUNS);
    }
  });

  it('zips: random and damaged archives open or give a message naming the file', () => {
    const zip = zipSync({ 'a/one.png': new Uint8Array(300).fill(7), 'b.txt': new TextEncoder().encode('hello hello hello') });
    const damaged = fc.array(fc.tuple(fc.nat(zip.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }).map((edits) => {
      const bytes = zip.slice();
      for (const [at, v] of edits) bytes[at] = v;
      return bytes;
    });
    for (const arb of [fc.uint8Array({ maxLength: 300 }), damaged]) {
      fc.assert(fc.property(arb, (bytes) => clearOutcome(() => unzipBounded(bytes, 'x.zip', { files: 10, totalBytes: 1e6 }), /x\.zip/)), RUNS);
    }
  });
});
