import { describe, expect, it } from 'vitest';
import { useCleanup } from '../../test/helpers/cleanup.js';
import { openTestStore, sampleRecord, tempDataDir } from '../../test/helpers/records.js';
import type { RecordStandard } from '../store/record-types.js';
import type { MetrogateStore } from '../store/store.js';
import { historyDateOf, recordToHistory, standardsValidOn } from './history.js';
import { importHistory, importInstruments } from './import.js';
import { historyOf } from './register.js';

const cleanup = useCleanup();

function newStore(): MetrogateStore {
  const data = tempDataDir('metrogate-history-');
  cleanup(data.remove);
  const store = openTestStore(data.dir);
  cleanup(() => store.close());
  return store;
}

function standard(id: string, dueDate: string): RecordStandard {
  return { id, kind: 'weight-set', description: 'F1 set', certificateNumber: `C-${id}`, dueDate };
}

describe('history from verification records', () => {
  it('RecordStore.append writes the history row in the same step', () => {
    const store = newStore();
    const record = store.records.append(
      sampleRecord(1, {
        performedAt: '2025-05-01T09:30:00+08:00',
        standards: [standard('W1', '2025-12-31'), standard('W2', '2025-05-01')],
      }),
    );
    expect(historyOf(store, 'SC-0001')).toEqual([
      {
        instrument: 'SC-0001',
        date: '2025-05-01',
        verdict: 'pass',
        record: record.id,
        source: 'gateway',
        standardsValid: true,
      },
    ]);
  });

  it('marks the standards 0 when one was past its due date that day, NULL when none are listed', () => {
    const store = newStore();
    const expired = store.records.append(
      sampleRecord(2, {
        performedAt: '2025-06-02T10:00:00+08:00',
        standards: [standard('W1', '2025-12-31'), standard('W2', '2025-06-01')],
      }),
    );
    const none = store.records.append(
      sampleRecord(3, { performedAt: '2025-06-03T10:00:00Z', standards: [] }),
    );
    expect(historyOf(store, 'SC-0002')).toMatchObject([{ record: expired.id, standardsValid: false }]);
    expect(historyOf(store, 'SC-0003')).toMatchObject([{ record: none.id, standardsValid: null }]);
    const raw = store.db
      .prepare('SELECT record, standards_valid FROM verification_history ORDER BY id')
      .all() as { record: string; standards_valid: number | null }[];
    expect(raw.map((row) => row.standards_valid)).toEqual([0, null]);
  });

  it('keeps the date as written in the record’s own offset, not the UTC date', () => {
    const store = newStore();
    store.records.append(sampleRecord(4, { performedAt: '2025-07-01T07:30:00+08:00' }));
    // 2025-06-30T23:30Z in UTC, but the verification took place on 1 July in China.
    expect(historyOf(store, 'SC-0004')[0]!.date).toBe('2025-07-01');
    expect(historyDateOf('2025-12-31T23:59:59-05:00')).toBe('2025-12-31');
  });

  it('a record of an instrument that is not in the register still gets its row', () => {
    const store = newStore();
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM instruments').get()).toEqual({ n: 0 });
    store.records.append(sampleRecord(5, { result: { ...sampleRecord(5).result, verdict: 'fail' } }));
    expect(historyOf(store, 'SC-0005')).toMatchObject([{ verdict: 'fail', source: 'gateway' }]);
  });

  it('no record is stored when its history row cannot be written (one transaction)', () => {
    const store = newStore();
    store.records.append(sampleRecord(1));
    store.db.exec('DROP TABLE verification_history');
    expect(() => store.records.append(sampleRecord(2))).toThrow(/verification_history/);
    expect(store.records.count()).toBe(1);
    expect(store.verify().intact).toBe(true);
  });

  it('claims an imported row for the same verification: source gateway, standards checked', () => {
    const store = newStore();
    importInstruments(store, ['id,kind,region,status,registered\nSC-0006,scale,江油市,in-use,2024-01-01\n'], {
      file: 'r.csv',
    });
    importHistory(store, ['instrument,date,verdict,record\nSC-0006,2025-05-01,pass,VR-000001\n'], {
      file: 'h.csv',
    });
    store.records.append(sampleRecord(6, { performedAt: '2025-05-01T08:00:00+08:00' }));
    expect(historyOf(store, 'SC-0006')).toEqual([
      {
        instrument: 'SC-0006',
        date: '2025-05-01',
        verdict: 'pass',
        record: 'VR-000001',
        source: 'gateway',
        standardsValid: true,
      },
    ]);
  });

  it('recordToHistory can be called with any holder of the database', () => {
    const store = newStore();
    const entry = recordToHistory(store, {
      id: 'VR-000099',
      instrument: { id: 'TX-1' },
      result: { verdict: 'pass' },
      performedAt: '2026-01-31T12:00:00+08:00',
      standards: [standard('PG', '2026-01-30')],
    });
    expect(entry).toEqual({
      instrument: 'TX-1',
      date: '2026-01-31',
      verdict: 'pass',
      record: 'VR-000099',
      source: 'gateway',
      standardsValid: false,
    });
    expect(historyOf(store, 'TX-1')).toEqual([entry]);
  });
});

describe('standardsValidOn', () => {
  it('counts the due date itself as valid', () => {
    expect(standardsValidOn([standard('a', '2025-05-01')], '2025-05-01')).toBe(true);
    expect(standardsValidOn([standard('a', '2025-04-30')], '2025-05-01')).toBe(false);
    expect(standardsValidOn([], '2025-05-01')).toBeNull();
  });
});
