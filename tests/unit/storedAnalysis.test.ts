/**
 * Stored analyses: the record a finished analysis becomes (plain data, no per-pixel buffers, the
 * options of its kind), its validation when read back, the table and CSVs it gives again, and its
 * store in (in-memory) IndexedDB: upgrade from the previous schema, round trip, rename, delete, a
 * full disk and a value too large.
 */
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import { chipRow, grainsCsv, imageRow, imagesCsv, windowsCsv } from '../../src/lib/analysis/batch';
import { DEFAULT_GRAIN_MEASURE_OPTIONS } from '../../src/lib/analysis/grainStats';
import { crackResult, DEFAULT_VERDICT, grainResult, type AnalysisResult } from '../../src/lib/analysis/result';
import {
  analysisName, analysisOptionsText, analysisRecord, analysisRecordError, analysisSummaryText, ANALYSIS_RECORD_VERSION, storedChipRows,
  storedImageRows, type AnalysisRecord, type AnalysisRecordInput,
} from '../../src/lib/analysis/stored';
import { deleteAnalysis, getAnalysis, listAnalyses, putAnalysis, renameAnalysis } from '../../src/lib/data/analyses';
import { DB_NAME, DB_VERSION, openDatasets, StorageFullError, ValueTooLargeError } from '../../src/lib/data/db';

const grey = (width: number, height: number) => ({ width, height, pixels: new Uint8Array(width * height) });

/** A 96² micrograph whose boundaries are a grid of 2-px lines every `step` px: grains of step² px. */
function micrograph(name: string, step: number): AnalysisResult {
  const size = 96;
  const probability = new Float32Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (x % step < 2 || y % step < 2) probability[y * size + x] = 0.9;
  return grainResult(name, grey(size, size), probability, 0.5);
}

const chips = (): AnalysisResult[] => [
  crackResult('a.png', grey(128, 128), 64, [0.2, 0.7, 0.9, 0.5].map((probability, k) => ({ x: (k % 2) * 64, y: Math.floor(k / 2) * 64, probability }))),
  crackResult('b.png', grey(64, 64), 64, [{ x: 0, y: 0, probability: 0.3 }]),
];

const options: AnalysisRecordInput['options'] = {
  micronsPerPixel: 0.5, rescale: false, boundaryThreshold: 0.4, measure: { ...DEFAULT_GRAIN_MEASURE_OPTIONS }, stride: 32, rule: { threshold: 0.6, minFlagged: 1 },
};
const input = (results: AnalysisResult[], name?: string): AnalysisRecordInput =>
  ({ id: 'a1', createdAt: 1_700_000_000_000, model: { id: 'm1', name: 'tiny U-Net' }, options, results, ...(name === undefined ? {} : { name }) });

