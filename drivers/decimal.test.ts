import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Dec,
  decimalPlaces,
  float32ToDecimalText,
  formatFixed,
  normalizeDecimalText,
  powerOfTenExponent,
  shiftIntegerText,
  withImpliedDecimals,
} from './decimal.js';

describe('decimal helpers', () => {
  it('normalises device text and keeps its resolution', () => {
    expect(normalizeDecimalText('+00123.45')).toBe('123.45');
    expect(normalizeDecimalText('-000.50')).toBe('-0.50');
    expect(normalizeDecimalText('-0.00')).toBe('0.00');
    expect(normalizeDecimalText('  12')).toBe('12');
    expect(normalizeDecimalText('1e3')).toBeUndefined();
    expect(normalizeDecimalText('12,5')).toBeUndefined();
  });

  it('inserts implied decimals', () => {
    expect(withImpliedDecimals('', '000200', 2)).toBe('2.00');
    expect(withImpliedDecimals('-', '1', 3)).toBe('-0.001');
    expect(withImpliedDecimals('', '12a', 1)).toBeUndefined();
  });

  it('turns a float32 register back into the decimal the device meant', () => {
    expect(float32ToDecimalText(Math.fround(0.1))).toBe('0.1');
    expect(float32ToDecimalText(1234.5)).toBe('1234.5');
    expect(float32ToDecimalText(Math.fround(-12.34))).toBe('-12.34');
  });

  it('recognises powers of ten', () => {
    expect(powerOfTenExponent('0.01')).toBe(-2);
    expect(powerOfTenExponent('.1')).toBe(-1);
    expect(powerOfTenExponent('1')).toBe(0);
    expect(powerOfTenExponent('100')).toBe(2);
    expect(powerOfTenExponent('0.02')).toBeUndefined();
    expect(powerOfTenExponent('2')).toBeUndefined();
  });

  it('shifts integer text exactly as decimal arithmetic would', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n }),
        fc.integer({ min: -4, max: 8 }),
        fc.integer({ min: 0, max: 10 }),
        (raw, pointLeft, extra) => {
          const places = Math.max(0, pointLeft) + extra;
          const expected = formatFixed(new Dec(raw.toString()).times(new Dec(10).pow(-pointLeft)), places);
          expect(shiftIntegerText(raw, pointLeft, places)).toBe(expected);
          expect(decimalPlaces(expected)).toBe(places);
        },
      ),
    );
    expect(shiftIntegerText(123, 3, 2)).toBeUndefined();
  });
});
