import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addMonths, civilFromDay, dayFromCivil, formatDate, parseDate } from './calendar.js';
import { SeededRandom } from './random.js';
import { apportion } from './register.js';

const utcDay = (text: string) => Date.parse(`${text}T00:00:00Z`) / 86_400_000;

describe('calendar', () => {
  it('agrees with Date.UTC on day numbers and text, both ways', () => {
    fc.assert(
      fc.property(fc.integer({ min: -200_000, max: 200_000 }), (day) => {
        const text = new Date(day * 86_400_000).toISOString().slice(0, 10);
        expect(formatDate(day)).toBe(text);
        expect(parseDate(text)).toBe(day);
        const { year, month, day: dayOfMonth } = civilFromDay(day);
        expect(dayFromCivil(year, month, dayOfMonth)).toBe(day);
      }),
    );
  });

  it('refuses what is not a calendar date', () => {
    for (const text of ['2025-02-29', '2025-02-30', '2026-13-01', '2026-00-10', '2026-1-1', '20260101', '']) {
      expect(parseDate(text), text).toBeUndefined();
    }
    expect(parseDate('2024-02-29')).toBe(utcDay('2024-02-29'));
  });

  it('adds months clamping to the end of the month', () => {
    const plus = (text: string, months: number) => formatDate(addMonths(parseDate(text)!, months));
    expect(plus('2026-01-31', 1)).toBe('2026-02-28');
    expect(plus('2024-01-31', 1)).toBe('2024-02-29');
    expect(plus('2024-02-29', 12)).toBe('2025-02-28');
    expect(plus('2025-08-31', 6)).toBe('2026-02-28');
    expect(plus('2026-03-31', -1)).toBe('2026-02-28');
    expect(plus('2026-10-31', -36)).toBe('2023-10-31');
    expect(plus('2025-12-15', 1)).toBe('2026-01-15');
  });
});

describe('seeded random', () => {
  it('repeats a stream for the same seed and label, and differs otherwise', () => {
    const draw = (random: SeededRandom) => Array.from({ length: 50 }, () => random.nextUint32());
    expect(draw(new SeededRandom('a'))).toEqual(draw(new SeededRandom('a')));
    expect(draw(new SeededRandom('a'))).not.toEqual(draw(new SeededRandom('b')));
    expect(draw(new SeededRandom('a').derive('x'))).toEqual(draw(new SeededRandom('a').derive('x')));
    expect(draw(new SeededRandom('a').derive('x'))).not.toEqual(draw(new SeededRandom('a').derive('y')));
  });

  it('draws integers over the whole closed range, roughly uniformly', () => {
    const random = new SeededRandom('uniform');
    const counts = new Map<number, number>();
    for (let i = 0; i < 60_000; i++) {
      const value = random.int(-2, 3);
      counts.set(value, (counts.get(value) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2, 3]);
    for (const count of counts.values()) expect(Math.abs(count - 10_000)).toBeLessThan(600);
  });

  it('picks by weight', () => {
    const random = new SeededRandom('weights');
    let heavy = 0;
    for (let i = 0; i < 20_000; i++)
      if (
        random.weighted([
          ['heavy', 9],
          ['light', 1],
        ] as const) === 'heavy'
      )
        heavy++;
    expect(heavy / 20_000).toBeGreaterThan(0.88);
    expect(heavy / 20_000).toBeLessThan(0.92);
  });
});

describe('apportion', () => {
  it('gives whole numbers that add up exactly, in proportion', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_000_000 }),
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 30 }),
        (total, weights) => {
          const counts = apportion(total, weights);
          expect(counts.reduce((a, b) => a + b, 0)).toBe(total);
          const sum = weights.reduce((a, b) => a + b, 0);
          counts.forEach((count, index) => {
            expect(Math.abs(count - (total * weights[index]!) / sum)).toBeLessThan(1);
          });
        },
      ),
    );
  });
});
