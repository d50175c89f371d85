/**
 * Properties of the taximeter evaluator (fast-check): MPE never decreases with the quantity, the
 * floor/percentage switch-over is continuous, an error exactly at a limit passes and one unit of a
 * further decimal beyond it fails, strings and JSON numbers give identical results, and random
 * records never throw anything but MG_ERR_INPUT_INVALID.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from '../../../drivers/decimal.js';
import { isMetrogateError } from '../../../drivers/errors.js';
import { evaluate } from '../evaluate.js';
import { resolveParameters } from '../parameters.js';
import { jjg517_2016 } from '../rules/jjg517-2016.js';
import { oimlR21_2007 } from '../rules/oiml-r21-2007.js';
import type { RuleSetId } from '../types.js';
import { judgeBenchDistance, judgeFare, judgeTime, readLimits } from './limits.js';

const RUNS = { numRuns: 300 };
const limits = readLimits(oimlR21_2007, resolveParameters(oimlR21_2007));

function record(ruleSet: RuleSetId, instrument: Record<string, unknown>, tests: unknown[]) {
  return { ruleSet, stage: 'initial', instrument: { kind: 'taximeter', ...instrument }, tests };
}

/** A positive decimal with up to `places` decimals, as text. */
const decimalText = (max: number, places: number) =>
  fc.integer({ min: 1, max: max * 10 ** places }).map((n) => new Dec(n).div(10 ** places).toFixed());

/** k values for which 1000·N/k terminates, so that D + MPE can be written as an exact test distance. */
const TERMINATING_K = ['400', '500', '625', '640', '1000', '1250', '2000', '2500', '4000', '8000'];

