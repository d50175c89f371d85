/**
 * Exact decimals. Everything that may later be compared with a tolerance is kept as a decimal
 * string or a `Dec`, never as a binary float: 0.1 + 0.2 must be 0.3 at a band boundary.
 */
import { Decimal } from 'decimal.js';

/** A private Decimal constructor: 40 significant digits, half-up rounding, no global config touched. */
export const Dec = Decimal.clone({
  precision: 40,
  rounding: Decimal.ROUND_HALF_UP,
  toExpNeg: -30,
  toExpPos: 40,
});
export type Dec = InstanceType<typeof Dec>;

const DECIMAL_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** True for plain decimal text such as "+00123.45", "-0.5", "12." (no exponent, no spaces). */
export function isDecimalText(text: string): boolean {
  return DECIMAL_TEXT.test(text);
}

/**
 * Normalises what a device printed into the canonical reading text while keeping its resolution:
 * "+00123.45" -> "123.45", "-000.50" -> "-0.50", "  12" -> "12", "-0.00" -> "0.00", "12." -> "12".
 * Returns undefined when the text is not a decimal.
 */
export function normalizeDecimalText(raw: string): string | undefined {
  const text = raw.trim().replace(/\s+/g, '');
  if (!isDecimalText(text)) return undefined;
  let sign = '';
  let body = text;
  if (body[0] === '+' || body[0] === '-') {
    sign = body[0] === '-' ? '-' : '';
    body = body.slice(1);
  }
  let [intPart = '', fracPart] = body.split('.');
  intPart = intPart.replace(/^0+(?=\d)/, '');
  if (intPart === '') intPart = '0';
  const digits = fracPart === undefined || fracPart === '' ? intPart : `${intPart}.${fracPart}`;
  if (/^[0.]+$/.test(digits)) sign = '';
  return sign + digits;
}

/** Number of digits after the decimal point of a decimal text ("0.010" -> 3, "5" -> 0). */
export function decimalPlaces(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/**
 * Inserts a decimal point `places` digits from the right into an integer digit string, as
 * indicators that send "000200" with a decimals digit of 2 mean: ("000200", 2) -> "2.00".
 */
export function withImpliedDecimals(sign: '' | '-', digits: string, places: number): string | undefined {
  if (!/^\d+$/.test(digits) || places < 0) return undefined;
  const padded = digits.padStart(places + 1, '0');
  const text = places === 0 ? padded : `${padded.slice(0, -places)}.${padded.slice(-places)}`;
  return normalizeDecimalText(sign + text);
}

/** Formats a Dec with exactly `places` digits after the point (half-up), as the device would show it. */
export function formatFixed(value: Dec, places: number): string {
  const text = value.toFixed(places);
  return /^-[0.]+$/.test(text) ? text.slice(1) : text;
}

/**
 * The shortest decimal text that a float32 register value round-trips to. A float32 that holds
 * 0.1 reads back as 0.100000001490116...; the device meant "0.1".
 */
export function float32ToDecimalText(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const f = Math.fround(value);
  for (let precision = 1; precision <= 9; precision++) {
    const candidate = Number(f.toPrecision(precision));
    if (Math.fround(candidate) === f) return new Dec(candidate).toFixed();
  }
  return new Dec(f).toFixed();
}

/** The shortest decimal text that round-trips to the given float64 (JavaScript's own rule). */
export function float64ToDecimalText(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return new Dec(value).toFixed();
}

/** The exponent p when `scale` is exactly 10^p ("0.01" -> -2, "1" -> 0, "100" -> 2), else undefined. */
export function powerOfTenExponent(scale: string): number | undefined {
  const text = scale.trim();
  let match = /^1(0*)(?:\.0*)?$/.exec(text);
  if (match) return match[1]!.length;
  match = /^0?\.(0*)1$/.exec(text);
  if (match) return -(match[1]!.length + 1);
  return undefined;
}

/**
 * An integer register value times 10^-pointLeft, written with exactly `places` decimals, by moving
 * the decimal point in the digit string: exact and an order of magnitude cheaper than decimal
 * arithmetic on the polling hot path. Returns undefined when rounding would be needed
 * (places < pointLeft); the caller then uses Dec.
 */
export function shiftIntegerText(
  raw: bigint | number,
  pointLeft: number,
  places: number,
): string | undefined {
  if (places < pointLeft || places < 0) return undefined;
  const text = raw.toString();
  const negative = text.startsWith('-');
  let digits = negative ? text.slice(1) : text;
  if (pointLeft < 0) {
    digits += '0'.repeat(-pointLeft);
    pointLeft = 0;
  }
  digits = digits.padStart(pointLeft + 1, '0');
  const intPart = digits.slice(0, digits.length - pointLeft).replace(/^0+(?=\d)/, '');
  const fracPart = digits.slice(digits.length - pointLeft).padEnd(places, '0');
  const body = places === 0 ? intPart : `${intPart}.${fracPart}`;
  return negative && /[1-9]/.test(body) ? `-${body}` : body;
}
