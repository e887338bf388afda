/**
 * Storage failures told apart on every write path (in-memory IndexedDB): a full disk, one value too
 * large for the browser, and any other error; writes that span several records are all or nothing.
 * A full disk is made by having one object store's `put` throw a QuotaExceededError DOMException.
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { openDB } from 'idb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  checkValueSize, listDatasets, MAX_STORED_VALUE_BYTES, openDatasets, putExperiment, putSamples, StorageFullError, storageError,
  ValueTooLargeError, type Db, type ExperimentRecord, type SampleRecord,
} from '../../src/lib/data/db';
import { addRealImage, deleteRealImage, getRealPixels, listRealImages, listTiles, putSplitSettings, putTiles, setMissingPixelSize } from '../../src/lib/data/realStore';
import { tiff } from '../tiffWriter';
import { importEntries, importMessages, type ImportSummary } from '../../src/app/realImport';
import { decodeGreyPng, encodeGreyPng, encodePng } from '../../src/lib/data/png';
import { decodeImage } from '../../src/lib/data/decodeImage';
import type { SynthPool } from '../../src/app/synthPool';
import type { Recipe, Sample } from '../../src/lib/synth/recipe';
import { defaultTrainConfig } from '../../src/lib/ml/config';
import { indexedDbWeights, modelArtifacts } from '../../src/lib/ml/modelStore';
import { buildModel } from '../../src/lib/ml/models';
import { putModelRecord } from '../../src/lib/ml/modelRecords';

const quota = () => new DOMException('The quota has been exceeded.', 'QuotaExceededError');

let restore: (() => void) | undefined;
/** Makes every `put` into the named object store throw `error`, as a browser with a full disk does. */
function failPuts(storeName: string, error: () => unknown = quota) {
  const proto = IDBObjectStore.prototype;
  const put = proto.put;
  proto.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
    if (this.name === storeName) throw error();
    return put.apply(this, args);
  };
  restore = () => {
    proto.put = put;
  };
}
afterEach(() => {
  restore?.();
  restore = undefined;
});

let db: Db;
beforeAll(async () => {
  await tf.setBackend('cpu');
  db = await openDatasets();
});

const grey = (width: number, height: number) => ({ width, height, pixels: new Uint8Array(width * height) });

describe('the storage error classifier', () => {
  it('says a full disk is full, naming what is kept and what to delete', () => {
    const full = storageError(quota(), { kept: 'Samples stored so far are kept.' });
    expect(full).toBeInstanceOf(StorageFullError);
    expect(full.message).toMatch(/^No room left: .*Samples stored so far are kept\. Free space by deleting datasets, models or real images/);
    expect(storageError(new DOMException('', 'NS_ERROR_DOM_QUOTA_REACHED'))).toBeInstanceOf(StorageFullError);
  });

  it('reads an aborted request by its transaction’s reason', () => {
    const aborted = new DOMException('The transaction was aborted.', 'AbortError');
    expect(storageError(aborted, { tx: { error: quota() } })).toBeInstanceOf(StorageFullError);
    // An abort for another reason is not a full disk.
    const other = storageError(aborted, { tx: { error: new DOMException('Key already exists.', 'ConstraintError') } });
    expect(other).not.toBeInstanceOf(StorageFullError);
    expect(other.message).toBe('Key already exists.');
    expect(storageError(aborted)).not.toBeInstanceOf(StorageFullError);
  });

  it('tells a value too large for the browser from a full disk', () => {
    const chromium = new DOMException('The serialized keys and/or value are too large (size=144000000 bytes, max=133169152 bytes).', 'UnknownError');
    const e = storageError(chromium);
    expect(e).toBeInstanceOf(ValueTooLargeError);
    expect(e.message).toMatch(/too large .* crop or downscale the image/);
  });

  it('passes any other error through with its message, and its own errors unchanged', () => {
    const clone = new DOMException('Function object could not be cloned.', 'DataCloneError');
    expect(storageError(clone)).toBe(clone);
    expect(storageError('odd').message).toBe('odd');
    const full = new StorageFullError();
    expect(storageError(full)).toBe(full);
  });

  it('refuses a value over the stated limit before it is written', () => {
    expect(MAX_STORED_VALUE_BYTES).toBe(120 * 2 ** 20);
    expect(() => checkValueSize(MAX_STORED_VALUE_BYTES, 'x', '')).not.toThrow();
    expect(() => checkValueSize(MAX_STORED_VALUE_BYTES + 1, 'big.png', 'Crop it.')).toThrow(/^big\.png: 120 MB, too large to store \(the browser keeps at most 120 MB in one piece\)\. Crop it\.$/);
  });
});

