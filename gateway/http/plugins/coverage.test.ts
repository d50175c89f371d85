import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_COVERAGE_CONFIG } from '../../config/gateway-config.js';
import { computeCoverage, overdueInstruments, parseDate } from '../../coverage/index.js';
import {
  importHistory,
  importHistoryFile,
  importInstruments,
  importInstrumentsFile,
} from '../../registry/import.js';
import { startTestApi, type TestApi } from '../test-support.js';

const SAMPLE = join(import.meta.dirname, '../../../seeds/sample');

// A scale due 2026-03-15 and verified that day; one never verified (due on registration);
// a dispenser due 2026-04-30 and not verified.
const REGISTER = [
  'id,kind,category,region,owner,site,status,registered,scrapped,period_months',
  'S-1,scale,电子计价秤,江油市,"王记, 蔬菜",城东市场 1 号,in-use,2020-01-01,,',
  'S-2,scale,电子计价秤,江油市,李记水果,城东市场 2 号,in-use,2026-02-10,,',
  'D-1,dispenser,加油机,江油市,江油加油站,1 号岛,in-use,2020-01-01,,',
].join('\n');
const HISTORY = [
  'instrument,date,verdict,record',
  'S-1,2025-03-15,pass,',
  'S-1,2026-03-15,pass,',
  'D-1,2025-10-31,pass,',
].join('\n');

