/**
 * The cache the HTTP API answers coverage from: entries per period and filter, brought up to date
 * incrementally after new verification rows (written through another connection), recomputed in
 * full after new instruments or when old, and dropped least recently used first.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_COVERAGE_CONFIG } from '../gateway/config/gateway-config.js';
import { CoverageCache, computeCoverage, parseDate } from '../gateway/coverage/index.js';
import { importHistory, importInstruments } from '../gateway/registry/import.js';
import type { MetrogateStore } from '../gateway/store/store.js';
import { openTestStore, sampleRecord, tempDataDir } from './helpers/records.js';

const HEADER = 'id,kind,category,region,owner,site,status,registered,scrapped,period_months';
const REGISTER = [
  HEADER,
  'S-1,scale,电子计价秤,江油市,王记蔬菜,城东市场 1 号,in-use,2020-01-01,,',
  'S-2,scale,电子计价秤,江油市,李记水果,城东市场 2 号,in-use,2026-02-10,,',
  'D-1,dispenser,加油机,江油市,江油加油站,1 号岛,in-use,2020-01-01,,',
].join('\n');
const HISTORY =
  'instrument,date,verdict,record\nS-1,2025-03-15,pass,\nS-1,2026-03-15,pass,\nD-1,2025-10-31,pass,\n';

const P1 = { from: parseDate('2026-01-01')!, to: parseDate('2026-06-30')! };
const P2 = { from: parseDate('2026-01-01')!, to: parseDate('2026-03-31')! };
const P3 = { from: parseDate('2025-01-01')!, to: parseDate('2025-12-31')! };

describe('CoverageCache', () => {
  let store: MetrogateStore;
  let remove: () => void;
  let clock = 0;
  let cache: CoverageCache;

  beforeEach(() => {
    const temp = tempDataDir('metrogate-coverage-cache-');
    remove = temp.remove;
    store = openTestStore(temp.dir);
    importInstruments(store, [REGISTER], { file: 'r.csv' });
    importHistory(store, [HISTORY], { file: 'h.csv' });
    clock = 0;
    cache = new CoverageCache({
      databasePath: store.databasePath,
      config: DEFAULT_COVERAGE_CONFIG,
      maxEntries: 2,
      maxAgeMs: 60_000,
      now: () => clock,
    });
  });
  afterEach(() => {
    cache.close();
    store.close();
    remove();
  });

  const fresh = (period = P1) =>
    computeCoverage(store, { period, config: DEFAULT_COVERAGE_CONFIG }).report.rows;

  it('answers from memory, follows new records incrementally and new instruments in full', async () => {
    expect((await cache.get(P1)).rows).toEqual(fresh());
    expect(await cache.get(P1)).toBe(await cache.get(P1));
    expect(cache.counters).toMatchObject({ full: 1, hits: 2, incremental: 0 });

    store.records.append(
      sampleRecord(1, {
        instrument: { ...sampleRecord(1).instrument, id: 'S-2' },
        performedAt: '2026-06-01T09:00:00+08:00',
      }),
    );
    const updated = await cache.get(P1);
    expect(cache.counters).toMatchObject({ full: 1, incremental: 1 });
    expect(updated.rows).toEqual(fresh());
    expect(updated.rows.find((row) => row.kind === 'scale')).toMatchObject({ inspected: 2, overdue: 0 });
    expect(updated.overdue().map((item) => item.instrument)).toEqual(['D-1']);

    importInstruments(
      store,
      [`${HEADER}\nS-3,scale,电子计价秤,涪城区,赵记,农贸市场 8 号,in-use,2026-05-01,,`],
      {
        file: 'more.csv',
      },
    );
    expect((await cache.get(P1)).rows).toEqual(fresh());
    expect(cache.counters.full).toBe(2);
  });

  it('recomputes an entry older than maxAgeMs, and drops the least recently used', async () => {
    await cache.get(P1);
    clock = 61_000;
    await cache.get(P1);
    expect(cache.counters.full).toBe(2);
    await cache.get(P2);
    await cache.get(P1); // P1 used last: P2 is the oldest now
    await cache.get(P3); // over two entries: P2 goes
    expect(cache.counters.full).toBe(4);
    await cache.get(P1);
    expect(cache.counters.full).toBe(4);
    expect((await cache.get(P2)).rows).toEqual(fresh(P2));
    expect(cache.counters.full).toBe(5);
  });

  it('shares one full pass between concurrent readers', async () => {
    const [a, b] = await Promise.all([cache.get(P1), cache.get(P1)]);
    expect(a).toBe(b);
    expect(cache.counters.full).toBe(1);
  });
});
