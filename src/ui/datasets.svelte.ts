/** The dataset list the views share, re-read from IndexedDB after every change. */
import type { DatasetRecord, Db } from '../lib/data/db';
import { readRecords, type DamagedRecord } from '../lib/data/records';

export class DatasetList {
  items = $state<DatasetRecord[]>([]);
  /** Records that cannot be read, listed so they can be deleted. */
  damaged = $state<DamagedRecord[]>([]);

  constructor(readonly db: Db) {}

  async refresh(): Promise<void> {
    const { records, damaged } = await readRecords(this.db, 'datasets');
    this.items = records;
    this.damaged = damaged;
  }
}
