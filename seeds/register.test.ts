import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCalendarDate } from '../gateway/store/validation.js';
import { addMonths, parseDate } from './calendar.js';
import { DISTRICTS, KIND_SHARES } from './mianyang.js';
import { type HistoryRow, type InstrumentRow, type ReadRegister, readRegister } from './read-register.js';
import {
  generateRegister,
  HISTORY_FILE,
  INSTRUMENTS_FILE,
  type RegisterOptions,
  STANDARDS_FILE,
} from './register.js';

const OPTIONS: RegisterOptions = {
  instruments: 20_000,
  years: 3,
  seed: 'register-test',
  end: '2026-10-31',
  chineseHeaders: false,
  standards: true,
};
const START = '2023-11-01';
const PERIOD: Record<string, number> = { scale: 12, dispenser: 6, taximeter: 12 };

const dirs: string[] = [];
function generate(options: RegisterOptions): string {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-seeds-'));
  dirs.push(dir);
  generateRegister(options, dir);
  return dir;
}
const files = (dir: string) =>
  [INSTRUMENTS_FILE, HISTORY_FILE, STANDARDS_FILE].map((f) => readFileSync(join(dir, f)));

let dir: string;
let register: ReadRegister;
let historyOf: Map<string, HistoryRow[]>;
let byId: Map<string, InstrumentRow>;