describe('write paths', () => {
  it('real images: a big image and its mask are kept in parts under the per-value limit and read back whole; a full disk stores nothing of the image', async () => {
    // A 7,000 × 6,000 pair is 84 MB of pixels: three parts of at most 32 MiB, none near the browser's limit.
    const image = grey(7_000, 6_000), mask = { ...grey(7_000, 6_000), pixels: grey(7_000, 6_000).pixels.map((v) => 255 - v) };
    const big = await addRealImage(db, 'pair.png', image, mask, []);
    const parts = await db.getAllKeys('realPixels');
    expect(parts.filter((k) => String(k).startsWith(big.id))).toHaveLength(3);
    const back = await getRealPixels(db, big.id);
    expect(Buffer.from(back!.pixels).equals(Buffer.from(image.pixels))).toBe(true);
    expect(Buffer.from(back!.mask!).equals(Buffer.from(mask.pixels))).toBe(true);
    await deleteRealImage(db, big.id);
    expect(await db.getAllKeys('realPixels')).toEqual([]);

    failPuts('tiles');
    const tiles = [{ x: 0, y: 0, size: 128, label: null }, { x: 128, y: 0, size: 128, label: 'crack' as const }];
    const full = addRealImage(db, 'chip.png', grey(256, 128), null, tiles);
    await expect(full).rejects.toBeInstanceOf(StorageFullError);
    await expect(full).rejects.toThrow('Images imported before this one are kept.');
    expect(await listRealImages(db)).toEqual([]); // the image and pixel records were rolled back with the tiles
    await expect(putTiles(db, [])).resolves.toBeUndefined();
  });

  it('tiles, samples, settings, model and experiment records: a full disk reads as one', async () => {
    failPuts('tiles');
    await expect(putTiles(db, [{ id: 'a:0:0', imageId: 'a', x: 0, y: 0, size: 128, label: null, pinnedTest: false, createdAt: 0 }])).rejects.toThrow(/No room left.*The tiles were not changed/);
    expect(await listTiles(db)).toEqual([]);
    restore!();
    failPuts('samples');
    const sample = { datasetId: 'd', index: 0, name: 's', seed: 1, params: {}, image: new Uint8Array(4), mask: new Uint8Array(4), hash: 1 } as unknown as SampleRecord;
    await expect(putSamples(db, [sample, { ...sample, index: 1 }])).rejects.toThrow(/No room left.*Samples stored so far are kept/);
    expect(await db.count('samples')).toBe(0);
    restore!();
    failPuts('settings');
    await expect(putSplitSettings(db, { seed: 1, val: 0.2, test: 0.1 })).rejects.toBeInstanceOf(StorageFullError);
    restore!();
    failPuts('models');
    await expect(putModelRecord(db, { id: 'm' } as never)).rejects.toBeInstanceOf(StorageFullError);
    restore!();
    failPuts('experiments');
    await expect(putExperiment(db, { id: 'e' } as ExperimentRecord)).rejects.toThrow('Results stored before are kept.');
  });

  it('any other failure keeps its own message', async () => {
    failPuts('settings', () => new DOMException('Something else went wrong.', 'UnknownError'));
    await expect(putSplitSettings(db, { seed: 1, val: 0.2, test: 0.1 })).rejects.toThrow('Something else went wrong.');
  });

  it('model weights: stored in TF.js’ layout and loaded back; a full disk leaves no entry without weights', async () => {
    const model = buildModel({ ...defaultTrainConfig('segment', 32).model, depth: 10, width: 0.125, seed: 1 });
    try {
      await indexedDbWeights.save('w1', model);
      const loaded = await indexedDbWeights.load('w1');
      const [a, b] = [await modelArtifacts(model), await modelArtifacts(loaded)];
      loaded.dispose();
      expect(new Uint8Array(b.weightData as ArrayBuffer)).toEqual(new Uint8Array(a.weightData as ArrayBuffer));

      const tfjs = await openDB('tensorflowjs', 1);
      const paths = async () => [...await tfjs.getAllKeys('model_info_store'), ...await tfjs.getAllKeys('models_store')].map(String).sort();
      expect(await paths()).toEqual(['synthscope-model-v1-w1', 'synthscope-model-v1-w1']);
      failPuts('models_store');
      await expect(indexedDbWeights.save('w2', model)).rejects.toBeInstanceOf(StorageFullError);
      expect(await paths()).toEqual(['synthscope-model-v1-w1', 'synthscope-model-v1-w1']); // no info entry for w2
      restore!();
      await indexedDbWeights.remove('w1');
      expect(await paths()).toEqual([]);
      tfjs.close();
      await expect(indexedDbWeights.load('w1')).rejects.toThrow('weights are not stored');
    } finally {
      model.dispose();
    }
  }, 60_000);
});

