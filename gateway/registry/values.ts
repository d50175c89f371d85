/**
 * The values of the register files and their checks. Every value is trimmed first (spreadsheets
 * pad cells). Codes are matched case-insensitively, and the Chinese words registers use for them
 * are accepted too; what is stored is always the code of contracts.md §5.
 */
export const INSTRUMENT_KINDS = ['scale', 'dispenser', 'taximeter'] as const;
export type InstrumentKind = (typeof INSTRUMENT_KINDS)[number];

export const INSTRUMENT_STATUSES = ['in-use', 'scrapped'] as const;
export type InstrumentStatus = (typeof INSTRUMENT_STATUSES)[number];

export const VERDICTS = ['pass', 'fail'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** Longest verification period accepted (months): a larger number is a typing error. */
export const MAX_PERIOD_MONTHS = 1200;

const KIND_WORDS: Readonly<Record<string, InstrumentKind>> = {
  scale: 'scale',
  dispenser: 'dispenser',
  taximeter: 'taximeter',
  秤: 'scale',
  衡器: 'scale',
  加油机: 'dispenser',
  燃油加油机: 'dispenser',
  计价器: 'taximeter',
  出租汽车计价器: 'taximeter',
};

const STATUS_WORDS: Readonly<Record<string, InstrumentStatus>> = {
  'in-use': 'in-use',
  scrapped: 'scrapped',
  在用: 'in-use',
  使用中: 'in-use',
  停用: 'scrapped',
  报废: 'scrapped',
};

const VERDICT_WORDS: Readonly<Record<string, Verdict>> = {
  pass: 'pass',
  fail: 'fail',
  合格: 'pass',
  不合格: 'fail',
};

/** A checked value, or the reason it was refused. */
export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const refused = (message: string): Checked<never> => ({ ok: false, message });

function word<T extends string>(
  words: Readonly<Record<string, T>>,
  codes: readonly string[],
  text: string,
): Checked<T> {
  const value = text.trim();
  if (value === '') return refused(`is empty; expected ${codes.join(', ')}`);
  const key = Object.hasOwn(words, value) ? value : value.toLowerCase();
  const code = Object.hasOwn(words, key) ? words[key] : undefined;
  return code ? ok(code) : refused(`${JSON.stringify(value)} is not one of ${codes.join(', ')}`);
}

export const checkKind = (text: string) => word(KIND_WORDS, INSTRUMENT_KINDS, text);
export const checkStatus = (text: string) => word(STATUS_WORDS, INSTRUMENT_STATUSES, text);
export const checkVerdict = (text: string) => word(VERDICT_WORDS, VERDICTS, text);

export function checkRequiredText(text: string): Checked<string> {
  const value = text.trim();
  return value === '' ? refused('is empty') : ok(value);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * True for a real calendar date written YYYY-MM-DD from year 1000 on (2025-02-30 is not one). The
 * same answer as store/validation.ts isCalendarDate, without a Date object: it runs for every row.
 */
export function isRegisterDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (year < 1000 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days =
    month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= days;
}

export function checkDate(text: string): Checked<string> {
  const value = text.trim();
  if (value === '') return refused('is empty; expected a date written YYYY-MM-DD');
  return isRegisterDate(value)
    ? ok(value)
    : refused(`${JSON.stringify(value)} is not a calendar date written YYYY-MM-DD`);
}

/** Empty means the kind's default period (null). */
export function checkPeriodMonths(text: string): Checked<number | null> {
  const value = text.trim();
  if (value === '') return ok(null);
  const months = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(months >= 1 && months <= MAX_PERIOD_MONTHS)) {
    return refused(
      `${JSON.stringify(value)} is not a whole number of months from 1 to ${MAX_PERIOD_MONTHS} (leave it empty for the kind's default)`,
    );
  }
  return ok(months);
}
