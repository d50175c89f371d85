import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMetrogateError, type MetrogateError } from '../../drivers/errors.js';
import { useCleanup } from '../../test/helpers/cleanup.js';
import { openTestStore, tempDataDir } from '../../test/helpers/records.js';
import type { MetrogateStore } from '../store/store.js';
import {
  importHistory,
  importHistoryFile,
  importInstruments,
  importInstrumentsFile,
  type RowProblem,
} from './import.js';
import { countHistory, countInstruments, getInstrument, historyOf, listInstruments } from './register.js';

const cleanup = useCleanup();

function newStore(): { store: MetrogateStore; dir: string } {
  const data = tempDataDir('metrogate-registry-');
  cleanup(data.remove);
  const store = openTestStore(data.dir);
  cleanup(() => store.close());
  return { store, dir: data.dir };
}

function writeCsv(dir: string, name: string, text: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const ENGLISH_HEADER = 'id,kind,category,region,owner,site,status,registered,scrapped,period_months';
const CHINESE_HEADER = '器具编号,种类,类别,区域,使用单位,地点,状态,登记日期,停用日期,检定周期';

const REGISTER = [
  ENGLISH_HEADER,
  'SC-0001,scale,电子计价秤,涪城区,"张三, 水果店","农贸市场 ""东门"" 12 号",in-use,2024-03-01,,',
  'FD-0007,dispenser,加油机,江油市,中石化江油站,1 号岛,scrapped,2019-06-01,2025-01-15,6',
  'TX-0100,taximeter,出租汽车计价器,涪城区,绵阳出租,川B-T0100,in-use,2023-11-30,,24',
].join('\n');

function thrown(action: () => unknown): MetrogateError {
  try {
    action();
  } catch (error) {
    if (isMetrogateError(error)) return error;
    throw error;
  }
  throw new Error('expected an error');
}

function problemsOf(error: MetrogateError): RowProblem[] {
  return error.details.problems as RowProblem[];
}

/** The whole state an import could touch: both tables and the audit trail. */
function snapshot(store: MetrogateStore): unknown {
  return {
    instruments: store.db.prepare('SELECT * FROM instruments ORDER BY id').all(),
    history: store.db.prepare('SELECT * FROM verification_history ORDER BY id').all(),
    audit: store.db.prepare('SELECT COUNT(*) AS n FROM audit_trail').get(),
  };
}

describe('importing the register', () => {
  it('reads English headers, quoted commas and quotes, and an empty period as the default', () => {
    const { store, dir } = newStore();
    const summary = importInstrumentsFile(store, writeCsv(dir, 'register.csv', REGISTER));
    expect(summary).toEqual({
      file: join(dir, 'register.csv'),
      target: 'instruments',
      rows: 3,
      inserted: 3,
      updated: 0,
      unchanged: 0,
    });
    expect(getInstrument(store, 'SC-0001')).toEqual({
      id: 'SC-0001',
      kind: 'scale',
      category: '电子计价秤',
      region: '涪城区',
      owner: '张三, 水果店',
      site: '农贸市场 "东门" 12 号',
      status: 'in-use',
      registered: '2024-03-01',
      scrapped: null,
      periodMonths: null,
    });
    expect(getInstrument(store, 'FD-0007')).toMatchObject({
      status: 'scrapped',
      scrapped: '2025-01-15',
      periodMonths: 6,
    });
    expect(getInstrument(store, 'TX-0100')?.periodMonths).toBe(24);
  });

  it('reads Chinese headers in any order, with a byte-order mark, CRLF and padded cells', () => {
    const { store, dir } = newStore();
    const text =
      '\uFEFF状态,器具编号,种类,区域,登记日期,停用日期,检定周期（月）,使用单位\r\n' +
      ' 在用 , SC-9 ,秤,游仙区,2025-01-02,, 12 ,"李四"\r\n' +
      '报废,FD-9,加油机,游仙区,2020-05-05,2024-12-31,,\r\n';
    const summary = importInstrumentsFile(store, writeCsv(dir, '台账.csv', text));
    expect(summary.inserted).toBe(2);
    expect(getInstrument(store, 'SC-9')).toEqual({
      id: 'SC-9',
      kind: 'scale',
      category: '',
      region: '游仙区',
      owner: '李四',
      site: '',
      status: 'in-use',
      registered: '2025-01-02',
      scrapped: null,
      periodMonths: 12,
    });
    expect(getInstrument(store, 'FD-9')).toMatchObject({
      kind: 'dispenser',
      status: 'scrapped',
      scrapped: '2024-12-31',
    });
  });

  it('accepts the contract Chinese header row exactly', () => {
    const { store, dir } = newStore();
    const text = `${CHINESE_HEADER}\nSC-1,scale,电子计价秤,江油市,王五,菜市场,in-use,2024-01-01,,12\n`;
    expect(importInstrumentsFile(store, writeCsv(dir, 'zh.csv', text)).inserted).toBe(1);
    expect(getInstrument(store, 'SC-1')).toMatchObject({ owner: '王五', site: '菜市场', periodMonths: 12 });
  });

  it('decodes UTF-8 cut anywhere between chunks', () => {
    const { store } = newStore();
    const bytes = Buffer.from(REGISTER, 'utf8');
    const oneByteAtATime = Array.from(bytes, (byte) => Uint8Array.of(byte));
    importInstruments(store, oneByteAtATime, { file: 'bytes.csv' });
    expect(getInstrument(store, 'SC-0001')?.site).toBe('农贸市场 "东门" 12 号');
    expect(countInstruments(store)).toBe(3);
  });

  it('reports progress as it reads', () => {
    const { store } = newStore();
    const seen: { bytes: number; rows: number }[] = [];
    const lines = REGISTER.split('\n').map((line) => `${line}\n`);
    importInstruments(store, lines, { file: 'x.csv', onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => p.rows)).toEqual([0, 1, 2, 3]);
    expect(seen.at(-1)!.bytes).toBe(lines.join('').length);
  });

  it('upserts by id: new rows inserted, changed rows updated, identical rows left alone', () => {
    const { store, dir } = newStore();
    importInstrumentsFile(store, writeCsv(dir, 'a.csv', REGISTER));
    const second = [
      ENGLISH_HEADER,
      'SC-0001,scale,电子计价秤,涪城区,"张三, 水果店","农贸市场 ""东门"" 12 号",in-use,2024-03-01,,',
      'TX-0100,taximeter,出租汽车计价器,涪城区,绵阳出租,川B-T0100,scrapped,2023-11-30,2026-01-01,24',
      'SC-0002,scale,电子秤,游仙区,,,in-use,2026-02-01,,',
    ].join('\n');
    const summary = importInstrumentsFile(store, writeCsv(dir, 'b.csv', second));
    expect(summary).toMatchObject({ rows: 3, inserted: 1, updated: 1, unchanged: 1 });
    expect(countInstruments(store)).toBe(4);
    expect(getInstrument(store, 'TX-0100')).toMatchObject({ status: 'scrapped', scrapped: '2026-01-01' });
    // An instrument missing from the second file stays: import adds and replaces, it never deletes.
    expect(getInstrument(store, 'FD-0007')).toBeDefined();
  });

  it('writes one registry.import audit entry with the file name and counts', () => {
    const { store, dir } = newStore();
    importInstrumentsFile(store, writeCsv(dir, 'register.csv', REGISTER), { actor: 'clerk' });
    const row = store.db
      .prepare("SELECT actor, action, subject, payload FROM audit_trail WHERE action = 'registry.import'")
      .all() as { actor: string; action: string; subject: string; payload: string }[];
    expect(row).toHaveLength(1);
    expect(row[0]).toMatchObject({ actor: 'clerk', subject: 'register.csv' });
    expect(JSON.parse(row[0]!.payload).details).toEqual({
      file: join(dir, 'register.csv'),
      target: 'instruments',
      rows: 3,
      inserted: 3,
      updated: 0,
      unchanged: 0,
    });
    expect(store.verify().intact).toBe(true);
  });

  it('imports a header-only file as zero rows and refuses an empty file', () => {
    const { store, dir } = newStore();
    expect(importInstrumentsFile(store, writeCsv(dir, 'h.csv', `${ENGLISH_HEADER}\n\n`)).rows).toBe(0);
    const empty = thrown(() => importInstrumentsFile(store, writeCsv(dir, 'e.csv', '\uFEFF\n')));
    expect(empty.code).toBe('MG_ERR_INPUT_INVALID');
    expect(empty.message).toMatch(/e\.csv: the file is empty; expected a header row/);
  });

  it('skips rows whose cells are all empty (spreadsheet filler)', () => {
    const { store, dir } = newStore();
    const summary = importInstrumentsFile(
      store,
      writeCsv(dir, 'f.csv', `${REGISTER}\n,,,,,,,,,\n  ,,,,,,,,,\n`),
    );
    expect(summary.rows).toBe(3);
  });
});

describe('checking the register', () => {
  it('names the line and column of every bad value', () => {
    const { store, dir } = newStore();
    const rows = [
      ENGLISH_HEADER, // line 1
      ',scale,,涪城区,,,in-use,2024-01-01,,', // 2: empty id
      'A2,scales,,涪城区,,,in-use,2024-01-01,,', // 3: bad kind
      'A3,scale,,  ,,,in-use,2024-01-01,,', // 4: empty region
      'A4,scale,,涪城区,,,active,2024-01-01,,', // 5: bad status
      'A5,scale,,涪城区,,,in-use,2025-02-29,,', // 6: not a calendar date
      'A6,scale,,涪城区,,,in-use,2024/01/01,,', // 7: wrong date format
      'A7,scale,,涪城区,,,in-use,2024-01-01,2025-01-01,', // 8: scrapped date while in use
      'A8,scale,,涪城区,,,scrapped,2024-01-01,,', // 9: scrapped without date
      'A9,scale,,涪城区,,,scrapped,2024-01-01,2023-12-31,', // 10: scrapped before registered
      'A10,scale,,涪城区,,,scrapped,2024-01-01,2024-13-01,', // 11: scrapped not a date
      'A11,scale,,涪城区,,,in-use,2024-01-01,,0', // 12: period 0
      'A12,scale,,涪城区,,,in-use,2024-01-01,,1.5', // 13: period not whole
      'A13,scale,,涪城区,,,in-use,2024-01-01,,-6', // 14: negative period
      'A2,scale,,涪城区,,,in-use,2024-01-01,,', // 15: duplicate id
      'A15,scale,,涪城区,,,in-use,2024-01-01', // 16: too few fields
      'A16,scale,,涪城区,,,in-use,2024-01-01,,,surplus', // 17: too many fields
      'A17,"scale"x,,涪城区,,,in-use,2024-01-01,,', // 18: text after a closing quote
      'A18,scale,,涪城区,,,in-use,,,', // 19: registered empty
      'A19,scale,,涪城区,,,in-use,2024-01-01,,', // 20: good
    ];
    const error = thrown(() => importInstrumentsFile(store, writeCsv(dir, 'bad.csv', rows.join('\n'))));
    expect(error.code).toBe('MG_ERR_INPUT_INVALID');
    expect(problemsOf(error).map((p) => [p.line, p.column])).toEqual([
      [2, 'id'],
      [3, 'kind'],
      [4, 'region'],
      [5, 'status'],
      [6, 'registered'],
      [7, 'registered'],
      [8, 'scrapped'],
      [9, 'scrapped'],
      [10, 'scrapped'],
      [11, 'scrapped'],
      [12, 'period_months'],
      [13, 'period_months'],
      [14, 'period_months'],
      [15, 'id'],
      [16, 'scrapped'],
      [17, '(column 11)'],
      [18, 'kind'],
      [18, 'kind'],
      [19, 'registered'],
    ]);
    const messages = problemsOf(error).map((p) => p.message);
    expect(messages[1]).toBe('"scales" is not one of scale, dispenser, taximeter');
    expect(messages[4]).toBe('"2025-02-29" is not a calendar date written YYYY-MM-DD');
    expect(messages[8]).toBe('2023-12-31 is before the registration date 2024-01-01');
    expect(messages[13]).toBe('"A2" is already on line 3 of this file');
    expect(messages[14]).toBe('the row has 8 fields, the header 10');
    expect(error.details).toMatchObject({ path: join(dir, 'bad.csv'), problemCount: 19, rowCount: 18 });
    expect(error.message.split('\n')[0]).toBe(
      `${join(dir, 'bad.csv')}: 19 problems in 18 rows; nothing was imported`,
    );
    expect(error.message).toContain('line 6, column registered: "2025-02-29" is not a calendar date');
    expect(countInstruments(store)).toBe(0);
  });

  it('names Chinese columns as the file writes them, with the field in brackets', () => {
    const { store, dir } = newStore();
    const text = `${CHINESE_HEADER}\nSC-1,秤子,,江油市,,,在用,2024-01-01,,\n`;
    const error = thrown(() => importInstrumentsFile(store, writeCsv(dir, 'zh.csv', text)));
    expect(error.message).toContain(
      'line 2, column 种类 (kind): "秤子" is not one of scale, dispenser, taximeter',
    );
  });

  it('refuses unknown, duplicate and missing header columns on line 1', () => {
    const { store, dir } = newStore();
    const error = thrown(() =>
      importInstrumentsFile(
        store,
        writeCsv(dir, 'h.csv', 'id,种类,kind,备注,region,registered\nA,scale,scale,x,r,2024-01-01\n'),
      ),
    );
    expect(problemsOf(error).map((p) => [p.line, p.column])).toEqual([
      [1, 'kind'],
      [1, '备注'],
      [1, 'status'],
    ]);
    expect(problemsOf(error)[0]!.message).toMatch(/column kind appears twice \(also column 2, "种类"\)/);
    expect(problemsOf(error)[1]!.message).toMatch(/^unknown column; accepted: id \/ 器具编号/);
    expect(problemsOf(error)[2]!.message).toMatch(/required column is missing/);
  });

  it('lists the first 20 problems and says how many more there are', () => {
    const { store, dir } = newStore();
    const rows = [ENGLISH_HEADER];
    for (let i = 1; i <= 30; i++) rows.push(`X${i},bad,,r,,,in-use,2024-01-01,,`);
    const error = thrown(() => importInstrumentsFile(store, writeCsv(dir, 'many.csv', rows.join('\n'))));
    const lines = error.message.split('\n');
    expect(lines).toHaveLength(22);
    expect(lines[1]).toBe('  line 2, column kind: "bad" is not one of scale, dispenser, taximeter');
    expect(lines[20]).toMatch(/^ {2}line 21, column kind/);
    expect(lines[21]).toBe('  … and 10 more');
    expect(problemsOf(error)).toHaveLength(30);
  });

  it('refuses a file that is not UTF-8 and names the line', () => {
    const { store, dir } = newStore();
    const gbk = Buffer.concat([
      Buffer.from(`${ENGLISH_HEADER}\nA,scale,,`, 'utf8'),
      Buffer.from([0xbd, 0xad, 0xd3, 0xcd]), // 江油 in GBK
      Buffer.from(',,,in-use,2024-01-01,,\n', 'utf8'),
    ]);
    const error = thrown(() => importInstrumentsFile(store, writeCsv(dir, 'gbk.csv', gbk)));
    expect(error.message).toMatch(/gbk\.csv: line 2: the file is not valid UTF-8/);
  });

  it('is all or nothing: a bad last row leaves the database exactly as it was', () => {
    const { store, dir } = newStore();
    importInstrumentsFile(store, writeCsv(dir, 'first.csv', REGISTER));
    const before = snapshot(store);
    const rows = [ENGLISH_HEADER];
    for (let i = 1; i <= 500; i++) rows.push(`N-${i},scale,,江油市,,,in-use,2025-01-01,,`);
    rows.push('SC-0001,scale,,changed,,,in-use,2025-01-01,,'); // would update
    rows.push('N-LAST,scale,,江油市,,,in-use,2025-02-30,,'); // bad, last
    const error = thrown(() => importInstrumentsFile(store, writeCsv(dir, 'second.csv', rows.join('\n'))));
    expect(problemsOf(error)).toEqual([
      { line: 503, column: 'registered', message: '"2025-02-30" is not a calendar date written YYYY-MM-DD' },
    ]);
    expect(snapshot(store)).toEqual(before);
  });
});

describe('importing the history', () => {
  function withRegister(): { store: MetrogateStore; dir: string } {
    const made = newStore();
    importInstrumentsFile(made.store, writeCsv(made.dir, 'register.csv', REGISTER));
    return made;
  }

  it('reads English and Chinese headers and verdicts, and upserts', () => {
    const { store, dir } = withRegister();
    const english =
      'instrument,date,verdict,record\nSC-0001,2025-03-02,pass,JD-2025-0311\nSC-0001,2026-03-01,fail,\n';
    expect(importHistoryFile(store, writeCsv(dir, 'h1.csv', english))).toMatchObject({
      target: 'history',
      rows: 2,
      inserted: 2,
      unchanged: 0,
    });
    const chinese =
      '\uFEFF器具编号,检定日期,检定结论,记录编号\nSC-0001,2025-03-02,合格,JD-2025-0311\nFD-0007,2024-07-01,不合格,\n';
    expect(importHistoryFile(store, writeCsv(dir, 'h2.csv', chinese))).toMatchObject({
      rows: 2,
      inserted: 1,
      updated: 0,
      unchanged: 1,
    });
    expect(historyOf(store, 'SC-0001')).toEqual([
      {
        instrument: 'SC-0001',
        date: '2025-03-02',
        verdict: 'pass',
        record: 'JD-2025-0311',
        source: 'import',
        standardsValid: null,
      },
      {
        instrument: 'SC-0001',
        date: '2026-03-01',
        verdict: 'fail',
        record: null,
        source: 'import',
        standardsValid: null,
      },
    ]);
    expect(historyOf(store, 'FD-0007')).toMatchObject([{ date: '2024-07-01', verdict: 'fail' }]);
    expect(listInstruments(store, { kind: 'scale' })[0]!.lastVerification).toEqual({
      date: '2026-03-01',
      verdict: 'fail',
      record: null,
    });
  });

  it('the history file alone may omit the record column; a repeated row counts once', () => {
    const { store, dir } = withRegister();
    const text = 'instrument,date,verdict\nTX-0100,2025-01-01,pass\nTX-0100,2025-01-01,pass\n';
    expect(importHistoryFile(store, writeCsv(dir, 'h.csv', text))).toMatchObject({
      rows: 2,
      inserted: 1,
      unchanged: 1,
    });
    expect(countHistory(store)).toBe(1);
  });

  it('names every bad row, refuses instruments not in the register, and imports nothing', () => {
    const { store, dir } = withRegister();
    const before = snapshot(store);
    const text = [
      'instrument,date,verdict,record',
      'SC-0001,2025-03-02,pass,', // 2: good
      'SC-9999,2025-03-02,pass,', // 3: unknown instrument
      ',2025-03-02,pass,', // 4: empty instrument
      'SC-0001,2025-3-2,pass,', // 5: date format
      'SC-0001,2025-03-02,ok,', // 6: bad verdict
      'SC-0001,,,', // 7: date and verdict empty
    ].join('\n');
    const error = thrown(() => importHistoryFile(store, writeCsv(dir, 'h.csv', text)));
    expect(problemsOf(error).map((p) => [p.line, p.column, p.message])).toEqual([
      [3, 'instrument', '"SC-9999" is not in the register (import the register first)'],
      [4, 'instrument', 'is empty'],
      [5, 'date', '"2025-3-2" is not a calendar date written YYYY-MM-DD'],
      [6, 'verdict', '"ok" is not one of pass, fail'],
      [7, 'date', 'is empty; expected a date written YYYY-MM-DD'],
      [7, 'verdict', 'is empty; expected pass, fail'],
    ]);
    expect(snapshot(store)).toEqual(before);
  });

  it('takes string chunks too (an upload already decoded)', () => {
    const { store } = withRegister();
    const summary = importHistory(store, ['instrument,date,ver', 'dict\nSC-0001,2025-05-05,pass\n'], {
      file: 'upload.csv',
      actor: 'api',
    });
    expect(summary).toMatchObject({ file: 'upload.csv', rows: 1, inserted: 1 });
  });
});
