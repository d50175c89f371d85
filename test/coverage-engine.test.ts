/**
 * The coverage indicators of contracts.md §6 over a register of thirteen instruments whose every
 * figure was worked out by hand (the reasoning is next to each instrument), covering the edge cases
 * of issue 6: verified exactly on the due date, registered inside the period, scrapped inside the
 * period, a failed verification (inspected but not valid), several verifications in one period, an
 * instrument never verified, a 6-month period crossing the year, and month-end clamping. Then the
 * incremental update against a fresh full pass, and the reference standards falling due.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coverageConfigSchema } from '../gateway/config/gateway-config.js';
import {
  addMonths,
  CoverageState,
  computeCoverage,
  dueThreshold,
  formatDate,
  nextDay,
  overdueInstruments,
  parseDate,
  rate,
  standardsDue,
} from '../gateway/coverage/index.js';
import { importHistory, importInstruments } from '../gateway/registry/import.js';
import type { MetrogateStore } from '../gateway/store/store.js';
import { openTestStore, sampleRecord, tempDataDir } from './helpers/records.js';

const day = (text: string) => parseDate(text)!;

// Periods: scale 12, dispenser 6, taximeter 12 (the defaults). Targets: 0.90, 江油市 0.95, and
// 江油市's dispensers 0.3 (the more specific rule wins).
const CONFIG = coverageConfigSchema.parse({
  targets: {
    rules: [
      { region: '江油市', target: '0.95' },
      { region: '江油市', kind: 'dispenser', target: '0.30' },
    ],
  },
});

/**
 * P1 = [2026-01-01, 2026-06-30]. A scale (12 months) is due in P1 when its last verification before
 * P1 is on or before 2025-06-30; a dispenser (6 months) when it is on or before 2025-12-31
 * (2025-12-31 + 6 months clamps to 2026-06-30).
 */
const INSTRUMENTS = [
  'id,kind,category,region,owner,site,status,registered,scrapped,period_months',
  // due 2026-03-15, verified that very day (a gateway record): due, inspected, valid.
  'S-ONDUE,scale,电子计价秤,涪城区,王记蔬菜,农贸市场 1 号,in-use,2020-01-01,,',
  // registered inside P1, due on its registration date, verified two days later.
  'S-NEWREG,scale,电子计价秤,涪城区,鑫源副食店,建设街 2 号,in-use,2026-04-10,,',
  // registered inside P1 and never verified: due 2026-05-20, overdue 41 days at 2026-06-30.
  'S-NEWREG2,scale,电子计价秤,涪城区,李记水果,建设街 3 号,in-use,2026-05-20,,',
  // scrapped inside P1: not in use at the end, counts nowhere (not even its verification in P1).
  'S-SCRAP,scale,电子计价秤,涪城区,张记肉铺,农贸市场 4 号,scrapped,2019-05-01,2026-03-01,',
  // due 2026-01-20, failed on 2026-02-05: inspected, not valid.
  'S-FAIL,scale,电子计价秤,涪城区,刘记干货,农贸市场 5 号,in-use,2018-01-01,,',
  // due 2026-06-01; fail, pass, pass in P1: inspected once, three verifications, two passes, valid.
  'S-MULTI,scale,电子计价秤,涪城区,陈记粮油,农贸市场 6 号,in-use,2018-01-01,,',
  // never verified at all: due on its registration date 2021-03-01, overdue 1947 days.
  'S-NEVER,scale,电子计价秤,涪城区,杨记茶叶,农贸市场 7 号,in-use,2021-03-01,,',
  // verified 2025-07-01: due 2026-07-01, after P1: not due; valid (2026-07-01 > 2026-06-30).
  'S-NOTDUE,scale,电子计价秤,涪城区,赵记调料,农贸市场 8 号,in-use,2020-01-01,,',
  // verified 2025-06-30: due 2026-06-30, the last day of P1, not verified: overdue 0 days, and not
  // valid (2025-06-30 + 12 months = 2026-06-30 is not after the end of P1).
  'S-LAPSE,scale,电子计价秤,涪城区,黄记酒坊,农贸市场 9 号,in-use,2020-01-01,,',
  // its own period of 1 month; registered 2025-12-01, verified 2026-01-31 (a gateway record).
  // P1: due on registration, inspected, not valid (2026-01-31 + 1 month = 2026-02-28).
  // P2 = February 2026: due 2026-02-28 (clamped to the end of the month), not verified: overdue.
  'S-CLAMP,scale,电子计价秤,安州区,周记超市,花荄镇 1 号,in-use,2025-12-01,,1',
  // dispensers; verified 2025-04-15 and 2026-01-05.
  'D-CROSS,dispenser,加油机,江油市,中石化江油站,1 号岛,in-use,2020-01-01,,',
  // verified 2025-09-30 only: due 2026-03-30.
  'D-CROSS2,dispenser,加油机,江油市,中石化江油站,2 号岛,in-use,2020-01-01,,',
  // verified 2025-08-31 (+ 6 months: 2026-02-28, clamped) and 2025-12-20.
  'D-CROSS3,dispenser,加油机,江油市,中石油太白站,1 号岛,in-use,2020-01-01,,',
  // verified 2025-12-01: not due in P1 (nothing due: no inspection rate), valid.
  'T-NOTDUE,taximeter,出租汽车计价器,平武县,平武出租,川B-T0001,in-use,2020-01-01,,',
].join('\n');

