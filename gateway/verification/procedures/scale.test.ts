import { describe, expect, it } from 'vitest';
import { evaluate } from '../evaluate.js';
import { RULE_SETS } from '../rules/index.js';
import { type ScaleRuleSet, scaleLoadPoints } from '../scale/index.js';
import { type ScaleCapture, scaleBenchTests, scaleProcedure } from './scale.js';

const instrument = { kind: 'scale', accuracyClass: 'III', max: '15000', e: '5', d: '5', unit: 'g' };
const plan = scaleLoadPoints(RULE_SETS['OIML-R76-1:2006'].ruleSet as ScaleRuleSet, instrument);

describe('the scale procedure', () => {
  const steps = scaleProcedure(plan);

  it('zeroes, loads up through Min, 500 e, 2000 e and Max, and unloads again', () => {
    const weighing = steps
      .filter((s) => s.kind === 'weighing')
      .map((s) => `${s.kind === 'weighing' ? s.direction : ''} ${s.load}`);
    expect(steps[0]!.kind).toBe('zero');
    expect(weighing.slice(0, 5)).toEqual(['up 100', 'up 2500', 'up 7500', 'up 10000', 'up 15000']);
    expect(weighing.slice(5)).toEqual(['down 10000', 'down 7500', 'down 2500', 'down 100']);
  });

  it('puts Max/3 on the centre and the four quarters, then two repeatability series and three discrimination points', () => {
    expect(
      steps
        .filter((s) => s.kind === 'eccentricity')
        .map((s) => (s.kind === 'eccentricity' ? `${s.position}:${s.load}` : '')),
    ).toEqual(['center:5000', 'q1:5000', 'q2:5000', 'q3:5000', 'q4:5000']);
    expect(steps.filter((s) => s.kind === 'repeatability').map((s) => s.load)).toEqual([
      '7500',
      '7500',
      '7500',
      '15000',
      '15000',
      '15000',
    ]);
    expect(steps.filter((s) => s.kind === 'discrimination').map((s) => s.load)).toEqual([
      '100',
      '7500',
      '15000',
    ]);
  });

  it('turns perfect captures into a bench record that passes', () => {
    const captures = new Map<string, ScaleCapture>();
    for (const step of steps) {
      // A perfect scale: the indication is the load and the change point is at exactly e/2.
      captures.set(step.id, {
        indication: step.load,
        ...(step.kind === 'discrimination'
          ? { indicationAfter: String(Number(step.load) + 5) }
          : { roundingLoad: '2.5' }),
      });
    }
    const tests = scaleBenchTests(steps, captures);
    expect(tests.map((t) => t.test)).toEqual([
      'zero',
      ...Array(9).fill('weighing'),
      'discrimination',
      'discrimination',
      'discrimination',
      'eccentricity',
      'repeatability',
      'repeatability',
    ]);
    const result = evaluate({ ruleSet: 'OIML-R76-1:2006', stage: 'initial', instrument, tests });
    expect(result.verdict).toBe('pass');
    expect(result.tests.every((t) => t.pass)).toBe(true);
  });

  it('keeps only series with at least two captured runs', () => {
    const first = steps.find((s) => s.kind === 'repeatability')!;
    const tests = scaleBenchTests(steps, new Map([[first.id, { indication: first.load }]]));
    expect(tests).toEqual([]);
  });
});