describe('MPE never decreases with the quantity', () => {
  it('bench distance: more pulses (a longer true distance) never lowers the MPE', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        decimalText(10_000, 3),
        (n, extra, k) => {
          const a = judgeBenchDistance(new Dec(0), new Dec(n), new Dec(k), limits.benchDistance);
          const b = judgeBenchDistance(new Dec(0), new Dec(n + extra), new Dec(k), limits.benchDistance);
          expect(b.mpe.greaterThanOrEqualTo(a.mpe)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('time: a longer reference never lowers the MPE', () => {
    fc.assert(
      fc.property(decimalText(100_000, 3), decimalText(100_000, 3), (t1, t2) => {
        const [low, high] = new Dec(t1).lessThan(t2) ? [t1, t2] : [t2, t1];
        const a = judgeTime(new Dec(low), new Dec(low), limits.time);
        const b = judgeTime(new Dec(high), new Dec(high), limits.time);
        expect(b.mpe.greaterThanOrEqualTo(a.mpe)).toBe(true);
      }),
      RUNS,
    );
  });

  it('fare: a larger fare never lowers the MPE', () => {
    fc.assert(
      fc.property(
        decimalText(100_000, 2),
        decimalText(100_000, 2),
        decimalText(1, 2),
        (f1, f2, resolution) => {
          const [low, high] = new Dec(f1).lessThan(f2) ? [f1, f2] : [f2, f1];
          const mpe = (fare: string) =>
            judgeFare(new Dec(0), new Dec(fare).mul(3600), new Dec(resolution), limits.fare).mpe;
          expect(mpe(high).greaterThanOrEqualTo(mpe(low))).toBe(true);
        },
      ),
      RUNS,
    );
  });
});

describe('limits are inclusive and exact', () => {
  it('installed: exactly +1.0 % and −4.0 % pass; one unit of a further decimal beyond fails', () => {
    fc.assert(
      fc.property(decimalText(100_000, 3), (trueDistance) => {
        const t = new Dec(trueDistance);
        const upper = t.mul('1.01');
        const lower = t.mul('0.96');
        const unit = new Dec('0.000001');
        const tests = [
          [upper, true],
          [upper.plus(unit), false],
          [lower, true],
          [lower.minus(unit), false],
        ] as const;
        const result = evaluate(
          record(
            'JJG517-2016',
            {},
            tests.map(([indicated]) => ({
              test: 'distance',
              indicatedDistance: indicated.toFixed(),
              trueDistance,
            })),
          ),
        );
        expect(result.tests.map((r) => r.pass)).toEqual(tests.map(([, pass]) => pass));
      }),
      RUNS,
    );
  });

  it('bench distance: an error of exactly ±MPE passes; one unit more fails', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TERMINATING_K), fc.integer({ min: 1, max: 100_000 }), (k, pulses) => {
        const trueDistance = new Dec(pulses).mul(1000).div(k);
        const mpe = Dec.max(trueDistance.mul('0.002'), 4);
        const unit = new Dec('0.0000001');
        const cases = [
          [trueDistance.plus(mpe), true],
          [trueDistance.plus(mpe).plus(unit), false],
          [trueDistance.minus(mpe), true],
          [trueDistance.minus(mpe).minus(unit), false],
        ] as const;
        const valid = cases.filter(([q]) => !q.isNegative());
        const result = evaluate(
          record(
            'OIML-R21:2007',
            { k },
            valid.map(([q]) => ({ test: 'distance', testDistance: q.toFixed(), pulses })),
          ),
        );
        expect(result.tests.map((r) => r.pass)).toEqual(valid.map(([, pass]) => pass));
      }),
      RUNS,
    );
  });

  it('bench distance: at 2000 m the 0.2 % term meets the 4 m floor, so both sides agree', () => {
    const result = evaluate(
      record('OIML-R21:2007', { k: 1000 }, [
        { test: 'distance', testDistance: '2004', pulses: '2000' },
        { test: 'distance', testDistance: '2004.000001', pulses: '2000' },
      ]),
    );
    expect(result.tests.map((r) => [r.mpe, r.pass])).toEqual([
      ['4', true],
      ['4', false],
    ]);
  });

  it('time: an error of exactly ±MPE passes; one unit more fails', () => {
    fc.assert(
      fc.property(decimalText(100_000, 3), (reference) => {
        const mpe = Dec.max(new Dec(reference).mul('0.001'), '0.2');
        const unit = new Dec('0.0000001');
        const cases = [
          [new Dec(reference).plus(mpe), true],
          [new Dec(reference).plus(mpe).plus(unit), false],
          [new Dec(reference).minus(mpe), true],
          [new Dec(reference).minus(mpe).minus(unit), false],
        ] as const;
        const valid = cases.filter(([i]) => !i.isNegative());
        const result = evaluate(
          record(
            'OIML-R21:2007',
            {},
            valid.map(([i]) => ({ test: 'time', indicated: i.toFixed(), reference })),
          ),
        );
        expect(result.tests.map((r) => r.pass)).toEqual(valid.map(([, pass]) => pass));
      }),
      RUNS,
    );
  });

  it('fare: an error of exactly ±MPE passes; one unit more fails (including a time charge t/3600)', () => {
    fc.assert(
      fc.property(
        decimalText(50, 2),
        fc.integer({ min: 0, max: 5000 }),
        decimalText(5, 2),
        decimalText(100, 2),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 36_000 }),
        fc.constantFrom('0.01', '0.1', '0.5', '1'),
        (flagFall, includedDistance, distanceRate, timeRate, distance, duration, fareResolution) => {
          const tariff = { flagFall, includedDistance, distanceRate, timeRate, mode: 'D', fareResolution };
          // The fare × 3600 is exact; choose indications whose distance to it is exactly MPE.
          const fare3600 = new Dec(flagFall)
            .mul(3600)
            .plus(
              Dec.max(0, distance - includedDistance)
                .mul(distanceRate)
                .mul('3.6'),
            )
            .plus(new Dec(duration).mul(timeRate));
          const mpe3600 = Dec.max(fare3600.mul('0.001'), new Dec(fareResolution).mul(3600));
          // Only indications that are exact decimals can be written down: keep those.
          const candidates = [[fare3600.plus(mpe3600)], [fare3600.minus(mpe3600)]] as const;
          const tests: unknown[] = [];
          const expected: boolean[] = [];
          for (const [amount3600] of candidates) {
            const amount = amount3600.div(3600);
            if (!amount.mul(3600).equals(amount3600) || amount.isNegative()) continue;
            const unit = new Dec('1e-12').mul(amount3600.greaterThan(fare3600) ? 1 : -1);
            for (const [indicated, ok] of [
              [amount, true],
              [amount.plus(unit), false],
            ] as const) {
              if (indicated.isNegative()) continue;
              tests.push({ test: 'fare', indicatedFare: indicated.toFixed(), distance, duration });
              expected.push(ok);
            }
          }
          fc.pre(tests.length > 0);
          const result = evaluate(record('OIML-R21:2007', { tariff }, tests));
          expect(result.tests.map((r) => r.pass)).toEqual(expected);
        },
      ),
      RUNS,
    );
  });
});

