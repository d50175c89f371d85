/**
 * `metrogate coverage` as a user runs it: subprocesses over a data directory holding a small
 * register (imported in-process beforehand, to keep the subprocesses few): the table with its
 * totals and the mark where a target is missed, the JSON of contracts.md §6, the recall list as
 * CSV, and a bad flag named with exit 2.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COVERAGE_CONFIG } from '../gateway/config/gateway-config.js';
import { computeCoverage, parseDate } from '../gateway/coverage/index.js';
import { importHistory, importInstruments } from '../gateway/registry/import.js';
import { MetrogateStore } from '../gateway/store/store.js';
import { useCleanup } from './helpers/cleanup.js';
import { runCli } from './helpers/cli.js';
import { tempDataDir } from './helpers/records.js';

const cleanup = useCleanup();

// 江油市: S-1 due 2026-03-15 and verified that day, S-2 registered in the period and never verified,
// D-1 due 2026-04-30 and not verified. 涪城区: S-3 verified 2026-02-01 and 2026-05-01 (due, inspected).
const REGISTER = [
  'id,kind,category,region,owner,site,status,registered,scrapped,period_months',
  'S-1,scale,电子计价秤,江油市,王记蔬菜,城东市场 1 号,in-use,2020-01-01,,',
  'S-2,scale,电子计价秤,江油市,"李记, 水果",城东市场 2 号,in-use,2026-02-10,,',
  'D-1,dispenser,加油机,江油市,江油加油站,1 号岛,in-use,2020-01-01,,',
  'S-3,scale,电子计价秤,涪城区,赵记调料,农贸市场 8 号,in-use,2020-01-01,,',
].join('\n');
const HISTORY = [
  'instrument,date,verdict,record',
  'S-1,2025-03-15,pass,',
  'S-1,2026-03-15,pass,',
  'D-1,2025-10-31,pass,',
  'S-3,2025-01-10,pass,',
  'S-3,2026-02-01,fail,',
  'S-3,2026-05-01,pass,',
].join('\n');

const PERIOD = ['--from', '2026-01-01', '--to', '2026-06-30'];

describe('metrogate coverage', { timeout: 120_000 }, () => {
  it('prints the table, the JSON, the recall list as CSV, and names a bad flag', async () => {
    const temp = tempDataDir('metrogate-cli-coverage-');
    cleanup(temp.remove);
    const data = join(temp.dir, 'data');
    mkdirSync(data);
    const store = MetrogateStore.open({ dataDir: data });
    importInstruments(store, [REGISTER], { file: 'register.csv' });
    importHistory(store, [HISTORY], { file: 'history.csv' });
    const expected = computeCoverage(store, {
      period: { from: parseDate('2026-01-01')!, to: parseDate('2026-06-30')! },
      config: DEFAULT_COVERAGE_CONFIG,
    }).report;
    store.close();

    const [table, json, csv, bad] = await Promise.all([
      runCli(['coverage', ...PERIOD, '--data-dir', data]),
      runCli(['coverage', ...PERIOD, '--data-dir', data, '--json']),
      runCli(['coverage', 'overdue', ...PERIOD, '--region', '江油市', '--data-dir', data, '--csv']),
      runCli(['coverage', '--from', '2026-02-30', '--data-dir', data]),
    ]);

    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toBe('coverage 2026-01-01 – 2026-06-30, instruments in use at 2026-06-30');
    const cells = (start: string) => {
      const [region, kind] = start.split(/\s+/);
      return lines
        .map((line) => line.trim().split(/\s{2,}/))
        .find((row) => row[0] === region && row[1] === kind);
    };
    expect(lines[2]?.trim().split(/\s{2,}/)).toEqual([
      'region',
      'kind',
      'in use',
      'due',
      'inspected',
      'inspection',
      'target',
      'target met',
      'valid',
      'valid rate',
      'overdue',
      'pass rate',
      'traceability',
    ]);
    // 江油市 scales: 2 in use, both due, 1 inspected (50 % < 90 %: MISSED); 涪城区: 1 of 1.
    expect(cells('江油市  scale')).toEqual([
      '江油市',
      'scale',
      '2',
      '2',
      '1',
      '50.00 %',
      '90.00 %',
      'MISSED',
      '1',
      '50.00 %',
      '1',
      '100.00 %',
      '-',
    ]);
    expect(cells('江油市  dispenser')).toEqual([
      '江油市',
      'dispenser',
      '1',
      '1',
      '0',
      '0.00 %',
      '90.00 %',
      'MISSED',
      '0',
      '0.00 %',
      '1',
      '-',
      '-',
    ]);
    expect(cells('涪城区  scale')).toEqual([
      '涪城区',
      'scale',
      '1',
      '1',
      '1',
      '100.00 %',
      '90.00 %',
      'met',
      '1',
      '100.00 %',
      '0',
      '50.00 %',
      '-',
    ]);
    expect(cells('(all)   (all)')).toEqual([
      '(all)',
      '(all)',
      '4',
      '4',
      '2',
      '50.00 %',
      '90.00 %',
      'MISSED',
      '2',
      '50.00 %',
      '2',
      '66.67 %',
      '-',
    ]);
    expect(table.stdout).toContain('2 of 3 region × kind rows MISSED their target');

    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(JSON.parse(json.stdout).rows[0]).toEqual({
      region: '江油市',
      kind: 'scale',
      inUse: 2,
      due: 2,
      inspected: 1,
      inspectionRate: '0.5',
      valid: 1,
      validRate: '0.5',
      overdue: 1,
      passRate: '1',
      target: '0.9',
      meetsTarget: false,
      traceabilityRate: null,
    });

    expect(csv.code).toBe(0);
    expect(csv.stdout.split(/\r?\n/)).toEqual([
      'instrument,region,kind,owner,site,due_date,days_overdue,last_verified',
      'S-2,江油市,scale,"李记, 水果",城东市场 2 号,2026-02-10,140,',
      'D-1,江油市,dispenser,江油加油站,1 号岛,2026-04-30,61,2025-10-31',
      '',
    ]);

    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--from "2026-02-30" is not a calendar date/);
  });
});