describe('dataset generation', () => {
  it('a resume after samples were stored without the record that counts them gives an uninterrupted run\'s fingerprint and size', async () => {
    const { createDataset, resumeDataset } = await import('../../src/app/datasetJob');
    const { SampleMaker } = await import('../../src/lib/synth/recipe');
    const { DEFAULT_PRESET } = await import('../../src/lib/synth/grains/space');
    const maker = new SampleMaker();
    let stopAt = -1, made = 0;
    // A pool in the page's thread: makes the samples in order, and can stop at one (a reload).
    const pool = { run: async (recipe: Recipe, indices: readonly number[], onSample: (s: Sample) => Promise<void> | void) => {
      for (const i of indices) {
        if (made++ === stopAt) throw new Error('the page was closed');
        await onSample(maker.make(recipe, i));
      }
    } } as unknown as SynthPool;
    const recipe: Recipe = { kind: 'grains', preset: DEFAULT_PRESET.id, settings: DEFAULT_PRESET.settings, size: 64, count: 40, seed: 7 };
    const whole = await createDataset(db, pool, recipe, 'whole');
    stopAt = made + 20; // the first 16 are stored and counted, then the run stops
    const cut = await createDataset(db, pool, recipe, 'cut').catch(async () => (await listDatasets(db)).find((d) => d.name === 'cut')!);
    expect(cut.stored).toBe(16);
    // Samples 16–31 reached storage, the record counting them did not.
    await putSamples(db, Array.from({ length: 16 }, (_, k) => ({ datasetId: cut.id, ...maker.make(recipe, 16 + k) })));
    stopAt = -1;
    const resumed = await resumeDataset(db, pool, cut.id);
    expect(resumed).toMatchObject({ status: 'complete', stored: 40, fingerprint: whole.fingerprint, bytes: whole.bytes });
  });
});

