/**
 * The districts below and above the 0.90 inspection-rate target, by a plain computation of
 * contracts.md §6 written here from the contract's words (not the gateway's code), over the committed
 * sample and over a larger register where chance plays no part.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DISTRICTS, WEAK_DISTRICTS } from './mianyang.js';
import { type ReadRegister, readRegister } from './read-register.js';
import { generateRegister } from './register.js';

const SAMPLE = join(import.meta.dirname, 'sample');
const TARGET = 0.9;
const PERIOD_MONTHS: Record<string, number> = { scale: 12, dispenser: 6, taximeter: 12 };

/** YYYY-MM-DD plus whole months, clamped to the end of the month (contracts.md §6). */
function plusMonths(date: string, months: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const index = year * 12 + (month - 1) + months;
  const targetYear = Math.floor(index / 12);
  const targetMonth = index - targetYear * 12;
  const lastDay = new Date(Date.UTC(targetYear, targetMonth + 1, 0)).getUTCDate();
  return new Date(Date.UTC(targetYear, targetMonth, Math.min(day, lastDay))).toISOString().slice(0, 10);
}

interface RegionCoverage {
  inUse: number;
  due: number;
  inspected: number;
  inspectionRate: number | null;
}

/** contracts.md §6 per region (all kinds together) for the period [from, to]. */
function coverageByRegion(register: ReadRegister, from: string, to: string): Map<string, RegionCoverage> {
  const dates = new Map<string, string[]>();
  for (const row of register.history) {
    const list = dates.get(row.instrument) ?? [];
    list.push(row.date);
    dates.set(row.instrument, list);
  }
  const regions = new Map<string, RegionCoverage>();
  for (const instrument of register.instruments) {
    const inUse = instrument.registered <= to && !(instrument.scrapped !== '' && instrument.scrapped <= to);
    if (!inUse) continue;
    const region = regions.get(instrument.region) ?? { inUse: 0, due: 0, inspected: 0, inspectionRate: null };
    regions.set(instrument.region, region);
    region.inUse++;
    const verified = [...(dates.get(instrument.id) ?? [])].sort();
    const before = verified.filter((date) => date < from);
    const period =
      instrument.period_months === '' ? PERIOD_MONTHS[instrument.kind]! : Number(instrument.period_months);
    const dueDate = before.length > 0 ? plusMonths(before.at(-1)!, period) : instrument.registered;
    if (dueDate > to) continue;
    region.due++;
    if (verified.some((date) => date >= from && date <= to)) region.inspected++;
  }
  for (const region of regions.values())
    region.inspectionRate = region.due === 0 ? null : region.inspected / region.due;
  return regions;
}

function split(regions: Map<string, RegionCoverage>) {
  const below = [...regions].filter(([, c]) => c.inspectionRate !== null && c.inspectionRate < TARGET);
  const above = [...regions].filter(([, c]) => c.inspectionRate !== null && c.inspectionRate >= TARGET);
  return { below: below.map(([name]) => name).sort(), above: above.map(([name]) => name).sort() };
}

const others = DISTRICTS.map((district) => district.name)
  .filter((name) => !WEAK_DISTRICTS.includes(name))
  .sort();

describe('the committed sample', () => {
  const sample = readRegister(SAMPLE);

  it('has the three weak districts below the target and the other six above over the last twelve months', () => {
    const regions = coverageByRegion(sample, '2025-11-01', '2026-10-31');
    expect(regions.size).toBe(9);
    expect(WEAK_DISTRICTS).toHaveLength(3);
    expect(split(regions)).toEqual({ below: [...WEAK_DISTRICTS].sort(), above: others });
  });

  it('shows the same over the year to the sample’s end date', () => {
    expect(split(coverageByRegion(sample, '2026-01-01', '2026-10-31'))).toEqual({
      below: [...WEAK_DISTRICTS].sort(),
      above: others,
    });
  });
});

describe('a register of 30 000 instruments', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-seeds-coverage-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  generateRegister(
    {
      instruments: 30_000,
      years: 3,
      seed: 'coverage-test',
      end: '2026-10-31',
      chineseHeaders: false,
      standards: false,
    },
    dir,
  );
  const register = readRegister(dir);

  it('puts the weak districts well below the target and the others well above, in every year', () => {
    for (const [from, to] of [
      ['2024-11-01', '2025-10-31'],
      ['2025-11-01', '2026-10-31'],
    ] as const) {
      const regions = coverageByRegion(register, from, to);
      for (const [name, coverage] of regions) {
        if (WEAK_DISTRICTS.includes(name))
          expect(coverage.inspectionRate!, `${name} ${from}`).toBeLessThan(0.87);
        else expect(coverage.inspectionRate!, `${name} ${from}`).toBeGreaterThan(0.91);
      }
    }
  });
});
