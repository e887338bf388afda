/**
 * Stored dataset and experiment records, read defensively: a record another version wrote (or a
 * hand edit) is listed as damaged, with Delete, instead of breaking the view that lists it.
 * (Model records: ml/modelRecords.ts.)
 */
import { isPlainObject } from '../params/space';
import { validateAnyRecipe, type Recipe } from '../synth/recipe';
import type { DatasetRecord, Db, ExperimentRecord } from './db';

export interface DamagedRecord {
  id: string;
  name: string;
  reason: string;
}

const STATUSES: Record<'datasets' | 'experiments', readonly string[]> = {
  datasets: ['generating', 'complete', 'cancelled', 'incomplete'],
  experiments: ['running', 'complete', 'cancelled', 'failed', 'interrupted'],
};

function common(value: unknown, store: 'datasets' | 'experiments'): string | undefined {
  if (!isPlainObject(value)) return 'is not an object';
  for (const key of ['id', 'name']) if (typeof value[key] !== 'string') return `has no ${key} (text)`;
  if (!Number.isFinite(value.createdAt)) return 'has no creation time';
  if (!STATUSES[store].includes(value.status as string)) return `has an unknown status; expected one of ${STATUSES[store].join(', ')}`;
  return undefined;
}

/** What is wrong with a stored dataset record, or undefined. */
export function datasetRecordError(value: unknown): string | undefined {
  const problem = common(value, 'datasets');
  if (problem) return problem;
  const d = value as Record<string, unknown>;
  if (!Number.isInteger(d.stored) || (d.stored as number) < 0 || !Number.isFinite(d.bytes)) return 'has no sample counts';
  if (!Array.isArray(d.hashes)) return 'has no sample hashes';
  if (!isPlainObject(d.recipe) || d.recipe.kind !== d.kind) return 'has no recipe of its kind';
  try {
    validateAnyRecipe(d.recipe as unknown as Recipe);
  } catch (e) {
    return `has a recipe that is not valid: ${(e as Error).message}`;
  }
  return undefined;
}

/** What is wrong with a stored experiment record, or undefined. */
export function experimentRecordError(value: unknown): string | undefined {
  const problem = common(value, 'experiments');
  if (problem) return problem;
  const r = (value as Record<string, unknown>).results;
  if (!isPlainObject(r) || !Array.isArray(r.runs) || !isPlainObject(r.config) || !isPlainObject(r.summary) || !Array.isArray(r.tests)) {
    return 'has no results (config, runs, summary, tests)';
  }
  if (!Array.isArray((r.config as Record<string, unknown>).regimes)) return 'has results without regimes';
  return undefined;
}

/** Readable records of a store, newest first, and the damaged ones apart. */
export async function readRecords<S extends 'datasets' | 'experiments'>(db: Db, store: S):
  Promise<{ records: (S extends 'datasets' ? DatasetRecord : ExperimentRecord)[]; damaged: DamagedRecord[] }> {
  return readChecked(db, store, store === 'datasets' ? datasetRecordError : experimentRecordError);
}

/** The records of a store that `check` finds nothing wrong with, newest first, and the damaged ones apart with the reason. */
export async function readChecked<T extends { createdAt: number }>(db: Db, store: 'datasets' | 'experiments' | 'analyses',
  check: (value: unknown) => string | undefined): Promise<{ records: T[]; damaged: DamagedRecord[] }> {
  const records: T[] = [];
  const damaged: DamagedRecord[] = [];
  for (const value of (await db.getAll(store)) as unknown[]) {
    const reason = check(value);
    if (!reason) records.push(value as T);
    else {
      const v = isPlainObject(value) ? value : {};
      damaged.push({ id: String(v.id), name: typeof v.name === 'string' ? v.name : '(no name)', reason });
    }
  }
  records.sort((a, b) => b.createdAt - a.createdAt);
  return { records, damaged };
}