describe('real-data import', () => {
  const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ path: `chips/c${i}.png`, bytes: encodeGreyPng(new Uint8Array(128 * 128), 128, 128) }));

  it('a cancel stops between images, keeps what was stored, and is no error', async () => {
    const controller = new AbortController();
    const summary = await importEntries(db, entries(5), (done) => done === 2 && controller.abort(), controller.signal, decodeImage);
    expect(summary).toMatchObject({ cancelled: true, images: 2, total: 5 });
    const { message, error } = importMessages(summary);
    expect(message).toBe('Import cancelled after 2 of 5 images; kept 2 images with 0 tiles (0 labelled).');
    expect(error).toBe('');
  });

  it('reads a 0/1 mask as crack where it is 1, and reports a mask whose image is missing', async () => {
    const mask = new Uint8Array(128 * 128);
    for (let x = 10; x < 100; x++) mask[64 * 128 + x] = 1;
    const pair = [
      { path: 'set/image/p.png', bytes: encodeGreyPng(new Uint8Array(128 * 128).fill(120), 128, 128) },
      { path: 'set/label/p.png', bytes: encodeGreyPng(mask, 128, 128) },
      { path: 'set/label/lost.png', bytes: encodeGreyPng(mask, 128, 128) },
    ];
    const summary = await importEntries(db, pair, undefined, undefined, decodeImage);
    expect(summary).toMatchObject({ images: 1, tiles: 1, labelled: 1 });
    const stored = (await listRealImages(db)).find((r) => r.name === 'p.png')!;
    expect((await db.getAll('tiles')).filter((t) => t.imageId === stored.id).map((t) => t.label)).toEqual(['crack']);
    expect(importMessages(summary).error).toBe('set/label/lost.png is a mask with no image of the same name in an image or images folder beside it, so it was not imported; add its image or rename one of the two.');
  });

  it('refuses a mask that is not its image\'s size, by name, and keeps the other images', async () => {
    const summary = await importEntries(db, [
      { path: 'sz/image/w.png', bytes: encodeGreyPng(new Uint8Array(128 * 128).fill(120), 128, 128) },
      { path: 'sz/label/w.png', bytes: encodeGreyPng(new Uint8Array(256 * 128), 256, 128) },
      { path: 'sz/image/ok.png', bytes: encodeGreyPng(new Uint8Array(128 * 128).fill(120), 128, 128) },
      { path: 'sz/label/ok.png', bytes: encodeGreyPng(new Uint8Array(128 * 128), 128, 128) },
    ], undefined, undefined, decodeImage);
    expect(summary.images).toBe(1);
    expect(summary.errors.join(' ')).toContain('sz/label/w.png is 256×128, not the size of its image sz/image/w.png (128×128); masks must match their images pixel for pixel.');
  });

  it('one mask serves two images of the same name (a.png and a.tif) though each decode hands its bytes over', async () => {
    const mask = new Uint8Array(128 * 128);
    for (let x = 10; x < 100; x++) mask[64 * 128 + x] = 255;
    const files = [
      { path: 'two/image/a.png', bytes: encodeGreyPng(new Uint8Array(128 * 128).fill(120), 128, 128) },
      { path: 'two/image/a.tif', bytes: tiff(128, 128, new Array(128 * 128).fill(120)) },
      { path: 'two/label/a.png', bytes: encodeGreyPng(mask, 128, 128) },
    ];
    // As the files worker does: the bytes given are transferred, so the caller's copy is spent.
    const handOver = async (entry: { path: string; bytes: Uint8Array }) => {
      const image = await decodeImage(entry);
      structuredClone(entry.bytes.buffer, { transfer: [entry.bytes.buffer as ArrayBuffer] });
      return image;
    };
    const summary = await importEntries(db, files, undefined, undefined, handOver);
    expect(summary.errors).toEqual([]);
    expect(summary).toMatchObject({ images: 2, labelled: 2 });
  });

  it('imports a mask drawn black on white as it is, and says it most likely is inverted', async () => {
    const inverted = new Uint8Array(128 * 128).fill(255);
    for (let x = 10; x < 100; x++) inverted[64 * 128 + x] = 0;
    const summary = await importEntries(db, [
      { path: 'inv/image/q.png', bytes: encodeGreyPng(new Uint8Array(128 * 128).fill(120), 128, 128) },
      { path: 'inv/label/q.png', bytes: encodeGreyPng(inverted, 128, 128) },
    ], undefined, undefined, decodeImage);
    expect(summary.images).toBe(1);
    expect(importMessages(summary).error).toBe('inv/label/q.png marks more than half of its image as crack; masks mark cracks white (or 1) on black. If yours is drawn the other way round, invert it, delete q.png and import it again.');
  });

  it('a full disk stops the import and says so', async () => {
    failPuts('realPixels');
    await expect(importEntries(db, entries(3), undefined, undefined, decodeImage)).rejects.toThrow(/^No room left: .*Images imported before this one are kept/);
  });

  it('keeps a pixel size a TIFF states with its image; asked once, the set’s pixel size goes to the others only', async () => {
    const tif = { path: 'scaled/m.tif', bytes: tiff(128, 128, new Array(128 * 128).fill(90), { resolution: 4, description: 'ImageJ=1.54f\nunit=micron\n' }) };
    await importEntries(db, [tif, ...entries(2)], undefined, undefined, decodeImage);
    const scaleOf = async () => new Map((await listRealImages(db)).map((r) => [r.name, r.micronsPerPixel]));
    expect((await scaleOf()).get('m.tif')).toBeCloseTo(0.25, 9);
    expect((await scaleOf()).get('c0.png')).toBeUndefined();
    await expect(setMissingPixelSize(db, 0)).rejects.toThrow(/Pixel size .* outside the allowed/);
    const missing = (await listRealImages(db)).filter((r) => r.micronsPerPixel === undefined).length;
    expect(await setMissingPixelSize(db, 0.5)).toBe(missing);
    const after = await scaleOf();
    expect(after.get('c0.png')).toBe(0.5);
    expect(after.get('m.tif')).toBeCloseTo(0.25, 9); // its own, from the file
  });

  it('keeps a colour upload\'s RGB beside its grey; grey uploads and images stored before stay grey only', async () => {
    const { generateGrainSample } = await import('../../src/lib/synth/grains/index');
    const { presetById } = await import('../../src/lib/synth/grains/space');
    const { realItems } = await import('../../src/lib/data/realSet');
    const preset = presetById('colour-etched');
    const s = generateGrainSample({ kind: 'grains', preset: preset.id, settings: preset.settings, size: 128, count: 1, seed: 5 }, 0);
    const files = [
      { path: 'tint/images/colour.png', bytes: encodePng(s.image, 128, 128) }, { path: 'tint/masks/colour.png', bytes: encodeGreyPng(s.mask, 128, 128) },
      { path: 'tint/images/plain.png', bytes: encodeGreyPng(s.mask, 128, 128) }, { path: 'tint/masks/plain.png', bytes: encodeGreyPng(s.mask, 128, 128) },
    ];
    await importEntries(db, files, undefined, undefined, decodeImage);
    const records = (await listRealImages(db)).filter((r) => r.name === 'colour.png' || r.name === 'plain.png');
    const colour = records.find((r) => r.name === 'colour.png')!, plain = records.find((r) => r.name === 'plain.png')!;
    expect(colour.channels).toBe(3);
    expect(plain).not.toHaveProperty('channels');
    const stored = (await getRealPixels(db, colour.id))!;
    expect(Buffer.from(stored.colour!).equals(Buffer.from(s.image))).toBe(true);
    expect(Buffer.from(stored.pixels).equals(Buffer.from(decodeGreyPng(files[0].bytes).pixels))).toBe(true); // grey as before
    expect((await getRealPixels(db, plain.id))!.colour).toBeUndefined();
    // Tiles for a colour model come in RGB (grey images repeat their grey); for a grey model, grey.
    const tiles = (await listTiles(db)).filter((t) => t.imageId === colour.id || t.imageId === plain.id).map((t) => t.id);
    const rgb = (await realItems(db, 'segment', { test: tiles }, 3)).items;
    expect(rgb.length).toBe(tiles.length);
    for (const item of rgb) expect(item.image.pixels.length).toBe(3 * item.image.width * item.image.height);
    const greyItems = (await realItems(db, 'segment', { test: tiles })).items;
    for (const item of greyItems) expect(item.image.pixels.length).toBe(item.image.width * item.image.height);
    for (const r of records) await deleteRealImage(db, r.id);
  });

  it('a zip of 5,000 junk files gives a short message: the first few problems and a count', () => {
    const summary: ImportSummary = {
      images: 0, tiles: 0, labelled: 0, skipped: Array.from({ length: 300 }, (_, i) => `x${i}.txt`), cancelled: false, total: 5000,
      errors: Array.from({ length: 5000 }, (_, i) => `junk/file-${i}.png is not a PNG, JPEG or TIFF image (it starts with "MZ").`),
    };
    const { message, error } = importMessages(summary);
    expect(message).toBe('Imported 0 images with 0 tiles (0 labelled). Skipped 300 files that are not PNG, JPEG or TIFF images.');
    expect(error.length).toBeLessThan(600);
    expect(error).toMatch(/file-0\.png .* … and 4995 more files that could not be read\.$/);
  });
});
