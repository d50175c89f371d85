/** The guided taximeter procedure (`taximeterTestPlan`). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMetrogateError } from '../../../drivers/errors.js';
import { evaluate } from '../evaluate.js';
import { jjg517_2016 } from '../rules/jjg517-2016.js';
import { oimlR21_2007 } from '../rules/oiml-r21-2007.js';
import { planStepTest, type TaximeterPlanStep, taximeterTestPlan } from './index.js';

const S_TARIFF = {
  flagFall: '10.00',
  includedDistance: '2000',
  distanceRate: '2.00',
  timeRate: '30.00',
  mode: 'S',
  fareResolution: '0.1',
};

function pathOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    if (isMetrogateError(error, 'MG_ERR_INPUT_INVALID')) return error.details.path;
    throw error;
  }
  throw new Error('expected MG_ERR_INPUT_INVALID');
}

/** What a perfect meter would report at every step. */
function perfectCapture(step: TaximeterPlanStep): Record<string, string> {
  return Object.fromEntries(step.capture.map((field) => [field, step.expected![field]!]));
}

describe('taximeterTestPlan', () => {
  it('bench, mode S: 1, 2, 3 km at k, 600 s of time, one trip on each side of the cross-over speed', () => {
    const plan = taximeterTestPlan(jjg517_2016, { kind: 'taximeter', k: '640', tariff: S_TARIFF }, 'bench');
    expect(plan.ruleSet).toBe('JJG517-2016');
    expect(plan.steps.map((s) => s.id)).toEqual([
      'distance-1km',
      'distance-2km',
      'distance-3km',
      'time',
      'fare-distance-tariff',
      'fare-time-tariff',
    ]);
    expect(plan.steps.slice(0, 3).map((s) => [s.given, s.capture, s.expected])).toEqual([
      [{ testDistance: '1000' }, ['pulses'], { pulses: '640' }],
      [{ testDistance: '2000' }, ['pulses'], { pulses: '1280' }],
      [{ testDistance: '3000' }, ['pulses'], { pulses: '1920' }],
    ]);
    expect(plan.steps[3]).toMatchObject({ given: { reference: '600' }, capture: ['indicated'] });
    // 5 km in 300 s (60 km/h > v_c = 15 km/h): 10.00 + (10.00 − 4.00 allowance) = 16.
    expect(plan.steps[4]).toMatchObject({
      given: { distance: '5000', duration: '300' },
      expected: { indicatedFare: '16', tariffApplied: 'distance' },
    });
    // The allowance 4.00 buys 480 s of waiting; 1080 s costs 10.00 + 9.00 − 4.00 = 15.
    expect(plan.steps[5]).toMatchObject({
      given: { distance: '0', duration: '1080' },
      expected: { indicatedFare: '15', tariffApplied: 'time' },
    });
  });

  it('bench, mode D: a single fare trip past the included distance', () => {
    const plan = taximeterTestPlan(oimlR21_2007, { k: 1000, tariff: { ...S_TARIFF, mode: 'D' } }, 'bench');
    const fares = plan.steps.filter((s) => s.test === 'fare');
    expect(fares).toHaveLength(1);
    // 10.00 + 3 km × 2.00 + 600 s × 30.00/h = 21.
    expect(fares[0]).toMatchObject({
      id: 'fare',
      given: { distance: '5000', duration: '600' },
      expected: { indicatedFare: '21', tariffApplied: 'time+distance' },
    });
  });

  it('mode S leaves out the trip of a tariff whose rate is 0', () => {
    const noTime = taximeterTestPlan(
      oimlR21_2007,
      { k: 1000, tariff: { ...S_TARIFF, timeRate: '0' } },
      'bench',
    );
    expect(noTime.steps.filter((s) => s.test === 'fare').map((s) => s.id)).toEqual(['fare-distance-tariff']);
    const noDistance = taximeterTestPlan(
      oimlR21_2007,
      { k: 1000, tariff: { ...S_TARIFF, distanceRate: '0' } },
      'bench',
    );
    expect(noDistance.steps.filter((s) => s.test === 'fare').map((s) => s.id)).toEqual(['fare-time-tariff']);
  });

  it('installed: the true distance is read when the meter shows 1, 2 and 3 km', () => {
    const plan = taximeterTestPlan(jjg517_2016, { kind: 'taximeter' }, 'installed');
    expect(plan.steps.map((s) => [s.id, s.given, s.capture])).toEqual([
      ['distance-1km', { indicatedDistance: '1000' }, ['trueDistance']],
      ['distance-2km', { indicatedDistance: '2000' }, ['trueDistance']],
      ['distance-3km', { indicatedDistance: '3000' }, ['trueDistance']],
    ]);
  });

  it('refuses what it cannot plan, naming the input at fault', () => {
    expect(pathOf(() => taximeterTestPlan(oimlR21_2007, {}, 'installed'))).toBe('variant');
    expect(pathOf(() => taximeterTestPlan(jjg517_2016, { tariff: S_TARIFF }, 'bench'))).toBe('instrument.k');
    expect(pathOf(() => taximeterTestPlan(jjg517_2016, { k: 1000 }, 'bench'))).toBe('instrument.tariff');
    expect(pathOf(() => taximeterTestPlan(jjg517_2016, { k: 'x', tariff: S_TARIFF }, 'bench'))).toBe(
      'instrument.k',
    );
    expect(pathOf(() => taximeterTestPlan(jjg517_2016, {}, 'road' as 'bench'))).toBe('variant');
    const step = taximeterTestPlan(jjg517_2016, {}, 'installed').steps[0]!;
    expect(pathOf(() => planStepTest(step, {}))).toBe('captured.trueDistance');
  });

  it('is pure: the same input gives the same plan and the input is left alone', () => {
    const instrument = { k: '640', tariff: { ...S_TARIFF } };
    const before = structuredClone(instrument);
    expect(taximeterTestPlan(jjg517_2016, instrument, 'bench')).toEqual(
      taximeterTestPlan(jjg517_2016, instrument, 'bench'),
    );
    expect(instrument).toEqual(before);
  });

  it('a perfect meter passes its whole plan, and its S-mode trips land on the tariff they name', () => {
    const cents = fc.integer({ min: 0, max: 100_000 }).map((n) => (n / 100).toFixed(2));
    const positive = fc.integer({ min: 1, max: 100_000 }).map((n) => (n / 100).toFixed(2));
    fc.assert(
      fc.property(
        positive,
        fc.record({
          flagFall: cents,
          includedDistance: fc.integer({ min: 0, max: 10_000 }).map(String),
          distanceRate: cents,
          timeRate: cents,
          mode: fc.constantFrom('S', 'D'),
          fareResolution: fc.constantFrom('0.01', '0.1', '1'),
        }),
        (k, tariff) => {
          const instrument = { kind: 'taximeter', k, tariff };
          for (const [ruleSet, variant] of [
            [jjg517_2016, 'bench'],
            [jjg517_2016, 'installed'],
            [oimlR21_2007, 'bench'],
          ] as const) {
            const plan = taximeterTestPlan(ruleSet, instrument, variant);
            for (const step of plan.steps) {
              if (step.id === 'fare-distance-tariff') expect(step.expected!.tariffApplied).toBe('distance');
              if (step.id === 'fare-time-tariff') expect(step.expected!.tariffApplied).toBe('time');
            }
            const tests = plan.steps.map((step) => planStepTest(step, perfectCapture(step)));
            const result = evaluate({ ruleSet: ruleSet.id, stage: 'initial', instrument, tests });
            expect(result.tests).toHaveLength(plan.steps.length);
            expect(result.verdict).toBe('pass');
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