describe('coverage API', () => {
  let api: TestApi;

  beforeEach(async () => {
    api = await startTestApi({ now: () => new Date('2026-06-30T10:00:00+08:00') });
  });
  afterEach(async () => {
    await api.close();
  });

  const get = (url: string, role: 'regulator' | 'admin' | 'technician' = 'regulator') =>
    api.app.inject({ method: 'GET', url, headers: api.auth(role) });

  it('gives the rows, totals and rates of contracts.md §6, and the year to date by default', async () => {
    importInstruments(api.store, [REGISTER], { file: 'r.csv' });
    importHistory(api.store, [HISTORY], { file: 'h.csv' });
    const response = await get('/api/coverage?from=2026-01-01&to=2026-06-30');
    expect(response.statusCode, response.body).toBe(200);
    const row = (kind: string, counts: number[], rates: (string | null)[], meetsTarget: boolean) => ({
      region: '江油市',
      kind,
      inUse: counts[0],
      due: counts[1],
      inspected: counts[2],
      inspectionRate: rates[0],
      valid: counts[3],
      validRate: rates[1],
      overdue: counts[4],
      passRate: rates[2],
      target: '0.9',
      meetsTarget,
      traceabilityRate: null,
    });
    expect(response.json()).toEqual({
      from: '2026-01-01',
      to: '2026-06-30',
      rows: [
        row('scale', [2, 2, 1, 1, 1], ['0.5', '0.5', '1'], false),
        row('dispenser', [1, 1, 0, 0, 1], ['0', '0', null], false),
      ],
      totals: [
        { ...row('*', [3, 3, 1, 1, 2], ['0.3333', '0.3333', '1'], false) },
        { ...row('scale', [2, 2, 1, 1, 1], ['0.5', '0.5', '1'], false), region: '*' },
        { ...row('dispenser', [1, 1, 0, 0, 1], ['0', '0', null], false), region: '*' },
        { ...row('*', [3, 3, 1, 1, 2], ['0.3333', '0.3333', '1'], false), region: '*' },
      ],
      standardsDue: [],
    });
    // No parameters: 2026-01-01 to today (the API's clock).
    const ytd = await get('/api/coverage');
    expect(ytd.json()).toEqual(response.json());
  });

  it('agrees with a full computation over the seeded register, and follows new records', async () => {
    importInstrumentsFile(api.store, join(SAMPLE, 'instruments.csv'));
    importHistoryFile(api.store, join(SAMPLE, 'history.csv'));
    const period = { from: parseDate('2025-11-01')!, to: parseDate('2026-10-31')! };
    const url = '/api/coverage?from=2025-11-01&to=2026-10-31&kind=scale';
    const expected = () =>
      computeCoverage(api.store, { period, config: DEFAULT_COVERAGE_CONFIG, filter: { kind: 'scale' } })
        .report;
    const first = (await get(url)).json();
    expect(first.rows).toEqual(expected().rows);
    expect(first.totals).toEqual(expected().totals);
    // Answered from the cache: the same again.
    expect((await get(url)).json()).toEqual(first);

    // Verify every overdue scale (as records of verification sessions would): the cached entry is
    // brought up to date, and equals a fresh full computation.
    const overdue = (await get('/api/coverage/overdue?from=2025-11-01&to=2026-10-31&kind=scale')).json()
      .overdue;
    expect(overdue.length).toBeGreaterThan(3);
    const rows = overdue
      .slice(0, 3)
      .map((item: { instrument: string }) => `${item.instrument},2026-10-30,pass,`)
      .join('\n');
    importHistory(api.store, [`instrument,date,verdict,record\n${rows}\n`], { file: 'new.csv' });
    const after = (await get(url)).json();
    expect(after.rows).toEqual(expected().rows);
    expect(after.totals.at(-1).inspected).toBe(first.totals.at(-1).inspected + 3);
    const overdueAfter = (await get('/api/coverage/overdue?from=2025-11-01&to=2026-10-31&kind=scale')).json();
    expect(overdueAfter.overdue).toHaveLength(overdue.length - 3);
  });

  it('gives the overdue list as JSON and as CSV, to a regulator with a download link', async () => {
    importInstruments(api.store, [REGISTER], { file: 'r.csv' });
    importHistory(api.store, [HISTORY], { file: 'h.csv' });
    const json = await get('/api/coverage/overdue?from=2026-01-01&to=2026-06-30');
    expect(json.json()).toEqual({
      from: '2026-01-01',
      to: '2026-06-30',
      overdue: [
        {
          instrument: 'S-2',
          region: '江油市',
          kind: 'scale',
          owner: '李记水果',
          site: '城东市场 2 号',
          dueDate: '2026-02-10',
          daysOverdue: 140,
          lastVerified: null,
        },
        {
          instrument: 'D-1',
          region: '江油市',
          kind: 'dispenser',
          owner: '江油加油站',
          site: '1 号岛',
          dueDate: '2026-04-30',
          daysOverdue: 61,
          lastVerified: '2025-10-31',
        },
      ],
    });
    const csv = await api.app.inject({
      method: 'GET',
      url: `/api/coverage/overdue?from=2026-01-01&to=2026-06-30&format=csv&access_token=${api.tokens.regulator}`,
    });
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.body.split(/\r?\n/)).toEqual([
      'instrument,region,kind,owner,site,due_date,days_overdue,last_verified',
      'S-2,江油市,scale,李记水果,城东市场 2 号,2026-02-10,140,',
      'D-1,江油市,dispenser,江油加油站,1 号岛,2026-04-30,61,2025-10-31',
      '',
    ]);
    const store = api.store;
    const { state } = computeCoverage(store, {
      period: { from: parseDate('2026-01-01')!, to: parseDate('2026-06-30')! },
      config: DEFAULT_COVERAGE_CONFIG,
    });
    expect(overdueInstruments(store.db, state, DEFAULT_COVERAGE_CONFIG)).toEqual(json.json().overdue);
  });

  it('refuses a date that is not one, and a period that ends before it starts, naming the parameter', async () => {
    for (const [url, path] of [
      ['/api/coverage?from=2026-02-30', 'query.from'],
      ['/api/coverage?to=2026-13-01', 'query.to'],
      ['/api/coverage?from=2026-05-01&to=2026-04-30', 'query.from'],
      ['/api/coverage/overdue?kind=bicycle', 'query.kind'],
    ] as const) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'MG_ERR_INPUT_INVALID', details: { path } });
    }
  });
});
