/** The load plan of a scale verification procedure (metrology-rules.md §1(b)). */
import { describe, expect, it } from 'vitest';
import { MetrogateError } from '../../../drivers/errors.js';
import { resolveParameters } from '../parameters.js';
import { jjg539_2016 } from '../rules/jjg539-2016.js';
import { oimlR76_2006 } from '../rules/oiml-r76-1-2006.js';
import { parseScaleInstrument, scaleLoadPoints } from './index.js';

const VECTOR_SCALE = { kind: 'scale', accuracyClass: 'III', max: '15000', e: '5', d: '5', unit: 'g' };

describe('scaleLoadPoints', () => {
  it('class III 15 kg / 5 g: Min, 500 e, 2000 e, Max plus one fill point; the §1(b) loads', () => {
    const plan = scaleLoadPoints(jjg539_2016, VECTOR_SCALE);
    expect(plan.weighing).toEqual([
      { load: '100', inE: '20', role: 'min', mpeInE: '0.5' },
      { load: '2500', inE: '500', role: 'band-boundary', mpeInE: '0.5' },
      { load: '7500', inE: '1500', role: 'fill', mpeInE: '1' },
      { load: '10000', inE: '2000', role: 'band-boundary', mpeInE: '1' },
      { load: '15000', inE: '3000', role: 'max', mpeInE: '1.5' },
    ]);
    expect(plan.eccentricity).toEqual({ load: '5000', positions: ['center', 'q1', 'q2', 'q3', 'q4'] });
    expect(plan.repeatability).toEqual([
      { load: '7500', readings: 3 },
      { load: '15000', readings: 3 },
    ]);
    expect(plan.discrimination).toEqual([
      { load: '100', extraLoad: '7' },
      { load: '7500', extraLoad: '7' },
      { load: '15000', extraLoad: '7' },
    ]);
    expect(plan).toMatchObject({
      unit: 'g',
      e: '5',
      d: '5',
      min: '100',
      max: '15000',
      nearZeroLoad: '50',
      roundingWeight: '0.5',
    });
  });

  it('a small instrument below the first boundary is filled to at least 5 points', () => {
    // Class IIII, 100 e: Min 10 e, boundary 50 e, Max 100 e -> fills at 25 e and 75 e.
    const plan = scaleLoadPoints(oimlR76_2006, {
      accuracyClass: 'IIII',
      max: '1000',
      e: '10',
      d: '10',
      unit: 'g',
    });
    expect(plan.weighing.map((p) => [p.inE, p.role])).toEqual([
      ['10', 'min'],
      ['25', 'fill'],
      ['50', 'band-boundary'],
      ['75', 'fill'],
      ['100', 'max'],
    ]);
  });

  it('fractions of Max are rounded down to a multiple of e; boundaries at Max are not repeated', () => {
    // Class III, Max 10 000 e exactly at the last boundary: 1/3 Max = 3333.33 e -> 3333 e.
    const plan = scaleLoadPoints(oimlR76_2006, {
      accuracyClass: 'III',
      max: '50',
      e: '0.005',
      d: '0.005',
      unit: 'kg',
    });
    expect(plan.eccentricity.load).toBe('16.665');
    expect(plan.weighing.map((p) => p.load)).toEqual(['0.1', '2.5', '10', '25', '50']);
    expect(plan.weighing.filter((p) => p.role === 'max')).toHaveLength(1);
  });

  it('every weighing point is a multiple of e within [Min, Max], increasing', () => {
    for (const [ruleSet, instrument] of [
      [oimlR76_2006, { accuracyClass: 'I', max: '220', e: '0.001', d: '0.0001', unit: 'g' }],
      [oimlR76_2006, { accuracyClass: 'II', max: '6200', e: '0.1', d: '0.01', unit: 'g' }],
      [jjg539_2016, { accuracyClass: 'III', max: '3', e: '0.001', d: '0.001', unit: 'kg' }],
      [jjg539_2016, { accuracyClass: 'IIII', max: '500', e: '0.5', d: '0.5', unit: 'kg' }],
    ] as const) {
      const parsed = parseScaleInstrument(ruleSet, instrument);
      const plan = scaleLoadPoints(ruleSet, parsed);
      expect(plan.weighing.length).toBeGreaterThanOrEqual(5);
      const loads = plan.weighing.map((p) => parsed.e.times(p.inE));
      loads.forEach((load, i) => {
        expect(load.toFixed()).toBe(plan.weighing[i]!.load);
        expect(load.mod(parsed.e).isZero()).toBe(true);
        expect(load.greaterThanOrEqualTo(parsed.min) && load.lessThanOrEqualTo(parsed.max)).toBe(true);
        if (i > 0) expect(load.greaterThan(loads[i - 1]!)).toBe(true);
      });
      expect(plan.weighing[0]!.role).toBe('min');
      expect(plan.weighing.at(-1)!.role).toBe('max');
    }
  });

  it('more than 4 supports: Max/(n − 1) on each support', () => {
    const plan = scaleLoadPoints(oimlR76_2006, VECTOR_SCALE, { supports: 6 });
    expect(plan.eccentricity).toEqual({ load: '3000', positions: ['s1', 's2', 's3', 's4', 's5', 's6'] });
    expect(() => scaleLoadPoints(oimlR76_2006, VECTOR_SCALE, { supports: 0 })).toThrow(/supports/);
  });

  it('follows overridden parameters and a given Min', () => {
    const params = resolveParameters(oimlR76_2006, { repeatabilityReadings: '10' });
    const plan = scaleLoadPoints(oimlR76_2006, { ...VECTOR_SCALE, min: '500' }, { params });
    expect(plan.repeatability.map((r) => r.readings)).toEqual([10, 10]);
    expect(plan.weighing[0]).toEqual({ load: '500', inE: '100', role: 'min', mpeInE: '0.5' });
    expect(plan.discrimination[0]!.load).toBe('500');
  });

  it('is pure: the same input gives the same plan', () => {
    expect(scaleLoadPoints(oimlR76_2006, VECTOR_SCALE)).toEqual(scaleLoadPoints(oimlR76_2006, VECTOR_SCALE));
  });

  it('validates a raw instrument with paths', () => {
    try {
      scaleLoadPoints(jjg539_2016, { ...VECTOR_SCALE, accuracyClass: 'I' });
      throw new Error('expected an input error');
    } catch (error) {
      expect(error).toBeInstanceOf(MetrogateError);
      expect((error as MetrogateError).message).toMatch(/^instrument\.accuracyClass:/);
    }
  });
});
