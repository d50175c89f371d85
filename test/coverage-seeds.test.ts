/**
 * The seed generator's registers imported as a user imports them (`registry import`, `import-history`)
 * and their indicators checked, row by row and field by field, against a straightforward
 * computation of contracts.md §6 written here from the contract's words: for each instrument, sort
 * its verifications and read the definitions off them. It shares nothing with gateway/coverage but
 * the month arithmetic's rule, which it writes out again with Date.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_COVERAGE_CONFIG } from '../gateway/config/gateway-config.js';
import { computeCoverage, overdueInstruments, parseDate } from '../gateway/coverage/index.js';
import { importHistoryFile, importInstrumentsFile } from '../gateway/registry/import.js';
import type { MetrogateStore } from '../gateway/store/store.js';
import { type ReadRegister, readRegister } from '../seeds/read-register.js';
import { generateRegister } from '../seeds/register.js';
import { openTestStore, tempDataDir } from './helpers/records.js';

const PERIOD_MONTHS: Record<string, number> = { scale: 12, dispenser: 6, taximeter: 12 };

function plusMonths(date: string, months: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const first = new Date(Date.UTC(year, month - 1 + months, 1));
  const lastDay = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  first.setUTCDate(Math.min(day, lastDay));
  return first.toISOString().slice(0, 10);
}

function fraction(n: number, d: number): string | null {
  if (d === 0) return null;
  // Half-up to 4 places with integers: round(n/d · 10⁴).
  const scaled = Math.floor((2 * n * 10_000 + d) / (2 * d));
  return String(scaled / 10_000);
}

interface Plain {
  inUse: number;
  due: number;
  inspected: number;
  valid: number;
  overdue: number;
  verifications: number;
  passes: number;
}

/** contracts.md §6, instrument by instrument. */
function plainCoverage(register: ReadRegister, from: string, to: string) {
  const history = new Map<string, { date: string; verdict: string }[]>();
  for (const row of register.history) {
    const list = history.get(row.instrument) ?? [];
    list.push(row);
    history.set(row.instrument, list);
  }
  const groups = new Map<string, Plain>();
  const overdue: string[] = [];
  for (const instrument of register.instruments) {
    const inUse =
      instrument.registered <= to &&
      (instrument.scrapped === '' ? instrument.status === 'in-use' : instrument.scrapped > to);
    if (!inUse) continue;
    const key = `${instrument.region}/${instrument.kind}`;
    const group = groups.get(key) ?? {
      inUse: 0,
      due: 0,
      inspected: 0,
      valid: 0,
      overdue: 0,
      verifications: 0,
      passes: 0,
    };
    groups.set(key, group);
    group.inUse++;
    const months =
      instrument.period_months === '' ? PERIOD_MONTHS[instrument.kind]! : Number(instrument.period_months);
    const all = [...(history.get(instrument.id) ?? [])].sort((a, b) => (a.date < b.date ? -1 : 1));
    const before = all.filter((v) => v.date < from);
    const inPeriod = all.filter((v) => v.date >= from && v.date <= to);
    const dueDate = before.length > 0 ? plusMonths(before.at(-1)!.date, months) : instrument.registered;
    const due = dueDate <= to;
    if (due) group.due++;
    if (due && inPeriod.length > 0) group.inspected++;
    if (due && inPeriod.length === 0) {
      group.overdue++;
      overdue.push(instrument.id);
    }
    const upToEnd = all.filter((v) => v.date <= to);
    const lastDate = upToEnd.at(-1)?.date;
    // Same-day pass and fail: the pass counts (the gateway's documented rule).
    const lastPassed = upToEnd.some((v) => v.date === lastDate && v.verdict === 'pass');
    if (lastDate !== undefined && lastPassed && plusMonths(lastDate, months) > to) group.valid++;
    group.verifications += inPeriod.length;
    group.passes += inPeriod.filter((v) => v.verdict === 'pass').length;
  }
  return { groups, overdue: overdue.sort() };
}

function checkRegister(store: MetrogateStore, register: ReadRegister, from: string, to: string): number {
  const { state, report } = computeCoverage(store, {
    period: { from: parseDate(from)!, to: parseDate(to)! },
    config: DEFAULT_COVERAGE_CONFIG,
  });
  const plain = plainCoverage(register, from, to);
  const expected = [...plain.groups].map(([key, g]) => {
    const [region, kind] = key.split('/') as [string, string];
    return {
      region,
      kind,
      inUse: g.inUse,
      due: g.due,
      inspected: g.inspected,
      inspectionRate: fraction(g.inspected, g.due),
      valid: g.valid,
      validRate: fraction(g.valid, g.inUse),
      overdue: g.overdue,
      passRate: fraction(g.passes, g.verifications),
    };
  });
  const key = (row: { region: string; kind: string }) => `${row.region}/${row.kind}`;
  const actual = report.rows.map(({ target: _t, meetsTarget: _m, traceabilityRate: _tr, ...row }) => row);
  expect(actual.sort((a, b) => (key(a) < key(b) ? -1 : 1))).toEqual(
    expected.sort((a, b) => (key(a) < key(b) ? -1 : 1)),
  );
  expect(
    overdueInstruments(store.db, state, DEFAULT_COVERAGE_CONFIG)
      .map((item) => item.instrument)
      .sort(),
  ).toEqual(plain.overdue);
  return expected.length;
}

const PERIODS: [string, string][] = [
  ['2026-01-01', '2026-10-31'],
  ['2025-11-01', '2026-10-31'],
  ['2025-10-01', '2026-03-31'], // six months across the year
  ['2024-02-01', '2024-02-29'],
  ['2025-06-30', '2025-06-30'],
];

describe.each([
  { name: 'the committed sample (600 instruments, 3 years)', generate: undefined },
  {
    name: 'a generated register of 3000 instruments over 4 years',
    generate: { instruments: 3000, years: 4 },
  },
])('coverage of $name', ({ generate }) => {
  const temp = tempDataDir('metrogate-coverage-seeds-');
  let store: MetrogateStore;
  let register: ReadRegister;

  beforeAll(() => {
    let dir = join(import.meta.dirname, '../seeds/sample');
    if (generate) {
      dir = join(temp.dir, 'seed');
      generateRegister(
        { ...generate, seed: 'coverage-test', end: '2026-10-31', standards: false, chineseHeaders: false },
        dir,
      );
    }
    register = readRegister(dir);
    mkdirSync(join(temp.dir, 'data'));
    store = openTestStore(join(temp.dir, 'data'));
    importInstrumentsFile(store, join(dir, 'instruments.csv'));
    importHistoryFile(store, join(dir, 'history.csv'));
  });
  afterAll(() => {
    store?.close();
    temp.remove();
  });

  it.each(PERIODS)('matches the plain computation for %s – %s', (from, to) => {
    expect(checkRegister(store, register, from, to)).toBeGreaterThan(10);
  });
});