beforeAll(() => {
  dir = generate(OPTIONS);
  register = readRegister(dir);
  byId = new Map(register.instruments.map((row) => [row.id, row]));
  historyOf = new Map();
  for (const row of register.history) {
    const list = historyOf.get(row.instrument) ?? [];
    list.push(row);
    historyOf.set(row.instrument, list);
  }
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const share = (part: number, whole: number) => part / whole;
const days = (from: string, to: string) => parseDate(to)! - parseDate(from)!;
const plusMonths = (date: string, months: number) => {
  const shifted = new Date(`${date}T00:00:00Z`);
  const day = shifted.getUTCDate();
  shifted.setUTCDate(1);
  shifted.setUTCMonth(shifted.getUTCMonth() + months);
  const last = new Date(Date.UTC(shifted.getUTCFullYear(), shifted.getUTCMonth() + 1, 0)).getUTCDate();
  shifted.setUTCDate(Math.min(day, last));
  return shifted.toISOString().slice(0, 10);
};

describe('determinism', () => {
  it('writes byte-identical files for the same arguments', () => {
    const again = generate(OPTIONS);
    const [a, b] = [files(dir), files(again)];
    a.forEach((content, index) => {
      expect(content.equals(b[index]!), `file ${index}`).toBe(true);
    });
  });

  it('writes a different register for another seed, and the same number of rows', () => {
    const other = readRegister(generate({ ...OPTIONS, seed: 'another' }));
    expect(other.instruments).toHaveLength(OPTIONS.instruments);
    expect(other.instruments.map((row) => row.owner)).not.toEqual(
      register.instruments.map((row) => row.owner),
    );
  });

  it('with --chinese-headers changes only the header of instruments.csv', () => {
    const chinese = generate({ ...OPTIONS, chineseHeaders: true });
    const [ours, theirs] = [files(dir), files(chinese)];
    const lines = (buffer: Buffer) => buffer.toString('utf8').split('\n');
    const [english, translated] = [lines(ours[0]!), lines(theirs[0]!)];
    expect(translated[0]).toBe('器具编号,种类,类别,区域,使用单位,地点,状态,登记日期,停用日期,检定周期');
    expect(translated.slice(1)).toEqual(english.slice(1));
    expect(theirs[1]!.equals(ours[1]!)).toBe(true);
  });
});

describe('CSV formats (contracts.md §5)', () => {
  it('has the English header rows', () => {
    expect(register.instrumentHeader).toEqual([
      'id',
      'kind',
      'category',
      'region',
      'owner',
      'site',
      'status',
      'registered',
      'scrapped',
      'period_months',
    ]);
    expect(register.historyHeader).toEqual(['instrument', 'date', 'verdict', 'record']);
  });

  it('writes exactly the requested number of instruments, with unique ids and valid values', () => {
    expect(register.instruments).toHaveLength(OPTIONS.instruments);
    expect(byId.size).toBe(OPTIONS.instruments);
    const regions = new Set(DISTRICTS.map((district) => district.name));
    const problems = register.instruments.flatMap((row) => {
      const wrong: string[] = [];
      if (!/^\d{6}-[SDT]\d{6,}$/.test(row.id)) wrong.push('id');
      if (!['scale', 'dispenser', 'taximeter'].includes(row.kind)) wrong.push('kind');
      if (!regions.has(row.region)) wrong.push('region');
      if (row.category === '' || row.owner === '' || row.site === '') wrong.push('empty text');
      if (!['in-use', 'scrapped'].includes(row.status)) wrong.push('status');
      if (!isCalendarDate(row.registered)) wrong.push('registered');
      if (row.scrapped !== '' && !isCalendarDate(row.scrapped)) wrong.push('scrapped');
      if ((row.status === 'scrapped') !== (row.scrapped !== '')) wrong.push('status vs scrapped');
      // Empty: the kind's default period.
      if (row.period_months !== '') wrong.push('period_months');
      return wrong.map((what) => `${row.id}: ${what}`);
    });
    expect(problems.slice(0, 10)).toEqual([]);
  });

  it('writes history rows of known instruments with valid dates and verdicts', () => {
    const problems = register.history.filter(
      (row) =>
        !byId.has(row.instrument) ||
        !isCalendarDate(row.date) ||
        !['pass', 'fail'].includes(row.verdict) ||
        row.record !== '',
    );
    expect(problems.slice(0, 10)).toEqual([]);
    expect(register.history.length).toBeGreaterThan(2 * OPTIONS.instruments);
  });
});

describe('proportions', () => {
  it('shares the register between kinds as KIND_SHARES says', () => {
    for (const kind of ['scale', 'dispenser', 'taximeter'] as const) {
      const count = register.instruments.filter((row) => row.kind === kind).length;
      expect(Math.abs(share(count, OPTIONS.instruments) - KIND_SHARES[kind])).toBeLessThan(0.002);
    }
  });

  it('makes the urban districts the larger ones and leaves none empty', () => {
    const size = new Map<string, number>();
    const taxis = new Map<string, number>();
    for (const row of register.instruments) {
      size.set(row.region, (size.get(row.region) ?? 0) + 1);
      if (row.kind === 'taximeter') taxis.set(row.region, (taxis.get(row.region) ?? 0) + 1);
    }
    expect(size.size).toBe(9);
    const ranked = [...size].sort((a, b) => b[1] - a[1]).map(([region]) => region);
    expect(ranked[0]).toBe('涪城区');
    expect(size.get('游仙区')!).toBeGreaterThan(2 * size.get('平武县')!);
    expect(size.get('涪城区')!).toBeGreaterThan(5 * size.get('平武县')!);
    // Most taxis run in the city proper.
    expect(taxis.get('涪城区')! + taxis.get('游仙区')!).toBeGreaterThan(0.5 * (OPTIONS.instruments * 0.04));
  });

  it('uses the categories and owners of a market supervision ledger', () => {
    const categories = (kind: string) => {
      const counts = new Map<string, number>();
      for (const row of register.instruments.filter((r) => r.kind === kind)) {
        counts.set(row.category, (counts.get(row.category) ?? 0) + 1);
      }
      return counts;
    };
    const scales = categories('scale');
    const scaleTotal = [...scales.values()].reduce((a, b) => a + b, 0);
    expect(share(scales.get('电子计价秤')!, scaleTotal)).toBeGreaterThan(0.5);
    for (const category of ['电子台秤', '地磅', '电子天平', '弹簧度盘秤'])
      expect(scales.get(category) ?? 0).toBeGreaterThan(0);
    expect([...categories('dispenser').keys()]).toEqual(['加油机']);
    expect([...categories('taximeter').keys()]).toEqual(['出租汽车计价器']);

    const dispensers = register.instruments.filter((row) => row.kind === 'dispenser');
    const petrochina = share(
      dispensers.filter((row) => row.owner.startsWith('中国石油')).length,
      dispensers.length,
    );
    const sinopec = share(
      dispensers.filter((row) => row.owner.startsWith('中国石化')).length,
      dispensers.length,
    );
    expect(petrochina).toBeGreaterThan(0.35);
    expect(sinopec).toBeGreaterThan(0.15);
    expect(petrochina + sinopec).toBeLessThan(0.95);
    const taxis = register.instruments.filter((row) => row.kind === 'taximeter');
    expect(taxis.every((row) => row.owner.endsWith('出租汽车有限公司'))).toBe(true);
  });

  it('scraps a few percent a year', () => {
    let exposureYears = 0;
    let scrapped = 0;
    for (const row of register.instruments) {
      const from = row.registered > START ? row.registered : START;
      const to = row.scrapped || OPTIONS.end;
      exposureYears += days(from, to) / 365;
      if (row.scrapped) scrapped++;
    }
    const perYear = scrapped / exposureYears;
    expect(perYear).toBeGreaterThan(0.02);
    expect(perYear).toBeLessThan(0.07);
  });

  it('registers instruments over many years, a share of them new in the window', () => {
    const years = new Set(register.instruments.map((row) => row.registered.slice(0, 4)));
    expect(years.size).toBeGreaterThanOrEqual(9);
    const fresh = register.instruments.filter((row) => row.registered >= START).length;
    expect(share(fresh, OPTIONS.instruments)).toBeGreaterThan(0.08);
    expect(share(fresh, OPTIONS.instruments)).toBeLessThan(0.3);
  });
});

describe('invariants', () => {
  it('scraps after registration, inside the window', () => {
    const problems = register.instruments.filter(
      (row) =>
        row.scrapped &&
        !(row.scrapped > row.registered && row.scrapped >= START && row.scrapped <= OPTIONS.end),
    );
    expect(problems.slice(0, 10)).toEqual([]);
    expect(register.instruments.filter((row) => row.scrapped).length).toBeGreaterThan(0);
  });

  it('dates every verification inside the window, on or after registration, before scrapping, in order', () => {
    const problems: string[] = [];
    for (const [id, rows] of historyOf) {
      const instrument = byId.get(id)!;
      let previous = '';
      for (const row of rows) {
        const ok =
          row.date >= instrument.registered &&
          row.date >= START &&
          row.date <= OPTIONS.end &&
          (!instrument.scrapped || row.date < instrument.scrapped) &&
          row.date > previous;
        if (!ok) problems.push(`${id} ${row.date}`);
        previous = row.date;
      }
    }
    expect(problems.slice(0, 10)).toEqual([]);
  });

  it('verifies a new instrument when it is registered (within ten days)', () => {
    const fresh = register.instruments.filter((row) => row.registered >= START && historyOf.has(row.id));
    expect(fresh.length).toBeGreaterThan(100);
    const slow = fresh.filter((row) => days(row.registered, historyOf.get(row.id)![0]!.date) > 10);
    expect(slow.map((row) => row.id)).toEqual([]);
  });

  it('verifies at the kind’s period: most within weeks of the due date, some late', () => {
    for (const kind of ['scale', 'dispenser', 'taximeter']) {
      const lateness: number[] = [];
      for (const [id, rows] of historyOf) {
        if (byId.get(id)!.kind !== kind) continue;
        for (let i = 1; i < rows.length; i++) {
          if (rows[i - 1]!.verdict !== 'pass') continue;
          lateness.push(days(plusMonths(rows[i - 1]!.date, PERIOD[kind]!), rows[i]!.date));
        }
      }
      lateness.sort((a, b) => a - b);
      const median = lateness[Math.floor(lateness.length / 2)]!;
      expect(median, kind).toBeGreaterThanOrEqual(-30);
      expect(median, kind).toBeLessThanOrEqual(28);
      const withinWeeks = lateness.filter((d) => d >= -30 && d <= 28).length;
      expect(share(withinWeeks, lateness.length), kind).toBeGreaterThan(0.75);
      const late = lateness.filter((d) => d > 28).length;
      expect(share(late, lateness.length), kind).toBeGreaterThan(0.01);
      // Nobody is verified twice within one period after a pass.
      expect(lateness[0]!, kind).toBeGreaterThanOrEqual(-30);
    }
  });

  it('fails a few percent, and a failed instrument is usually verified again and passes', () => {
    const failures = register.history.filter((row) => row.verdict === 'fail');
    expect(share(failures.length, register.history.length)).toBeGreaterThan(0.01);
    expect(share(failures.length, register.history.length)).toBeLessThan(0.06);
    let passedLater = 0;
    for (const failure of failures) {
      const rows = historyOf.get(failure.instrument)!;
      const next = rows[rows.indexOf(failure) + 1];
      if (next && next.verdict === 'pass' && days(failure.date, next.date) <= 30) passedLater++;
    }
    // Failures close to the window's end have had no time to be re-verified.
    expect(share(passedLater, failures.length)).toBeGreaterThan(0.7);
  });

  it('leaves some instruments in use never verified in the window', () => {
    const old = register.instruments.filter((row) => row.registered < START && row.status === 'in-use');
    const never = old.filter((row) => !historyOf.has(row.id)).length;
    expect(share(never, old.length)).toBeGreaterThan(0.003);
    expect(share(never, old.length)).toBeLessThan(0.05);
  });

  it('agrees with the month arithmetic the generator uses', () => {
    // The independent plusMonths above must agree with calendar.ts, or the checks above prove little.
    for (const date of ['2024-01-31', '2024-02-29', '2025-08-31', '2026-03-15']) {
      for (const months of [1, 6, 12]) {
        expect(plusMonths(date, months)).toBe(
          new Date(addMonths(parseDate(date)!, months) * 86_400_000).toISOString().slice(0, 10),
        );
      }
    }
  });
});