const HISTORY = [
  'instrument,date,verdict,record',
  'S-ONDUE,2025-03-15,pass,',
  'S-NEWREG,2026-04-12,pass,',
  'S-SCRAP,2025-02-01,pass,',
  'S-SCRAP,2026-02-10,pass,',
  'S-FAIL,2025-01-20,pass,',
  'S-FAIL,2026-02-05,fail,',
  'S-MULTI,2025-06-01,pass,',
  'S-MULTI,2026-01-10,fail,',
  'S-MULTI,2026-01-11,pass,',
  'S-MULTI,2026-05-30,pass,',
  'S-NOTDUE,2025-07-01,pass,',
  'S-LAPSE,2025-06-30,pass,',
  'D-CROSS,2025-04-15,pass,',
  'D-CROSS,2026-01-05,pass,',
  'D-CROSS2,2025-09-30,pass,',
  'D-CROSS3,2025-08-31,pass,',
  'D-CROSS3,2025-12-20,pass,',
  'T-NOTDUE,2025-12-01,pass,',
].join('\n');

/**
 * Two verifications come from records of the gateway, with their reference standards: S-ONDUE's
 * weights had run out on 2026-03-01 (standards_valid 0), S-CLAMP's were valid (1).
 */
function loadRegister(store: MetrogateStore): void {
  importInstruments(store, [INSTRUMENTS], { file: 'instruments.csv' });
  importHistory(store, [HISTORY], { file: 'history.csv' });
  const standard = sampleRecord(1).standards[0]!;
  store.records.append(
    sampleRecord(1, {
      instrument: { ...sampleRecord(1).instrument, id: 'S-ONDUE' },
      performedAt: '2026-03-15T09:00:00+08:00',
      standards: [{ ...standard, dueDate: '2026-03-01' }],
    }),
  );
  store.records.append(
    sampleRecord(2, {
      instrument: { ...sampleRecord(2).instrument, id: 'S-CLAMP' },
      performedAt: '2026-01-31T16:00:00+08:00',
      standards: [{ ...standard, dueDate: '2026-12-31' }],
    }),
  );
}

const P1 = { from: day('2026-01-01'), to: day('2026-06-30') };

function row(
  region: string,
  kind: string,
  counts: [inUse: number, due: number, inspected: number, valid: number, overdue: number],
  rates: [inspection: string | null, valid: string | null, pass: string | null, traceability: string | null],
  target: string,
  meetsTarget: boolean | null,
) {
  const [inUse, due, inspected, valid, overdue] = counts;
  const [inspectionRate, validRate, passRate, traceabilityRate] = rates;
  return {
    region,
    kind,
    inUse,
    due,
    inspected,
    inspectionRate,
    valid,
    validRate,
    overdue,
    passRate,
    target,
    meetsTarget,
    traceabilityRate,
  };
}

