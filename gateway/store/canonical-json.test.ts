import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from '../../drivers/decimal.js';
import { isMetrogateError } from '../../drivers/errors.js';
import { canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  it('matches the RFC 8785 (JCS) example for numbers, string escapes and literals', () => {
    const input = String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`;
    const expected = String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`;
    expect(canonicalJson(JSON.parse(input))).toBe(expected);
  });

  it('sorts keys by UTF-16 code units as RFC 8785 §3.2.3 does', () => {
    const keys = ['\u20ac', '\r', '\ufb33', '1', '\ud83d\ude00', '\u0080', '\u00f6'];
    const object = Object.fromEntries(keys.map((key, index) => [key, index]));
    const text = canonicalJson(object);
    expect(Object.keys(JSON.parse(text))).toEqual([
      '1',
      '\r',
      '\u0080',
      '\u00f6',
      '\u20ac',
      '\ud83d\ude00',
      '\ufb33',
    ]);
    // Integer-like keys would come first in JS property order; the text keeps the code-unit order.
    expect(text.indexOf('"\\r"')).toBeLessThan(text.indexOf('"1"'));
  });

  it('sorts nested objects, keeps array order and writes no whitespace', () => {
    expect(canonicalJson({ b: [3, { z: 1, a: 'x y' }], a: { d: null, c: true } })).toBe(
      '{"a":{"c":true,"d":null},"b":[3,{"a":"x y","z":1}]}',
    );
  });

  it('leaves out undefined properties and applies toJSON, like JSON.stringify', () => {
    expect(canonicalJson({ a: undefined, b: new Dec('1.50'), c: 1 })).toBe('{"b":"1.5","c":1}');
  });

  it('refuses values JSON.stringify would silently change, naming the path', () => {
    const cases: [unknown, string][] = [
      [{ a: [1, Number.NaN] }, '$.a[1]'],
      [{ a: Number.POSITIVE_INFINITY }, '$.a'],
      [{ list: [1, undefined] }, '$.list[1]'],
      [{ m: new Map([['k', 1]]) }, '$.m'],
      [{ f: () => 1 }, '$.f'],
      [{ n: 10n }, '$.n'],
      [undefined, '$'],
    ];
    for (const [value, path] of cases) {
      let thrown: unknown;
      try {
        canonicalJson(value);
      } catch (error) {
        thrown = error;
      }
      expect(isMetrogateError(thrown, 'MG_ERR_INPUT_INVALID'), String(path)).toBe(true);
      expect((thrown as Error).message.startsWith(`${path}:`)).toBe(true);
    }
  });

  it('is a fixed point of parse-then-serialise and independent of key insertion order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (object) => {
        const reversed = Object.fromEntries(Object.entries(object).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(object));
      }),
    );
  });

  it('writes -0 as 0, so the parsed record hashes the same', () => {
    expect(canonicalJson({ a: -0 })).toBe('{"a":0}');
  });
});
