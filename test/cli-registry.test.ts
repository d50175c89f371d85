/**
 * `metrogate registry` as a user runs it: subprocesses on a temporary data directory, with CSV
 * files written the way a spreadsheet exports them.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importHistoryFile, importInstrumentsFile } from '../gateway/registry/import.js';
import { exportCsv, historyOf, listInstruments } from '../gateway/registry/register.js';
import { useCleanup } from './helpers/cleanup.js';
import { runCli } from './helpers/cli.js';
import { openTestStore, sampleRecord, tempDataDir } from './helpers/records.js';

const cleanup = useCleanup();

const REGISTER = [
  '\uFEFF器具编号,种类,类别,区域,使用单位,地点,状态,登记日期,停用日期,检定周期',
  'SC-0001,scale,电子计价秤,涪城区,"张三, 水果店",农贸市场 12 号,in-use,2024-03-01,,',
  'FD-0007,dispenser,加油机,江油市,中石化江油站,1 号岛,scrapped,2019-06-01,2025-01-15,6',
  'TX-0100,taximeter,出租汽车计价器,涪城区,绵阳出租,川B-T0100,in-use,2023-11-30,,24',
].join('\r\n');

const HISTORY =
  'instrument,date,verdict,record\nSC-0001,2025-03-02,pass,JD-2025-0311\nTX-0100,2025-01-10,fail,\n';

function workspace(): { dir: string; data: string; file(name: string, text: string): string } {
  const temp = tempDataDir('metrogate-cli-registry-');
  cleanup(temp.remove);
  const data = join(temp.dir, 'data');
  return {
    dir: temp.dir,
    data,
    file(name, text) {
      const path = join(temp.dir, name);
      writeFileSync(path, text);
      return path;
    },
  };
}

// Each case runs a few CLI subprocesses (tsx compiles the CLI at start): generous on a busy machine.
const SUBPROCESS_TIMEOUT = { timeout: 120_000 };

describe('metrogate registry import', SUBPROCESS_TIMEOUT, () => {
  it('imports the register and the history, printing a summary or JSON', async () => {
    const ws = workspace();
    const register = ws.file('台账.csv', REGISTER);
    const first = await runCli(['registry', 'import', register, '--data-dir', ws.data, '--actor', 'clerk']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`imported ${register}: 3 rows, 3 inserted, 0 updated, 0 unchanged\n`);

    // Both write the same database at once: the second waits for the first one's transaction.
    const [again, history] = await Promise.all([
      runCli(['registry', 'import', register, '--data-dir', ws.data, '--json']),
      runCli([
        'registry',
        'import-history',
        ws.file('history.csv', HISTORY),
        '--data-dir',
        ws.data,
        '--json',
      ]),
    ]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({
      file: register,
      target: 'instruments',
      rows: 3,
      inserted: 0,
      updated: 0,
      unchanged: 3,
    });
    expect(history.code).toBe(0);
    expect(JSON.parse(history.stdout)).toMatchObject({ target: 'history', rows: 2, inserted: 2 });
  });

  it('exits 2 naming every bad row by line and column, and imports nothing', async () => {
    const ws = workspace();
    const bad = ws.file(
      'bad.csv',
      `${REGISTER}\r\nSC-0002,scales,,涪城区,,,in-use,2024-02-30,,\r\nSC-0003,scale,,涪城区,,,scrapped,2024-01-01,,0\r\n`,
    );
    const [result, asJson] = await Promise.all([
      runCli(['registry', 'import', bad, '--data-dir', ws.data]),
      runCli(['registry', 'import', bad, '--data-dir', ws.data, '--json']),
    ]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      [
        `error MG_ERR_INPUT_INVALID: ${bad}: 4 problems in 2 rows; nothing was imported`,
        '  line 5, column 种类 (kind): "scales" is not one of scale, dispenser, taximeter',
        '  line 5, column 登记日期 (registered): "2024-02-30" is not a calendar date written YYYY-MM-DD',
        '  line 6, column 停用日期 (scrapped): is empty; a scrapped instrument needs the date it was taken out of use',
        `  line 6, column 检定周期 (period_months): "0" is not a whole number of months from 1 to 1200 (leave it empty for the kind's default)`,
        '',
      ].join('\n'),
    );
    const store = openTestStore(ws.data);
    try {
      expect(listInstruments(store)).toEqual([]);
    } finally {
      store.close();
    }
    expect(asJson.code).toBe(2);
    const error = JSON.parse(asJson.stderr).error;
    expect(error.code).toBe('MG_ERR_INPUT_INVALID');
    expect(error.details.problems[0]).toEqual({
      line: 5,
      column: '种类 (kind)',
      message: '"scales" is not one of scale, dispenser, taximeter',
    });
  });

  it('exits 2 for a missing file and for history of unknown instruments', async () => {
    const ws = workspace();
    const [missing, history] = await Promise.all([
      runCli(['registry', 'import', join(ws.dir, 'nope.csv'), '--data-dir', ws.data]),
      runCli(['registry', 'import-history', ws.file('h.csv', HISTORY), '--data-dir', join(ws.dir, 'other')]),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/MG_ERR_INPUT_INVALID: .*nope\.csv: ENOENT/);
    expect(history.code).toBe(2);
    expect(history.stderr).toContain('line 2, column instrument: "SC-0001" is not in the register');
  });
});

describe('metrogate registry list, show and export', SUBPROCESS_TIMEOUT, () => {
  /** A data directory with the register and history imported in-process (the CLI import is tested above). */
  function filled(): ReturnType<typeof workspace> {
    const ws = workspace();
    mkdirSync(ws.data);
    const store = openTestStore(ws.data);
    try {
      importInstrumentsFile(store, ws.file('r.csv', REGISTER));
      importHistoryFile(store, ws.file('h.csv', HISTORY));
    } finally {
      store.close();
    }
    return ws;
  }

  it('lists as a table and as JSON, with filters', async () => {
    const ws = filled();
    const [table, json, filtered, bad] = await Promise.all([
      runCli(['registry', 'list', '--data-dir', ws.data]),
      runCli(['registry', 'list', '--data-dir', ws.data, '--json']),
      runCli([
        'registry',
        'list',
        '--data-dir',
        ws.data,
        '--region',
        '涪城区',
        '--kind',
        'taximeter',
        '--json',
      ]),
      runCli(['registry', 'list', '--data-dir', ws.data, '--status', 'broken']),
    ]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^id\s+kind\s+category\s+region\s+owner\s+site\s+status\s+registered\s+scrapped\s+period\s+last verified$/,
    );
    expect(lines.slice(2).map((line) => line.split(/\s+/)[0])).toEqual(['FD-0007', 'SC-0001', 'TX-0100']);
    expect(lines[3]).toMatch(/in-use\s+2024-03-01\s+default\s+2025-03-02 pass$/);

    expect(json.code).toBe(0);
    const all = JSON.parse(json.stdout) as { id: string; periodMonths: number | null }[];
    expect(all.map((i) => [i.id, i.periodMonths])).toEqual([
      ['FD-0007', 6],
      ['SC-0001', null],
      ['TX-0100', 24],
    ]);
    expect(JSON.parse(filtered.stdout)).toEqual([
      {
        id: 'TX-0100',
        kind: 'taximeter',
        category: '出租汽车计价器',
        region: '涪城区',
        owner: '绵阳出租',
        site: '川B-T0100',
        status: 'in-use',
        registered: '2023-11-30',
        scrapped: null,
        periodMonths: 24,
        lastVerification: { date: '2025-01-10', verdict: 'fail', record: null },
      },
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--status: "broken" is not one of in-use, scrapped/);
  });

  it('shows an instrument with its history, including verifications the gateway recorded', async () => {
    const ws = filled();
    const store = openTestStore(ws.data);
    try {
      store.records.append(sampleRecord(1, { performedAt: '2025-06-01T09:00:00+08:00' }));
    } finally {
      store.close();
    }
    const [json, text, missing] = await Promise.all([
      runCli(['registry', 'show', 'SC-0001', '--data-dir', ws.data, '--json']),
      runCli(['registry', 'show', 'SC-0001', '--data-dir', ws.data]),
      runCli(['registry', 'show', 'SC-4040', '--data-dir', ws.data]),
    ]);
    expect(json.code).toBe(0);
    const shown = JSON.parse(json.stdout);
    expect(shown.instrument).toMatchObject({ id: 'SC-0001', owner: '张三, 水果店' });
    expect(shown.history).toEqual([
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
        date: '2025-06-01',
        verdict: 'pass',
        record: 'VR-000001',
        source: 'gateway',
        standardsValid: true,
      },
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^instrument\s+SC-0001$/m);
    expect(text.stdout).toMatch(/^2025-06-01\s+pass\s+VR-000001\s+gateway\s+valid$/m);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/MG_ERR_NOT_FOUND: no instrument SC-4040/);
  });

  it('exports CSV that imports into a new data directory unchanged', async () => {
    const ws = filled();
    const out = join(ws.dir, 'export.csv');
    const [toStdout, toFile, history] = await Promise.all([
      runCli(['registry', 'export', '--data-dir', ws.data]),
      runCli(['registry', 'export', '--data-dir', ws.data, '--out', out, '--bom']),
      runCli(['registry', 'export', '--history', '--data-dir', ws.data]),
    ]);
    expect(toStdout.code).toBe(0);
    expect(toStdout.stdout.split('\n')[0]).toBe(
      'id,kind,category,region,owner,site,status,registered,scrapped,period_months',
    );
    expect(toFile.code).toBe(0);
    expect(toFile.stderr).toBe(`exported 3 instruments to ${out}\n`);
    expect(readFileSync(out, 'utf8')).toBe(`\uFEFF${toStdout.stdout}`);
    expect(history.stdout).toBe(HISTORY);

    const copy = join(ws.dir, 'copy');
    const reimport = await runCli(['registry', 'import', out, '--data-dir', copy]);
    expect(reimport.code).toBe(0);
    const rehistory = await runCli([
      'registry',
      'import-history',
      ws.file('hx.csv', history.stdout),
      '--data-dir',
      copy,
    ]);
    expect(rehistory.code).toBe(0);
    const store = openTestStore(copy);
    try {
      let again = '';
      exportCsv(store, 'instruments', (text) => {
        again += text;
      });
      expect(again).toBe(toStdout.stdout);
      expect(historyOf(store, 'TX-0100')).toMatchObject([
        { date: '2025-01-10', verdict: 'fail', source: 'import' },
      ]);
    } finally {
      store.close();
    }
  });
});
