/**
 * Properties of the scale evaluator over random valid instruments of both rule sets: MPE never
 * decreases with the load, a band boundary takes the stricter band, an error exactly at a limit
 * passes and one unit of the last decimal above it fails, numbers as strings or JSON numbers give
 * identical results, and random records throw nothing but MG_ERR_INPUT_INVALID.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from '../../../drivers/decimal.js';
import { MetrogateError } from '../../../drivers/errors.js';
import { evaluate } from '../evaluate.js';
import { jjg539_2016 } from '../rules/jjg539-2016.js';
import { oimlR76_2006 } from '../rules/oiml-r76-1-2006.js';
import { STAGES } from '../types.js';
import { type AccuracyClass, classRangeFor, mpeAt, type ScaleRuleSet } from './index.js';

const RULE_SETS = [oimlR76_2006, jjg539_2016] as const;

/** Every 1/2/5 × 10^k from 0.001 g to 5000 g. */
const E_CANDIDATES = [-3, -2, -1, 0, 1, 2, 3].flatMap((k) =>
  ['1', '2', '5'].map((c) => new Dec(c).times(new Dec(10).pow(k))),
);

interface Case {
  ruleSet: ScaleRuleSet;
  accuracyClass: AccuracyClass;
  e: Dec;
  max: Dec;
  min: Dec;
}

/** A valid instrument (unit g, d = e) of a rule set: class, e inside a Table 1.1 row, n inside [n_min, n_max]. */
const validCase: fc.Arbitrary<Case> = fc.constantFrom(...RULE_SETS).chain((ruleSet) =>
  fc.constantFrom(...(Object.keys(ruleSet.classes) as AccuracyClass[])).chain((accuracyClass) => {
    const classData = ruleSet.classes[accuracyClass]!;
    const es = E_CANDIDATES.filter((e) => classRangeFor(classData, e) !== undefined);
    return fc.constantFrom(...es).chain((e) => {
      const row = classRangeFor(classData, e)!;
      const nMin = Number(row.nMin);
      const nMax = row.nMax === null ? nMin * 10 : Number(row.nMax);
      return fc.integer({ min: nMin, max: nMax }).map((n) => ({
        ruleSet,
        accuracyClass,
        e,
        max: e.times(n),
        min: e.times(row.minInE),
      }));
    });
  }),
);

function instrumentOf(c: Case) {
  return {
    kind: 'scale',
    accuracyClass: c.accuracyClass,
    max: c.max.toFixed(),
    e: c.e.toFixed(),
    d: c.e.toFixed(),
    unit: 'g',
  };
}

/** A load that is a multiple of e in [Min, Max]. */
function legalLoad(c: Case): fc.Arbitrary<Dec> {
  const lo = c.min.div(c.e).toNumber();
  const hi = c.max.div(c.e).toNumber();
  return fc.integer({ min: lo, max: hi }).map((k) => c.e.times(k));
}

/** One unit of a decimal place finer than e (so it is smaller than e/2). */
const finerUnit = (e: Dec) =>
  fc.integer({ min: 1, max: 4 }).map((extra) => new Dec(10).pow(-(e.decimalPlaces() + extra)));

const stage = fc.constantFrom(...STAGES);

function judge(c: Case, st: (typeof STAGES)[number], tests: unknown[]) {
  return evaluate({ ruleSet: c.ruleSet.id, stage: st, instrument: instrumentOf(c), tests });
}