describe('coverage over a hand-computed register', () => {
  let store: MetrogateStore;
  let remove: () => void;

  beforeEach(() => {
    const temp = tempDataDir('metrogate-coverage-');
    remove = temp.remove;
    store = openTestStore(temp.dir);
    loadRegister(store);
  });
  afterEach(() => {
    store.close();
    remove();
  });

  it('gives every row, total and rate of P1 = 2026-01-01 – 2026-06-30 exactly', () => {
    const { report } = computeCoverage(store, { period: P1, config: CONFIG, today: day('2026-06-30') });
    expect(report.from).toBe('2026-01-01');
    expect(report.to).toBe('2026-06-30');
    // 涪城区 scales: in use S-ONDUE, S-NEWREG, S-NEWREG2, S-FAIL, S-MULTI, S-NEVER, S-NOTDUE, S-LAPSE
    // (S-SCRAP is out); due all but S-NOTDUE (7); inspected ONDUE, NEWREG, FAIL, MULTI (4); valid
    // ONDUE, NEWREG, MULTI, NOTDUE (4); verifications in P1 1 + 1 + 1 + 3 = 6, passes 4; one of them
    // with standards known (S-ONDUE's, expired): traceability 0/1.
    expect(report.rows).toEqual([
      row('安州区', 'scale', [1, 1, 1, 0, 0], ['1', '0', '1', '1'], '0.9', true),
      row('平武县', 'taximeter', [1, 0, 0, 1, 0], [null, '1', null, null], '0.9', null),
      row('江油市', 'dispenser', [3, 3, 1, 1, 2], ['0.3333', '0.3333', '1', null], '0.3', true),
      row('涪城区', 'scale', [8, 7, 4, 4, 3], ['0.5714', '0.5', '0.6667', '0'], '0.9', false),
    ]);
    expect(report.totals).toEqual([
      row('安州区', '*', [1, 1, 1, 0, 0], ['1', '0', '1', '1'], '0.9', true),
      row('平武县', '*', [1, 0, 0, 1, 0], [null, '1', null, null], '0.9', null),
      // the region rule (0.95), not its dispensers' rule, judges 江油市 as a whole.
      row('江油市', '*', [3, 3, 1, 1, 2], ['0.3333', '0.3333', '1', null], '0.95', false),
      row('涪城区', '*', [8, 7, 4, 4, 3], ['0.5714', '0.5', '0.6667', '0'], '0.9', false),
      // scales: 9 in use, 8 due, 5 inspected, 4 valid, 7 verifications and 5 passes, 1 of 2 traceable.
      row('*', 'scale', [9, 8, 5, 4, 3], ['0.625', '0.4444', '0.7143', '0.5'], '0.9', false),
      row('*', 'dispenser', [3, 3, 1, 1, 2], ['0.3333', '0.3333', '1', null], '0.9', false),
      row('*', 'taximeter', [1, 0, 0, 1, 0], [null, '1', null, null], '0.9', null),
      row('*', '*', [13, 11, 6, 6, 5], ['0.5455', '0.4615', '0.75', '0.5'], '0.9', false),
    ]);
  });

  it('lists the overdue instruments of P1 with their due dates and days overdue', () => {
    const { state } = computeCoverage(store, { period: P1, config: CONFIG, today: day('2026-06-30') });
    const list = overdueInstruments(store.db, state, CONFIG).map((item) => [
      item.instrument,
      item.owner,
      item.site,
      item.dueDate,
      item.daysOverdue,
      item.lastVerified,
    ]);
    expect(list).toEqual([
      ['D-CROSS2', '中石化江油站', '2 号岛', '2026-03-30', 92, '2025-09-30'],
      ['D-CROSS3', '中石油太白站', '1 号岛', '2026-06-20', 10, '2025-12-20'],
      ['S-NEVER', '杨记茶叶', '农贸市场 7 号', '2021-03-01', 1947, null],
      ['S-NEWREG2', '李记水果', '建设街 3 号', '2026-05-20', 41, null],
      ['S-LAPSE', '黄记酒坊', '农贸市场 9 号', '2026-06-30', 0, '2025-06-30'],
    ]);
  });

  it('clamps to the end of the month: S-CLAMP (1 month) verified 2026-01-31 is due 2026-02-28', () => {
    const period = { from: day('2026-02-01'), to: day('2026-02-28') };
    const { state, report } = computeCoverage(store, {
      period,
      config: CONFIG,
      filter: { region: '安州区' },
      today: day('2026-02-28'),
    });
    expect(report.rows).toEqual([
      row('安州区', 'scale', [1, 1, 0, 0, 1], ['0', '0', null, null], '0.9', false),
    ]);
    expect(overdueInstruments(store.db, state, CONFIG)).toMatchObject([
      { instrument: 'S-CLAMP', dueDate: '2026-02-28', daysOverdue: 0, lastVerified: '2026-01-31' },
    ]);
    // One day later the verification of 01-31 has run out whatever the period's start.
    const march = computeCoverage(store, {
      period: { from: day('2026-03-01'), to: day('2026-03-01') },
      config: CONFIG,
      filter: { region: '安州区' },
    });
    expect(march.report.rows[0]).toMatchObject({ due: 1, inspected: 0, valid: 0 });
  });

  it('handles a 6-month period crossing the year (2025-10-01 – 2026-03-31) for dispensers', () => {
    // D-CROSS: last before 2025-04-15, due 2025-10-15, verified 2026-01-05 (valid to 2026-07-05).
    // D-CROSS2: due 2026-03-30, not verified: overdue 1 day, not valid.
    // D-CROSS3: last before 2025-08-31, due 2026-02-28, verified 2025-12-20 (valid to 2026-06-20).
    const period = { from: day('2025-10-01'), to: day('2026-03-31') };
    const { state, report } = computeCoverage(store, {
      period,
      config: CONFIG,
      filter: { kind: 'dispenser' },
      today: day('2026-03-31'),
    });
    expect(report.rows).toEqual([
      row('江油市', 'dispenser', [3, 3, 2, 2, 1], ['0.6667', '0.6667', '1', null], '0.3', true),
    ]);
    expect(report.totals.at(-1)).toEqual(
      row('*', '*', [3, 3, 2, 2, 1], ['0.6667', '0.6667', '1', null], '0.9', false),
    );
    expect(overdueInstruments(store.db, state, CONFIG)).toMatchObject([
      { instrument: 'D-CROSS2', dueDate: '2026-03-30', daysOverdue: 1 },
    ]);
  });

  it('updates incrementally after a new record exactly as a fresh full pass computes', () => {
    const state = new CoverageState(P1, CONFIG).loadSync(store.db);
    // S-NEWREG2, overdue so far, is verified (pass) on 2026-06-01; S-SCRAP (out of use) too.
    store.records.append(
      sampleRecord(3, {
        instrument: { ...sampleRecord(3).instrument, id: 'S-NEWREG2' },
        performedAt: '2026-06-01T10:00:00+08:00',
      }),
    );
    store.records.append(
      sampleRecord(4, {
        instrument: { ...sampleRecord(4).instrument, id: 'S-SCRAP' },
        performedAt: '2026-02-20T10:00:00+08:00',
      }),
    );
    const changed = state.applyNewHistory(store.db);
    expect(changed?.map((g) => state.groups()[g]!.region)).toEqual(['涪城区']);
    const fresh = new CoverageState(P1, CONFIG).loadSync(store.db);
    const byKey = (s: CoverageState) =>
      Object.fromEntries(s.groups().map((g) => [`${g.region}/${g.kind}`, g.counts]));
    expect(byKey(state)).toEqual(byKey(fresh));
    expect(byKey(state)['涪城区/scale']).toMatchObject({
      inUse: 8,
      due: 7,
      inspected: 5,
      valid: 5,
      passes: 5,
    });
    // Nothing new: nothing changes.
    expect(state.applyNewHistory(store.db)).toEqual([]);
    // More new rows than the limit: the caller is told to recompute instead.
    importHistory(store, ['instrument,date,verdict\nS-NEVER,2026-06-02,pass\nS-LAPSE,2026-06-03,fail\n'], {
      file: 'more.csv',
    });
    expect(state.applyNewHistory(store.db, 1)).toBeUndefined();
  });

  it('gives the same counts whatever the chunk sizes of the full pass', () => {
    const groups = (s: CoverageState) =>
      Object.fromEntries(s.groups().map((g) => [`${g.region}/${g.kind}`, g.counts]));
    const whole = new CoverageState(P1, CONFIG).loadSync(store.db);
    const chunked = new CoverageState(P1, CONFIG, {}, { instruments: 2, history: 3 }).loadSync(store.db);
    expect(groups(chunked)).toEqual(groups(whole));
  });

  it('counts an instrument out of use from the day it is scrapped, and refuses a period backwards', () => {
    const before = computeCoverage(store, {
      period: { from: day('2026-01-01'), to: day('2026-02-28') },
      config: CONFIG,
      filter: { region: '涪城区' },
    });
    // S-SCRAP (scrapped 2026-03-01) is still in use at 2026-02-28 and counts: 7 in use; due (last
    // verification on or before 2025-02-28) S-FAIL, S-SCRAP, S-NEVER; inspected S-FAIL, S-SCRAP.
    expect(before.report.totals.at(-1)).toMatchObject({ inUse: 7, due: 3, inspected: 2, passRate: '0.5' });
    expect(() => new CoverageState({ from: day('2026-02-01'), to: day('2026-01-31') }, CONFIG)).toThrow(
      /starts 2026-02-01, after its end 2026-01-31/,
    );
  });

  it('lists the reference standards due within 60 days of the report date, and those past due', () => {
    const standards = JSON.parse(
      readFileSync(join(import.meta.dirname, '../seeds/sample/standards.json'), 'utf8'),
    );
    store.standards.addAll(standards, { actor: 'test' });
    expect(
      standardsDue(store.standards.list(), day('2026-07-10')).map((s) => [s.id, s.dueDate, s.daysLeft]),
    ).toEqual([
      ['T-BC-01', '2026-08-31', 52],
      ['CAN-20L-PW-01', '2026-09-03', 55],
    ]);
    expect(
      standardsDue(store.standards.list(), day('2026-09-01'))
        .slice(0, 2)
        .map((s) => s.daysLeft),
    ).toEqual([-1, 2]);
    expect(standardsDue([], day('2026-09-01'))).toEqual([]);
  });
});

