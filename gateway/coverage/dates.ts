/**
 * Calendar dates of the coverage indicators (contracts.md §6). The register and the history hold
 * dates as `YYYY-MM-DD` text; the computation turns them into a `DayKey`, the integer yyyymmdd
 * (2026-01-31 → 20260131), which orders as the dates do and costs nothing to compare in a typed
 * array.
 *
 * Month arithmetic clamps to the end of the month: a date plus N months is the same day of the
 * month N months later, or that month's last day when it is shorter (2026-01-31 + 1 month is
 * 2026-02-28, 2024-02-29 + 12 months is 2025-02-28, 2025-08-31 + 6 months is 2026-02-28).
 */

/** A calendar date as the integer yyyymmdd. */
export type DayKey = number;

export function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

export function dayKey(year: number, month: number, day: number): DayKey {
  return year * 10_000 + month * 100 + day;
}

export function yearOf(key: DayKey): number {
  return Math.floor(key / 10_000);
}

export function monthOf(key: DayKey): number {
  return Math.floor(key / 100) % 100;
}

export function dayOf(key: DayKey): number {
  return key % 100;
}

const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The DayKey of a real calendar date written YYYY-MM-DD, or undefined (2026-02-30 is none). */
export function parseDate(text: string): DayKey | undefined {
  const match = DATE_TEXT.exec(text);
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return dayKey(year, month, day);
}

const ZERO = 48;

/**
 * The DayKey of `text` from `offset` on, for the streaming pass: 10 characters `dddd-dd-dd`, only
 * the shape is checked (the register import checked the calendar); -1 when the shape is wrong.
 */
export function dayKeyAt(text: string, offset: number): DayKey {
  let key = 0;
  for (let i = 0; i < 10; i++) {
    const c = text.charCodeAt(offset + i);
    if (i === 4 || i === 7) {
      if (c !== 45) return -1;
      continue;
    }
    const digit = c - ZERO;
    if (digit < 0 || digit > 9) return -1;
    key = key * 10 + digit;
  }
  return key;
}

export function formatDate(key: DayKey): string {
  const year = String(yearOf(key)).padStart(4, '0');
  const month = String(monthOf(key)).padStart(2, '0');
  const day = String(dayOf(key)).padStart(2, '0');
  return `${year}-${month}-${day}`;
}

/** `key` plus `months` (negative: minus), clamped to the end of the target month. */
export function addMonths(key: DayKey, months: number): DayKey {
  const index = yearOf(key) * 12 + (monthOf(key) - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  return dayKey(year, month, Math.min(dayOf(key), daysInMonth(year, month)));
}

export function nextDay(key: DayKey): DayKey {
  const year = yearOf(key);
  const month = monthOf(key);
  const day = dayOf(key);
  if (day < daysInMonth(year, month)) return key + 1;
  return month === 12 ? dayKey(year + 1, 1, 1) : dayKey(year, month + 1, 1);
}

export function previousDay(key: DayKey): DayKey {
  const year = yearOf(key);
  const month = monthOf(key);
  const day = dayOf(key);
  if (day > 1) return key - 1;
  return month === 1 ? dayKey(year - 1, 12, 31) : dayKey(year, month - 1, daysInMonth(year, month - 1));
}

export function plusDays(key: DayKey, days: number): DayKey {
  const date = new Date(Date.UTC(yearOf(key), monthOf(key) - 1, dayOf(key) + days));
  return dayKey(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate());
}

/** Days from `from` to `to` (positive when `to` is later). */
export function daysBetween(from: DayKey, to: DayKey): number {
  const ms = (key: DayKey) => Date.UTC(yearOf(key), monthOf(key) - 1, dayOf(key));
  return Math.round((ms(to) - ms(from)) / 86_400_000);
}

/**
 * The latest date whose `months`-later date (clamped) is on or before `to`. Adding months never
 * goes backwards, so "date + months ≤ to" is the same as "date ≤ threshold": the due test and the
 * validity test become integer comparisons. Several dates can land on one month end
 * (01-28 … 01-31 + 1 month are all 02-28), hence the walk forward from `to` − months.
 */
export function dueThreshold(to: DayKey, months: number): DayKey {
  let threshold = addMonths(to, -months);
  for (;;) {
    const candidate = nextDay(threshold);
    if (addMonths(candidate, months) > to) return threshold;
    threshold = candidate;
  }
}

/** The calendar date of `at` on the machine's clock (its local time zone). */
export function localDay(at: Date): DayKey {
  return dayKey(at.getFullYear(), at.getMonth() + 1, at.getDate());
}

/** Midnight UTC of a calendar date, in ms since the epoch. */
export function utcMidnight(key: DayKey): number {
  return Date.UTC(yearOf(key), monthOf(key) - 1, dayOf(key));
}
