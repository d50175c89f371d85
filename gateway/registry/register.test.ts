import { describe, expect, it } from 'vitest';
import { useCleanup } from '../../test/helpers/cleanup.js';
import { openTestStore, sampleRecord, tempDataDir } from '../../test/helpers/records.js';
import type { MetrogateStore } from '../store/store.js';
import { importHistory, importInstruments } from './import.js';
import { exportCsv, getInstrument, historyOf, listInstruments } from './register.js';

const cleanup = useCleanup();

function newStore(): MetrogateStore {
  const data = tempDataDir('metrogate-register-');
  cleanup(data.remove);
  const store = openTestStore(data.dir);
  cleanup(() => store.close());
  return store;
}

const REGISTER = [
  '\uFEFF器具编号,种类,类别,区域,使用单位,地点,状态,登记日期,停用日期,检定周期',
  'SC-0002,scale,电子计价秤,涪城区,"张三, 水果店","农贸市场 ""东门""",in-use,2024-03-01,,',
  'SC-0001,scale,电子计价秤,江油市,李四,"多行\n地址",in-use,2024-03-02,,12',
  'FD-0007,dispenser,加油机,江油市,中石化江油站,1 号岛,scrapped,2019-06-01,2025-01-15,6',
  'TX-0100,taximeter,出租汽车计价器,涪城区,绵阳出租,川B-T0100,in-use,2023-11-30,,24',
].join('\r\n');

const HISTORY = [
  'instrument,date,verdict,record',
  'SC-0001,2025-03-02,pass,"JD,1"',
  'SC-0001,2024-03-02,fail,',
  'FD-0007,2024-07-01,pass,JD-7',
].join('\n');

function exported(store: MetrogateStore, what: 'instruments' | 'history'): string {
  let text = '';
  exportCsv(store, what, (block) => {
    text += block;
  });
  return text;
}

function filled(): MetrogateStore {
  const store = newStore();
  importInstruments(store, [REGISTER], { file: 'register.csv' });
  importHistory(store, [HISTORY], { file: 'history.csv' });
  return store;
}

describe('listing the register', () => {
  it('lists in id order with the last verification, filtered by region, kind and status, limited', () => {
    const store = filled();
    expect(listInstruments(store).map((i) => i.id)).toEqual(['FD-0007', 'SC-0001', 'SC-0002', 'TX-0100']);
    expect(listInstruments(store, { region: '江油市' }).map((i) => i.id)).toEqual(['FD-0007', 'SC-0001']);
    expect(listInstruments(store, { kind: 'scale', region: '涪城区' }).map((i) => i.id)).toEqual(['SC-0002']);
    expect(listInstruments(store, { status: 'scrapped' }).map((i) => i.id)).toEqual(['FD-0007']);
    expect(listInstruments(store, { limit: 2 }).map((i) => i.id)).toEqual(['FD-0007', 'SC-0001']);
    const [fd, sc1, sc2] = listInstruments(store);
    expect(sc1!.lastVerification).toEqual({ date: '2025-03-02', verdict: 'pass', record: 'JD,1' });
    expect(fd!.lastVerification).toEqual({ date: '2024-07-01', verdict: 'pass', record: 'JD-7' });
    expect(sc2!.lastVerification).toBeNull();
  });

  it('shows an instrument and its history oldest first, gateway records included', () => {
    const store = filled();
    store.records.append(sampleRecord(1, { performedAt: '2026-03-01T10:00:00+08:00', standards: [] }));
    expect(getInstrument(store, 'SC-0001')).toMatchObject({ site: '多行\n地址', periodMonths: 12 });
    expect(historyOf(store, 'SC-0001').map((e) => [e.date, e.verdict, e.source])).toEqual([
      ['2024-03-02', 'fail', 'import'],
      ['2025-03-02', 'pass', 'import'],
      ['2026-03-01', 'pass', 'gateway'],
    ]);
    expect(getInstrument(store, 'NOPE')).toBeUndefined();
    expect(historyOf(store, 'NOPE')).toEqual([]);
  });
});

describe('exporting', () => {
  it('writes English headers and round-trips through import unchanged', () => {
    const store = filled();
    const register = exported(store, 'instruments');
    const history = exported(store, 'history');
    expect(register.split('\n').slice(0, 2)).toEqual([
      'id,kind,category,region,owner,site,status,registered,scrapped,period_months',
      'FD-0007,dispenser,加油机,江油市,中石化江油站,1 号岛,scrapped,2019-06-01,2025-01-15,6',
    ]);
    expect(register).toContain(
      'SC-0002,scale,电子计价秤,涪城区,"张三, 水果店","农贸市场 ""东门""",in-use,2024-03-01,,\n',
    );
    expect(history).toBe(
      'instrument,date,verdict,record\nFD-0007,2024-07-01,pass,JD-7\nSC-0001,2024-03-02,fail,\nSC-0001,2025-03-02,pass,"JD,1"\n',
    );

    const copy = newStore();
    expect(importInstruments(copy, [register], { file: 'export.csv' })).toMatchObject({
      rows: 4,
      inserted: 4,
    });
    expect(importHistory(copy, [history], { file: 'export-history.csv' })).toMatchObject({
      rows: 3,
      inserted: 3,
    });
    expect(exported(copy, 'instruments')).toBe(register);
    expect(exported(copy, 'history')).toBe(history);
    expect(listInstruments(copy)).toEqual(listInstruments(store));
  });

  it('hands the CSV over in blocks, not one write per row', () => {
    const store = newStore();
    const rows = ['id,kind,region,status,registered'];
    for (let i = 0; i < 3000; i++)
      rows.push(`SC-${String(i).padStart(5, '0')},scale,江油市,in-use,2024-01-01`);
    importInstruments(store, [rows.join('\n')], { file: 'big.csv' });
    const blocks: string[] = [];
    expect(exportCsv(store, 'instruments', (block) => blocks.push(block))).toBe(3000);
    expect(blocks.length).toBeGreaterThan(1);
    expect(blocks.length).toBeLessThan(10);
    expect(blocks.join('').split('\n')).toHaveLength(3002);
  });
});