describe('strings and JSON numbers give identical results', () => {
  it('for every test kind', () => {
    const cents = fc.integer({ min: 0, max: 10_000_000 }).map((n) => n / 100);
    const positive = fc.integer({ min: 1, max: 10_000_000 }).map((n) => n / 100);
    fc.assert(
      fc.property(
        fc.record({
          k: positive,
          flagFall: cents,
          includedDistance: cents,
          distanceRate: cents,
          timeRate: cents,
          mode: fc.constantFrom('S', 'D'),
          fareResolution: fc.constantFrom(0.01, 0.1, 1),
          a: cents,
          b: positive,
          c: cents,
        }),
        fc.constantFrom<RuleSetId>('OIML-R21:2007', 'JJG517-2016'),
        (v, ruleSet) => {
          const build = (n: (x: number) => number | string) => {
            const tests: unknown[] = [
              { test: 'distance', testDistance: n(v.a), pulses: n(v.b) },
              { test: 'time', indicated: n(v.a), reference: n(v.b) },
              { test: 'fare', indicatedFare: n(v.a), distance: n(v.c), duration: n(v.b) },
            ];
            if (ruleSet === 'JJG517-2016')
              tests.push({ test: 'distance', indicatedDistance: n(v.a), trueDistance: n(v.b) });
            return record(
              ruleSet,
              {
                k: n(v.k),
                tariff: {
                  flagFall: n(v.flagFall),
                  includedDistance: n(v.includedDistance),
                  distanceRate: n(v.distanceRate),
                  timeRate: n(v.timeRate),
                  mode: v.mode,
                  fareResolution: n(v.fareResolution),
                },
              },
              tests,
            );
          };
          expect(evaluate(build((x) => x))).toEqual(evaluate(build((x) => String(x))));
        },
      ),
      RUNS,
    );
  });
});

describe('random records', () => {
  it('never throw anything but MG_ERR_INPUT_INVALID', () => {
    const value = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.double(),
      fc.integer(),
      fc.string(),
      fc.constantFrom('0', '-1', '1e3', '0.001', '1000', '.5', '5.', 'NaN', 'S', 'D'),
      fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }),
    );
    const test = fc.oneof(
      fc.record(
        {
          test: fc.oneof(fc.constantFrom('distance', 'time', 'fare'), fc.string()),
          indicatedDistance: value,
          trueDistance: value,
          testDistance: value,
          pulses: value,
          indicated: value,
          reference: value,
          indicatedFare: value,
          distance: value,
          duration: value,
        },
        { requiredKeys: ['test'] },
      ),
      value,
    );
    const tariff = fc.oneof(
      value,
      fc.record(
        {
          flagFall: value,
          includedDistance: value,
          distanceRate: value,
          timeRate: value,
          mode: value,
          fareResolution: value,
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(
        fc.constantFrom<RuleSetId>('OIML-R21:2007', 'JJG517-2016'),
        fc.record({ k: value, tariff }, { requiredKeys: [] }),
        fc.array(test, { maxLength: 4 }),
        (ruleSet, instrument, tests) => {
          try {
            evaluate(record(ruleSet, instrument, tests));
          } catch (error) {
            if (!isMetrogateError(error, 'MG_ERR_INPUT_INVALID')) throw error;
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('with valid shapes and random decimals always evaluate', () => {
    const text = fc.integer({ min: 0, max: 1_000_000_000 }).map((n) => new Dec(n).div(1000).toFixed());
    const positive = fc.integer({ min: 1, max: 1_000_000_000 }).map((n) => new Dec(n).div(1000).toFixed());
    fc.assert(
      fc.property(positive, text, positive, text, text, fc.constantFrom('S', 'D'), (k, a, b, c, d, mode) => {
        const tariff = {
          flagFall: a,
          includedDistance: c,
          distanceRate: d,
          timeRate: c,
          mode,
          fareResolution: b,
        };
        const result = evaluate(
          record('JJG517-2016', { k, tariff }, [
            { test: 'distance', indicatedDistance: a, trueDistance: b },
            { test: 'distance', testDistance: a, pulses: b },
            { test: 'time', indicated: a, reference: b },
            { test: 'fare', indicatedFare: a, distance: c, duration: d },
          ]),
        );
        expect(result.tests).toHaveLength(4);
        expect(result.verdict).toBe(result.tests.every((t) => t.pass) ? 'pass' : 'fail');
      }),
      RUNS,
    );
  });
});

it('JJG517-2016 and OIML-R21:2007 give the same bench verdicts with default parameters', () => {
  const jjg = readLimits(jjg517_2016, resolveParameters(jjg517_2016));
  expect(jjg.benchDistance.mpePercent.equals(limits.benchDistance.mpePercent)).toBe(true);
  expect(jjg.benchDistance.minMpe.equals(limits.benchDistance.minMpe)).toBe(true);
  expect(jjg.time.mpePercent.equals(limits.time.mpePercent)).toBe(true);
  expect(jjg.time.minMpe.equals(limits.time.minMpe)).toBe(true);
  expect(jjg.fare.mpePercent.equals(limits.fare.mpePercent)).toBe(true);
});