describe('the record of a finished analysis', () => {
  it('keeps each micrograph’s statistics without its boundary map, and only the grain options', () => {
    const results = [micrograph('a.png', 16), micrograph('b.png', 24)];
    const r = analysisRecord(input(results));
    expect(r.kind).toBe('segment');
    expect(r.version).toBe(ANALYSIS_RECORD_VERSION);
    expect(r.name).toBe('2 micrographs (a.png, …)');
    expect(r.options).toEqual({ micronsPerPixel: 0.5, rescale: false, boundaryThreshold: 0.4, measure: DEFAULT_GRAIN_MEASURE_OPTIONS });
    for (const image of r.images) expect(Object.keys(image)).not.toContain('boundary');
    // Plain data: it survives the structured clone IndexedDB makes.
    expect(structuredClone(r)).toEqual(r);
    expect(analysisRecordError(r)).toBeUndefined();
  });

  it('gives back the same rows, summary and CSVs as the fresh result', () => {
    const results = [micrograph('a.png', 16), micrograph('b.png', 24)];
    const r = structuredClone(analysisRecord(input(results)));
    if (r.kind !== 'segment') throw new Error('expected a grain analysis');
    const fresh = results.map((x) => (x.kind === 'segment' ? imageRow(x.name, x.stats, x.distribution) : null)!);
    expect(storedImageRows(r)).toEqual(fresh);
    expect(imagesCsv(storedImageRows(r))).toBe(imagesCsv(fresh));
    expect(grainsCsv(r.images)).toBe(grainsCsv(results as Extract<AnalysisResult, { kind: 'segment' }>[]));
    expect(grainsCsv(r.images).split('\n')[1]).toMatch(/^a\.png,1,\d/);
    expect(analysisSummaryText(r)).toMatch(/^G planimetric \d+\.\d\d ± \d+\.\d\d, G intercept \d+\.\d\d ± \d+\.\d\d over 2 images$/);
    expect(analysisOptionsText(r)).toBe('0.5 µm per px; boundary above 0.4; gaps ≤ 5 px closed, spurs ≤ 25 px pruned, grains under 12 px or 5 % of the median absorbed');
  });

  it('keeps chip images’ window probabilities without heatmaps, so another rule re-decides them', () => {
    const results = chips();
    const r = analysisRecord(input(results, '  shift 3 chips  '));
    if (r.kind !== 'classify') throw new Error('expected a crack analysis');
    expect(r.name).toBe('shift 3 chips');
    expect(r.options).toEqual({ stride: 32, rule: { threshold: 0.6, minFlagged: 1 } });
    for (const image of r.images) expect(Object.keys(image)).not.toContain('heat');
    expect(storedChipRows(r).map((c) => c.verdict)).toEqual(['crack', 'no crack']);
    expect(storedChipRows(r, { threshold: 0.95, minFlagged: 1 }).map((c) => c.verdict)).toEqual(['no crack', 'no crack']);
    expect(storedChipRows(r, DEFAULT_VERDICT)).toEqual(results.map((x) => chipRow(x as Extract<AnalysisResult, { kind: 'classify' }>, DEFAULT_VERDICT)));
    expect(windowsCsv(r.images, r.options.rule)).toBe(windowsCsv(results as Extract<AnalysisResult, { kind: 'classify' }>[], r.options.rule));
    expect(analysisSummaryText(r)).toBe('1 of 2 images called crack (window crack probability above 0.6, at least 1 flagged window)');
    expect(analysisRecord(input(results.slice(1))).name).toBe('1 chip photo (b.png)');
  });

  it('refuses what is not one finished analysis: no images, mixed kinds, an unusable rule, an empty name', () => {
    expect(() => analysisRecord(input([]))).toThrow('An analysis without images is not stored.');
    expect(() => analysisRecord(input([micrograph('a.png', 16), ...chips()]))).toThrow(/one model/);
    expect(() => analysisRecord({ ...input(chips()), options: { ...options, rule: { threshold: 2, minFlagged: 1 } } })).toThrow(/^Verdict threshold/);
    expect(() => analysisRecord(input(chips(), '   '))).toThrow('An analysis name cannot be empty.');
    expect(analysisName(' x ')).toBe('x');
  });

  it('lists what is wrong with a record read back, naming the part', () => {
    const good = analysisRecord(input([micrograph('a.png', 16)]));
    const chip = analysisRecord(input(chips()));
    const broken = (change: Record<string, unknown>, from: AnalysisRecord = good) => analysisRecordError({ ...from, ...change });
    expect(analysisRecordError(null)).toBe('is not an object');
    expect(broken({ name: 3 })).toBe('has no name (text)');
    expect(broken({ createdAt: 'yesterday' })).toBe('has no creation time');
    expect(broken({ version: 2 })).toMatch(/^was stored by another version of SynthScope \(record version 2/);
    expect(broken({ model: { id: 'm1' } })).toBe('does not name its model');
    expect(broken({ kind: 'detect' })).toBe('is neither a grain nor a crack analysis');
    expect(broken({ options: { ...good.options, micronsPerPixel: 0 } })).toBe('has no pixel size');
    expect(broken({ images: [] })).toBe('has no images');
    expect(broken({ images: [{ name: 'a.png', width: 96, height: 96, stats: {} }] })).toBe('has no grain statistics for a.png');
    expect(broken({ options: { stride: 32, rule: { threshold: 0.5, minFlagged: 0 } } }, chip)).toMatch(/^has an unusable verdict rule: Minimum flagged windows/);
    expect(broken({ images: [{ name: 'b.png', width: 64, height: 64, window: 64 }] }, chip)).toBe('has no window probabilities for b.png');
    // Parts the list and the tables read: a record missing one is listed as damaged, never shown half.
    expect(broken({ options: { ...good.options, boundaryThreshold: undefined } })).toBe('has no boundary threshold');
    expect(broken({ options: { ...good.options, measure: { gapLength: 5 } } })).toBe('has no grain measuring options');
    const stats = (good.images[0] as unknown as { stats: Record<string, unknown> }).stats;
    expect(broken({ images: [{ ...good.images[0], stats: { ...stats, meanArea: undefined } }] })).toBe('has no grain statistics for a.png');
    expect(broken({ images: [{ ...good.images[0], distribution: {} }] })).toBe('has an incomplete size distribution for a.png');
    expect(broken({ images: [{ ...chip.images[0], windows: [null] }] }, chip)).toMatch(/^has no window probabilities for /);
    expect(analysisRecordError(chip)).toBeUndefined();
  });
});

describe('the store of analyses', () => {
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
  });

  it('is added by the upgrade from the previous schema, which keeps the stores and records already there', async () => {
    expect(DB_VERSION).toBe(7);
    const old = await openDB(DB_NAME, 6, {
      upgrade(db) {
        for (const name of ['datasets', 'realImages', 'realPixels', 'settings', 'models', 'experiments', 'optimizerStates', 'experimentInputs']) {
          db.createObjectStore(name, { keyPath: name === 'settings' ? 'key' : 'id' });
        }
        db.createObjectStore('samples', { keyPath: ['datasetId', 'index'] }).createIndex('byDataset', 'datasetId');
        db.createObjectStore('tiles', { keyPath: 'id' }).createIndex('byImage', 'imageId');
        db.createObjectStore('traces', { keyPath: 'id' }).createIndex('byTile', 'tileId');
      },
    });
    await old.put('experiments', { id: 'e1', name: 'kept' });
    // A tab of the older version still open keeps the upgrade waiting, and says so, until it closes.
    let blocked = 0;
    const opening = openDatasets(() => {
      blocked++;
      old.close();
    });
    const db = await opening;
    expect(blocked).toBe(1);
    expect([...db.objectStoreNames]).toContain('analyses');
    expect(await db.get('experiments', 'e1')).toEqual({ id: 'e1', name: 'kept' });
    db.close();
  });

  it('stores, lists newest first, renames and deletes; damaged records are listed apart', async () => {
    const db = await openDatasets();
    const first = analysisRecord({ ...input([micrograph('a.png', 16)]), id: 'first' });
    const second = analysisRecord({ ...input(chips()), id: 'second', createdAt: first.createdAt + 1 });
    await putAnalysis(db, first);
    await putAnalysis(db, second);
    await db.put('analyses', { id: 'odd', name: 'hand-edited' } as unknown as AnalysisRecord);
    let listed = await listAnalyses(db);
    expect(listed.records.map((r) => r.id)).toEqual(['second', 'first']);
    expect(listed.records[1]).toEqual(first);
    expect(listed.damaged).toEqual([{ id: 'odd', name: 'hand-edited', reason: 'has no creation time' }]);
    expect((await renameAnalysis(db, 'first', ' renamed ')).name).toBe('renamed');
    expect((await getAnalysis(db, 'first'))?.name).toBe('renamed');
    await expect(renameAnalysis(db, 'first', '')).rejects.toThrow('An analysis name cannot be empty.');
    await expect(renameAnalysis(db, 'gone', 'x')).rejects.toThrow('That analysis no longer exists.');
    await deleteAnalysis(db, 'odd');
    await deleteAnalysis(db, 'second');
    listed = await listAnalyses(db);
    expect(listed.records.map((r) => r.name)).toEqual(['renamed']);
    expect(listed.damaged).toEqual([]);
    await deleteAnalysis(db, 'first');
    db.close();
  });

  it('on a full disk says so and keeps the analyses stored before; refuses a record too large before writing', async () => {
    const db = await openDatasets();
    const kept = analysisRecord({ ...input(chips()), id: 'kept' });
    await putAnalysis(db, kept);
    const proto = IDBObjectStore.prototype;
    const put = proto.put;
    proto.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name === 'analyses') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.apply(this, args);
    };
    restore = () => {
      proto.put = put;
    };
    const failed = putAnalysis(db, analysisRecord({ ...input(chips()), id: 'new' }));
    await expect(failed).rejects.toBeInstanceOf(StorageFullError);
    await expect(failed).rejects.toThrow(/^No room left: .*Analyses stored before are kept\./);
    await expect(renameAnalysis(db, 'kept', 'other')).rejects.toBeInstanceOf(StorageFullError);
    restore();
    restore = undefined;
    expect((await listAnalyses(db)).records).toEqual([kept]);

    // Three million windows: over what the browser keeps in one value.
    const windows = new Array(3_000_000).fill({ x: 0, y: 0, probability: 0.1 });
    const huge: AnalysisRecord = { ...kept, id: 'huge', images: [{ ...kept.images[0], windows }] } as AnalysisRecord;
    await expect(putAnalysis(db, huge)).rejects.toBeInstanceOf(ValueTooLargeError);
    await expect(putAnalysis(db, huge)).rejects.toThrow(/scan with a larger stride/);
    expect(await getAnalysis(db, 'huge')).toBeUndefined();
    await deleteAnalysis(db, 'kept');
    db.close();
  });
});