describe('rates and dates', () => {
  it('rounds half-up to 4 places, exactly, and gives null for a zero denominator', () => {
    expect(rate(1, 32)).toBe('0.0313'); // 0.03125: half-up, not half-even
    expect(rate(3, 32)).toBe('0.0938'); // 0.09375
    expect(rate(89_995, 100_000)).toBe('0.9'); // 0.89995 → 0.9000
    expect(rate(11, 12)).toBe('0.9167');
    expect(rate(2, 3)).toBe('0.6667');
    expect(rate(0, 7)).toBe('0');
    expect(rate(7, 7)).toBe('1');
    expect(rate(1, 0)).toBeNull();
    expect(rate(0, 0)).toBeNull();
  });

  it('adds months clamping to the end of the month', () => {
    const plus = (date: string, months: number) => formatDate(addMonths(day(date), months));
    expect(plus('2026-01-31', 1)).toBe('2026-02-28');
    expect(plus('2024-01-31', 1)).toBe('2024-02-29');
    expect(plus('2024-02-29', 12)).toBe('2025-02-28');
    expect(plus('2025-08-31', 6)).toBe('2026-02-28');
    expect(plus('2025-12-31', 6)).toBe('2026-06-30');
    expect(plus('2025-10-15', 3)).toBe('2026-01-15');
    expect(plus('2026-03-31', -1)).toBe('2026-02-28');
  });

  it('puts the due threshold on the last date still due by the end of the period', () => {
    expect(formatDate(dueThreshold(day('2026-02-28'), 1))).toBe('2026-01-31');
    expect(formatDate(dueThreshold(day('2026-06-30'), 6))).toBe('2025-12-31');
    expect(formatDate(dueThreshold(day('2026-06-30'), 12))).toBe('2025-06-30');
    expect(formatDate(dueThreshold(day('2026-03-31'), 6))).toBe('2025-09-30');
    // Every date up to the threshold is due by `to`, the next one is not.
    for (const [to, months] of [
      ['2026-02-28', 1],
      ['2024-02-29', 12],
      ['2026-06-30', 6],
    ] as const) {
      const threshold = dueThreshold(day(to), months);
      expect(addMonths(threshold, months)).toBeLessThanOrEqual(day(to));
      expect(addMonths(nextDay(threshold), months)).toBeGreaterThan(day(to));
    }
  });
});
