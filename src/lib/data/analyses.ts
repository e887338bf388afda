/**
 * Finished analyses in IndexedDB (store `analyses`, one record each: analysis/stored.ts). Each write
 * is one put of one record, so a full disk leaves every record stored before as it was; failures go
 * through the storage classifier (db.ts `writing`).
 */
import { analysisName, analysisRecordBytes, analysisRecordError, type AnalysisRecord } from '../analysis/stored';
import { checkValueSize, writing, type Db } from './db';
import { readChecked, type DamagedRecord } from './records';

const KEPT = 'Analyses stored before are kept.';

/** Stores a finished analysis; one too large for the browser to keep in one piece is refused before writing. */
export async function putAnalysis(db: Db, record: AnalysisRecord): Promise<void> {
  checkValueSize(analysisRecordBytes(record), `The analysis "${record.name}"`,
    record.kind === 'classify' ? 'Analyse fewer chip images at once, or scan with a larger stride.' : 'Analyse fewer micrographs at once.');
  await writing(() => db.put('analyses', record), KEPT);
}

/** Readable analyses, newest first, and the damaged ones apart (listed for deletion). */
export const listAnalyses = (db: Db): Promise<{ records: AnalysisRecord[]; damaged: DamagedRecord[] }> =>
  readChecked<AnalysisRecord>(db, 'analyses', analysisRecordError);

export async function getAnalysis(db: Db, id: string): Promise<AnalysisRecord | undefined> {
  const value: unknown = await db.get('analyses', id);
  return value === undefined || analysisRecordError(value) ? undefined : (value as AnalysisRecord);
}

export async function renameAnalysis(db: Db, id: string, name: string): Promise<AnalysisRecord> {
  const trimmed = analysisName(name);
  const record = await getAnalysis(db, id);
  if (!record) throw new Error('That analysis no longer exists.');
  const renamed = { ...record, name: trimmed };
  await writing(() => db.put('analyses', renamed), KEPT);
  return renamed;
}

export async function deleteAnalysis(db: Db, id: string): Promise<void> {
  await db.delete('analyses', id);
}