describe('scale properties', () => {
  it('MPE never decreases with the load, at every stage', () => {
    fc.assert(
      fc.property(
        validCase.chain((c) => {
          const steps = c.max.div(c.e).times(100).toNumber();
          return fc.tuple(
            fc.constant(c),
            fc.integer({ min: 0, max: steps }),
            fc.integer({ min: 0, max: steps }),
            stage,
          );
        }),
        ([c, a, b, st]) => {
          const unit = c.e.div(100);
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const low = mpeAt(c.ruleSet, c.accuracyClass, c.e, unit.times(lo), st);
          const high = mpeAt(c.ruleSet, c.accuracyClass, c.e, unit.times(hi), st);
          expect(low.lessThanOrEqualTo(high)).toBe(true);
        },
      ),
    );
  });

  it('a band boundary takes the stricter band; anything above it takes the next', () => {
    fc.assert(
      fc.property(validCase, stage, fc.integer({ min: 1, max: 12 }), (c, st, places) => {
        const bands = c.ruleSet.classes[c.accuracyClass]!.mpeBands;
        bands.forEach((band, i) => {
          if (band.upToE === null || i === bands.length - 1) return;
          const boundary = c.e.times(band.upToE);
          const atBoundary = mpeAt(c.ruleSet, c.accuracyClass, c.e, boundary, st);
          const above = mpeAt(c.ruleSet, c.accuracyClass, c.e, boundary.plus(new Dec(10).pow(-places)), st);
          const inBand = mpeAt(c.ruleSet, c.accuracyClass, c.e, c.e.times(band.upToE).minus(c.e.div(10)), st);
          expect(atBoundary.equals(inBand)).toBe(true);
          expect(above.greaterThan(atBoundary)).toBe(true);
        });
      }),
    );
  });

  it('a weighing error exactly at ±MPE passes; one unit of the last decimal beyond fails (with and without ΔL)', () => {
    fc.assert(
      fc.property(
        validCase.chain((c) => fc.tuple(fc.constant(c), legalLoad(c), finerUnit(c.e), stage, fc.boolean())),
        ([c, load, unit, st, withRounding]) => {
          const mpe = mpeAt(c.ruleSet, c.accuracyClass, c.e, load, st);
          const half = c.e.div(2);
          const weighings: { error: Dec; test: Record<string, string> }[] = [];
          for (const sign of [1, -1]) {
            for (const beyond of [new Dec(0), unit]) {
              const error = mpe.plus(beyond).times(sign);
              if (withRounding) {
                // E = I + e/2 − ΔL − L with I a multiple of e and 0 ≤ ΔL ≤ e.
                const steps = error.minus(half).div(c.e).ceil();
                let indication = load.plus(c.e.times(steps));
                let roundingLoad = indication.plus(half).minus(load).minus(error);
                if (roundingLoad.isNegative()) {
                  indication = indication.minus(c.e);
                  roundingLoad = roundingLoad.minus(c.e);
                }
                if (roundingLoad.greaterThan(c.e)) {
                  indication = indication.minus(c.e);
                  roundingLoad = roundingLoad.minus(c.e);
                }
                weighings.push({
                  error,
                  test: {
                    test: 'weighing',
                    load: load.toFixed(),
                    indication: indication.toFixed(),
                    roundingLoad: roundingLoad.toFixed(),
                  },
                });
              } else {
                weighings.push({
                  error,
                  test: { test: 'weighing', load: load.toFixed(), indication: load.plus(error).toFixed() },
                });
              }
            }
          }
          const result = judge(
            c,
            st,
            weighings.map((w) => w.test),
          );
          expect(result.tests.map((t) => t.error)).toEqual(weighings.map((w) => w.error.toFixed()));
          expect(result.tests.map((t) => t.pass)).toEqual([true, false, true, false]);
        },
      ),
    );
  });

  it('zero, tare, repeatability and eccentricity limits are inclusive to the last decimal', () => {
    fc.assert(
      fc.property(
        validCase.chain((c) => fc.tuple(fc.constant(c), legalLoad(c), finerUnit(c.e), stage)),
        ([c, load, unit, st]) => {
          const quarter = c.e.times('0.25');
          const mpe = mpeAt(c.ruleSet, c.accuracyClass, c.e, load, st);
          const L = load.toFixed();
          const tests = [
            { test: 'zero', indication: quarter.toFixed() },
            { test: 'zero', indication: quarter.plus(unit).neg().toFixed() },
            { test: 'tare', indication: quarter.neg().toFixed() },
            { test: 'tare', indication: quarter.plus(unit).toFixed() },
            {
              test: 'repeatability',
              load: L,
              readings: [{ indication: L }, { indication: load.plus(mpe).toFixed() }],
            },
            {
              test: 'repeatability',
              load: L,
              readings: [{ indication: load.minus(mpe).minus(unit).toFixed() }, { indication: L }],
            },
            {
              test: 'eccentricity',
              load: L,
              positions: [{ position: 'center', indication: load.minus(mpe).toFixed() }],
            },
            {
              test: 'eccentricity',
              load: L,
              positions: [{ position: 'q1', indication: load.plus(mpe).plus(unit).toFixed() }],
            },
          ];
          const result = judge(c, st, tests);
          expect(result.tests.map((t) => t.pass)).toEqual([
            true,
            false,
            true,
            false,
            true,
            false,
            true,
            false,
          ]);
        },
      ),
    );
  });

  it('numbers given as strings or as JSON numbers give identical results', () => {
    // A decimal between lo and hi with up to 3 more places than e.
    const decimalIn = (lo: Dec, hi: Dec, e: Dec) =>
      fc.tuple(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 3 })).map(([n, k]) =>
        lo
          .plus(hi.minus(lo).times(n).div(1_000_000))
          .toDecimalPlaces(e.decimalPlaces() + k, Dec.ROUND_DOWN)
          .toFixed(),
      );
    const record = validCase.chain((c) => {
      const decimal = (lo: Dec, hi: Dec) => decimalIn(lo, hi, c.e);
      const zero = new Dec(0);
      const maxN = c.max;
      const load = decimal(zero, maxN);
      const reading = fc.record({
        indication: decimal(c.e.times(-10), maxN.plus(c.e.times(10))),
        roundingLoad: fc.constantFrom('0', c.e.div(2).toFixed(), c.e.toFixed()),
      });
      const test = fc.oneof(
        fc.record({ test: fc.constant('weighing'), load, indication: decimal(zero, maxN) }),
        fc
          .tuple(load, fc.array(reading, { minLength: 2, maxLength: 4 }))
          .map(([l, readings]) => ({ test: 'repeatability', load: l, readings })),
        fc
          .tuple(load, reading)
          .map(([l, r]) => ({ test: 'eccentricity', load: l, positions: [{ position: 'center', ...r }] })),
        reading.map((r) => ({ test: 'zero', ...r })),
        reading.map((r) => ({ test: 'tare', ...r })),
        fc.record({
          test: fc.constant('discrimination'),
          load,
          indicationBefore: decimal(zero, maxN),
          indicationAfter: decimal(zero, maxN),
        }),
      );
      return fc.tuple(fc.constant(c), fc.array(test, { minLength: 1, maxLength: 6 }), stage);
    });
    const toNumbers = (value: unknown): unknown => {
      if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
      if (Array.isArray(value)) return value.map(toNumbers);
      if (value && typeof value === 'object')
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toNumbers(v)]));
      return value;
    };
    const outcome = (r: unknown) => {
      try {
        return evaluate(r);
      } catch (error) {
        return { threw: (error as Error).message };
      }
    };
    let evaluated = 0;
    fc.assert(
      fc.property(record, ([c, tests, st]) => {
        const asStrings = { ruleSet: c.ruleSet.id, stage: st, instrument: instrumentOf(c), tests };
        const asNumbers = toNumbers(asStrings);
        expect(JSON.stringify(asNumbers)).not.toBe(JSON.stringify(asStrings));
        const fromStrings = outcome(asStrings);
        expect(outcome(asNumbers)).toEqual(fromStrings);
        if ('verdict' in fromStrings) evaluated++;
      }),
      { numRuns: 200 },
    );
    // The records are valid, so the comparison is between results, not between error messages.
    expect(evaluated).toBe(200);
  });

  it('random records throw nothing but MG_ERR_INPUT_INVALID', () => {
    const value = fc.oneof(
      fc.constantFrom(
        '0',
        '5',
        '2.5',
        '15000',
        '-1',
        '1e3',
        '',
        ' 7 ',
        'abc',
        '0.0000000000000000000001',
        '9'.repeat(60),
      ),
      fc.double(),
      fc.integer(),
      fc.constantFrom(null, undefined, true, [], {}),
      fc.string(),
    );
    const reading = fc.record({ indication: value, roundingLoad: value }, { requiredKeys: [] });
    const test = fc.record(
      {
        test: fc.constantFrom(
          'weighing',
          'repeatability',
          'eccentricity',
          'zero',
          'tare',
          'discrimination',
          'other',
          5,
        ),
        load: value,
        indication: value,
        roundingLoad: value,
        direction: fc.constantFrom('up', 'down', 'left', 1),
        readings: fc.oneof(fc.array(reading, { maxLength: 4 }), value),
        positions: fc.oneof(
          fc.array(
            fc.record(
              {
                position: fc.oneof(fc.constantFrom('center', 'q1'), value),
                indication: value,
                roundingLoad: value,
              },
              { requiredKeys: [] },
            ),
            { maxLength: 4 },
          ),
          value,
        ),
        indicationBefore: value,
        indicationAfter: value,
      },
      { requiredKeys: ['test'] },
    );
    const instrument = fc.oneof(
      validCase.map(instrumentOf),
      fc.record(
        {
          kind: fc.constantFrom('scale', 'dispenser'),
          accuracyClass: fc.constantFrom('I', 'II', 'III', 'IIII', 'V', 3),
          max: value,
          min: value,
          e: value,
          d: value,
          unit: fc.constantFrom('g', 'kg', 'mg', 't', 'lb', 7),
        },
        { requiredKeys: [] },
      ),
      fc.anything(),
    );
    const record = fc.record(
      {
        ruleSet: fc.constantFrom('OIML-R76-1:2006', 'JJG539-2016', 'nope'),
        stage: fc.constantFrom('initial', 'subsequent', 'in-service', 'later'),
        instrument,
        tests: fc.oneof(fc.array(test, { maxLength: 5 }), fc.anything()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(record, fc.anything()), (r) => {
        try {
          const result = evaluate(r);
          expect(['pass', 'fail']).toContain(result.verdict);
        } catch (error) {
          expect(error).toBeInstanceOf(MetrogateError);
          expect((error as MetrogateError).code).toBe('MG_ERR_INPUT_INVALID');
        }
      }),
      { numRuns: 500 },
    );
  });
});
