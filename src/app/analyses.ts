/**
 * Stored analyses from the page: every change is announced (changes.ts), so the Analyse lists of
 * other tabs follow a new, renamed or deleted analysis live.
 */
import { deleteAnalysis, putAnalysis, renameAnalysis } from '../lib/data/analyses';
import type { Db } from '../lib/data/db';
import type { AnalysisRecord } from '../lib/analysis/stored';
import { changeChannel } from './changes';

const broadcast = changeChannel('analyses');

/** Calls `onChange` when another tab stores, renames or deletes an analysis; returns a function that stops listening. */
export const onAnalysisChanges = (onChange: () => void): (() => void) => broadcast.listen(onChange);

export async function storeAnalysis(db: Db, record: AnalysisRecord): Promise<void> {
  await putAnalysis(db, record);
  broadcast.announce(record.id);
}

export async function renameStoredAnalysis(db: Db, id: string, name: string): Promise<AnalysisRecord> {
  const renamed = await renameAnalysis(db, id, name);
  broadcast.announce(id);
  return renamed;
}

export async function deleteStoredAnalysis(db: Db, id: string): Promise<void> {
  await deleteAnalysis(db, id);
  broadcast.announce(id);
}
