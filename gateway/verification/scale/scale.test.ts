/**
 * Scale verification: the worked vectors S1–S8 of metrology-rules.md §1(f) at every stage they
 * state, under both scale rule sets, plus zero correction, the rule-set specifics, the MPE and
 * test-weight helpers, and input errors naming their JSON path.
 */
import { describe, expect, it } from 'vitest';
import { Dec } from '../../../drivers/decimal.js';
import { MetrogateError } from '../../../drivers/errors.js';
import { evaluate } from '../evaluate.js';
import { resolveParameters } from '../parameters.js';
import { jjg539_2016 } from '../rules/jjg539-2016.js';
import { oimlR76_2006 } from '../rules/oiml-r76-1-2006.js';
import type { EvaluationResult, RuleOverrides, RuleSetId, Stage } from '../types.js';
import { maxTestWeightError, mpeAt, mpeBandAt, testWeightWithinLimit } from './index.js';

/** The instrument of every worked vector: class III, Max 15 kg, e = d = 5 g. */
const VECTOR_SCALE = { kind: 'scale', accuracyClass: 'III', max: '15000', e: '5', d: '5', unit: 'g' };
/** "Unless stated otherwise, E0 = 0 (I0 = 0, ΔL0 = 2.5 g)". */
const ZERO_E0_0 = { test: 'zero', indication: '0', roundingLoad: '2.5' };

function run(
  ruleSet: RuleSetId,
  stage: Stage,
  tests: unknown[],
  instrument: unknown = VECTOR_SCALE,
  overrides?: RuleOverrides,
): EvaluationResult {
  return evaluate({ ruleSet, stage, instrument, tests }, overrides ? { overrides } : {});
}

function inputErrorOf(fn: () => unknown): MetrogateError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MetrogateError);
    expect((error as MetrogateError).code).toBe('MG_ERR_INPUT_INVALID');
    return error as MetrogateError;
  }
  throw new Error('expected MG_ERR_INPUT_INVALID, nothing was thrown');
}

describe.each(['OIML-R76-1:2006', 'JJG539-2016'] as const)('worked vectors under %s', (ruleSet) => {
  it('S1: L 2000 g, I 2000 g, ΔL 1.5 g -> E +1.0 g within ±2.5 g: PASS initial and in-service', () => {
    const tests = [ZERO_E0_0, { test: 'weighing', load: '2000', indication: '2000', roundingLoad: '1.5' }];
    const initial = run(ruleSet, 'initial', tests);
    expect(initial.verdict).toBe('pass');
    expect(initial.tests[1]).toMatchObject({
      test: 'weighing',
      load: '2000',
      error: '1',
      mpe: '2.5',
      pass: true,
    });
    const inService = run(ruleSet, 'in-service', tests);
    expect(inService.verdict).toBe('pass');
    expect(inService.tests[1]).toMatchObject({ error: '1', mpe: '5', pass: true });
  });

  it('S1 without a zero test gives the contract example result exactly', () => {
    const result = run(ruleSet, 'initial', [
      { test: 'weighing', load: '2000', indication: '2000', roundingLoad: '1.5' },
    ]);
    expect(result).toEqual({
      verdict: 'pass',
      ruleSet,
      stage: 'initial',
      tests: [{ test: 'weighing', load: '2000', error: '1', mpe: '2.5', pass: true }],
    });
  });

  it('S2: L 5000 g (1000 e), I 5005 g, ΔL 0.5 g -> E +7.0 g: FAIL initial (±5 g) / PASS in-service (±10 g)', () => {
    const tests = [ZERO_E0_0, { test: 'weighing', load: '5000', indication: '5005', roundingLoad: '0.5' }];
    const initial = run(ruleSet, 'initial', tests);
    expect(initial.verdict).toBe('fail');
    expect(initial.tests[1]).toMatchObject({ error: '7', mpe: '5', pass: false });
    expect(initial.tests[1]).not.toHaveProperty('reason');
    const inService = run(ruleSet, 'in-service', tests);
    expect(inService.verdict).toBe('pass');
    expect(inService.tests[1]).toMatchObject({ error: '7', mpe: '10', pass: true });
  });

  it('S3 (boundary): L 2500 g = 500 e exactly takes ±0.5 e -> E +3.0 g: FAIL initial / PASS in-service', () => {
    const tests = [ZERO_E0_0, { test: 'weighing', load: '2500', indication: '2505', roundingLoad: '4.5' }];
    const initial = run(ruleSet, 'initial', tests);
    expect(initial.verdict).toBe('fail');
    expect(initial.tests[1]).toMatchObject({ error: '3', mpe: '2.5', pass: false });
    const inService = run(ruleSet, 'in-service', tests);
    expect(inService.verdict).toBe('pass');
    expect(inService.tests[1]).toMatchObject({ error: '3', mpe: '5', pass: true });
  });

  it('S4 (repeatability): L 7500 g, P 7501.0 / 7503.5 / 7497.5 -> range 6 g: FAIL initial (5 g) / PASS in-service (10 g)', () => {
    const readings = [
      { indication: '7500', roundingLoad: '1.5' }, // P = 7501.0
      { indication: '7505', roundingLoad: '4' }, // P = 7503.5
      { indication: '7500', roundingLoad: '5' }, // P = 7497.5
    ];
    const tests = [ZERO_E0_0, { test: 'repeatability', load: '7500', readings }];
    const initial = run(ruleSet, 'initial', tests);
    expect(initial.verdict).toBe('fail');
    expect(initial.tests[1]).toMatchObject({
      test: 'repeatability',
      load: '7500',
      readings: 3,
      errors: ['1', '3.5', '-2.5'],
      range: '6',
      limit: '5',
      pass: false,
    });
    const inService = run(ruleSet, 'in-service', tests);
    expect(inService.verdict).toBe('pass');
    expect(inService.tests[1]).toMatchObject({ range: '6', limit: '10', pass: true });
  });

  it('S5 (eccentricity): Max/3 = 5000 g, Ec +1.0 +2.5 −3.0 +4.5 −5.5 g: FAIL initial (±5 g) / PASS in-service', () => {
    const positions = [
      { position: 'center', indication: '5000', roundingLoad: '1.5' }, // +1.0
      { position: 'q1', indication: '5005', roundingLoad: '5' }, // +2.5
      { position: 'q2', indication: '4995', roundingLoad: '0.5' }, // −3.0
      { position: 'q3', indication: '5005', roundingLoad: '3' }, // +4.5
      { position: 'q4', indication: '4995', roundingLoad: '3' }, // −5.5
    ];
    const tests = [ZERO_E0_0, { test: 'eccentricity', load: '5000', positions }];
    const initial = run(ruleSet, 'initial', tests);
    expect(initial.verdict).toBe('fail');
    expect(initial.tests[1]).toMatchObject({
      test: 'eccentricity',
      load: '5000',
      positions: [
        { position: 'center', error: '1', pass: true },
        { position: 'q1', error: '2.5', pass: true },
        { position: 'q2', error: '-3', pass: true },
        { position: 'q3', error: '4.5', pass: true },
        { position: 'q4', error: '-5.5', pass: false },
      ],
      error: '-5.5',
      mpe: '5',
      pass: false,
    });
    const inService = run(ruleSet, 'in-service', tests);
    expect(inService.verdict).toBe('pass');
    expect(inService.tests[1]).toMatchObject({ mpe: '10', pass: true });
  });

  it.each(['initial', 'in-service'] as const)(
    'S6 (zero-setting, %s): ΔL0 1.0 -> E0 1.5 > 1.25 FAIL; ΔL0 1.5 -> 1.0 PASS',
    (stage) => {
      const failing = run(ruleSet, stage, [{ test: 'zero', indication: '0', roundingLoad: '1.0' }]);
      expect(failing.verdict).toBe('fail');
      expect(failing.tests[0]).toEqual({ test: 'zero', error: '1.5', mpe: '1.25', pass: false });
      const passing = run(ruleSet, stage, [{ test: 'zero', indication: '0', roundingLoad: '1.5' }]);
      expect(passing.verdict).toBe('pass');
      expect(passing.tests[0]).toEqual({ test: 'zero', error: '1', mpe: '1.25', pass: true });
    },
  );

  it.each(['initial', 'subsequent', 'in-service'] as const)(
    'S7 (Min, %s): a weighing at 80 g < Min 100 g is out of range',
    (stage) => {
      const result = run(ruleSet, stage, [{ test: 'weighing', load: '80', indication: '80' }]);
      expect(result.verdict).toBe('fail');
      expect(result.tests[0]).toMatchObject({
        test: 'weighing',
        load: '80',
        error: '0',
        pass: false,
        reason: 'below-min',
      });
      // Min itself (20 e = 100 g) is a legal weighing.
      expect(run(ruleSet, stage, [{ test: 'weighing', load: '100', indication: '100' }]).verdict).toBe(
        'pass',
      );
    },
  );

  it('S8 (discrimination): at 15 000 g adding 1.4 d = 7 g leaves 15 000 g: FAIL no-change; 15 005 g passes', () => {
    const failing = run(ruleSet, 'initial', [
      { test: 'discrimination', load: '15000', indicationBefore: '15000', indicationAfter: '15000' },
    ]);
    expect(failing.verdict).toBe('fail');
    expect(failing.tests[0]).toEqual({
      test: 'discrimination',
      load: '15000',
      extraLoad: '7',
      change: '0',
      required: '5',
      pass: false,
      reason: 'no-change',
    });
    const passing = run(ruleSet, 'initial', [
      { test: 'discrimination', load: '15000', indicationBefore: '15000', indicationAfter: '15005' },
    ]);
    expect(passing.verdict).toBe('pass');
    expect(passing.tests[0]).toMatchObject({ change: '5', pass: true });
  });
});

describe('stages', () => {
  it('subsequent verification uses ×1 by default and follows an override of the UNCONFIRMED multiplier', () => {
    const s2 = [{ test: 'weighing', load: '5000', indication: '5005', roundingLoad: '0.5' }];
    expect(run('OIML-R76-1:2006', 'subsequent', s2).tests[0]).toMatchObject({ mpe: '5', pass: false });
    const overridden = run('OIML-R76-1:2006', 'subsequent', s2, VECTOR_SCALE, {
      'OIML-R76-1:2006': { mpeMultiplierSubsequent: '2' },
    });
    expect(overridden.tests[0]).toMatchObject({ mpe: '10', pass: true });
    expect(overridden.overrides).toEqual({ mpeMultiplierSubsequent: '2' });
  });

  it('R 76 in-service ×2 is CONFIRMED and cannot be overridden; JJG 539-2016 marks it UNCONFIRMED', () => {
    const s2 = [{ test: 'weighing', load: '5000', indication: '5005', roundingLoad: '0.5' }];
    expect(() =>
      run('OIML-R76-1:2006', 'in-service', s2, VECTOR_SCALE, {
        'OIML-R76-1:2006': { mpeMultiplierInService: '3' },
      }),
    ).toThrow(/CONFIRMED/);
    const jjg = run('JJG539-2016', 'in-service', s2, VECTOR_SCALE, {
      'JJG539-2016': { mpeMultiplierInService: '1' },
    });
    expect(jjg.tests[0]).toMatchObject({ mpe: '5', pass: false });
  });

  it('a multiplier overridden to zero is a config error naming the override', () => {
    const error = (() => {
      try {
        run(
          'JJG539-2016',
          'initial',
          [ZERO_E0_0, { test: 'weighing', load: '2000', indication: '2000' }],
          VECTOR_SCALE,
          {
            'JJG539-2016': { mpeMultiplierInitial: '0' },
          },
        );
      } catch (caught) {
        return caught as MetrogateError;
      }
      throw new Error('expected a config error');
    })();
    expect(error.code).toBe('MG_ERR_CONFIG_INVALID');
    expect(error.message).toContain('verification.overrides.JJG539-2016.mpeMultiplierInitial');
  });

  it('zero and tare limits are 0.25 e at every stage', () => {
    for (const stage of ['initial', 'subsequent', 'in-service'] as const) {
      expect(
        run('OIML-R76-1:2006', stage, [{ test: 'tare', indication: '0', roundingLoad: '1.5' }]).tests[0],
      ).toEqual({
        test: 'tare',
        error: '1',
        mpe: '1.25',
        pass: true,
      });
    }
  });
});

describe('zero correction (Ec = E − E0)', () => {
  const S1 = { test: 'weighing', load: '2000', indication: '2000', roundingLoad: '1.5' };

  it('a zero test with a rounding load corrects weighing, eccentricity and repeatability errors', () => {
    const zero = { test: 'zero', indication: '0', roundingLoad: '1' }; // E0 = +1.5
    const result = run('OIML-R76-1:2006', 'initial', [
      zero,
      S1,
      {
        test: 'eccentricity',
        load: '5000',
        positions: [{ position: 'center', indication: '5000', roundingLoad: '1.5' }],
      },
      {
        test: 'repeatability',
        load: '7500',
        readings: [{ indication: '7500', roundingLoad: '1.5' }, { indication: '7500' }],
      },
    ]);
    expect(result.tests[1]).toMatchObject({ error: '-0.5', zeroCorrection: '1.5', pass: true });
    expect(result.tests[2]).toMatchObject({
      positions: [{ position: 'center', error: '-0.5', pass: true }],
      zeroCorrection: '1.5',
    });
    // The range is unchanged by a common correction; the listed errors are corrected.
    expect(result.tests[3]).toMatchObject({ errors: ['-0.5', '-1.5'], range: '1', zeroCorrection: '1.5' });
  });

  it('a corrected error can fail where the uncorrected one passes', () => {
    // E = +1.0; E0 = −1.5 (I0 0, ΔL0 4.0) -> Ec = +2.5, still at the limit; E0 = −2.0 -> Ec = +3.0 fails.
    const atLimit = run('OIML-R76-1:2006', 'initial', [
      { test: 'zero', indication: '0', roundingLoad: '4' },
      S1,
    ]);
    expect(atLimit.tests[1]).toMatchObject({ error: '2.5', pass: true });
    const beyond = run('OIML-R76-1:2006', 'initial', [
      { test: 'zero', indication: '0', roundingLoad: '4.5' },
      S1,
    ]);
    expect(beyond.tests[1]).toMatchObject({ error: '3', pass: false });
    expect(beyond.tests[1]).not.toHaveProperty('reason');
  });

  it('a zero test without a rounding load is judged but does not correct the others', () => {
    const result = run('OIML-R76-1:2006', 'initial', [{ test: 'zero', indication: '5' }, S1]);
    expect(result.tests[0]).toEqual({ test: 'zero', error: '5', mpe: '1.25', pass: false });
    expect(result.tests[1]).toEqual({ test: 'weighing', load: '2000', error: '1', mpe: '2.5', pass: true });
  });

  it('each test takes the nearest earlier zero test; tests before the first take the first', () => {
    const result = run('OIML-R76-1:2006', 'initial', [
      S1,
      { test: 'zero', indication: '0', roundingLoad: '1' }, // E0 = +1.5
      S1,
      { test: 'zero', indication: '0', roundingLoad: '3.5' }, // E0 = −1.0
      S1,
    ]);
    expect(result.tests.map((t) => t.error)).toEqual(['-0.5', '1.5', '-0.5', '-1', '2']);
    expect(result.tests.map((t) => t.zeroCorrection)).toEqual(['1.5', undefined, '1.5', undefined, '-1']);
  });

  it('a near-zero reference load (10 e against zero tracking) is subtracted from the zero error', () => {
    const result = run('JJG539-2016', 'initial', [
      { test: 'zero', load: '50', indication: '50', roundingLoad: '1.5' },
      S1,
    ]);
    expect(result.tests[0]).toEqual({ test: 'zero', load: '50', error: '1', mpe: '1.25', pass: true });
    expect(result.tests[1]).toMatchObject({ error: '0', zeroCorrection: '1' });
  });

  it('without a rounding load the error is I − L', () => {
    const result = run('OIML-R76-1:2006', 'initial', [
      { test: 'weighing', load: '2000', indication: '2005', direction: 'down' },
    ]);
    expect(result.tests[0]).toEqual({
      test: 'weighing',
      load: '2000',
      direction: 'down',
      error: '5',
      mpe: '2.5',
      pass: false,
    });
  });
});

describe('results', () => {
  it('one result per test in input order, direction repeated', () => {
    const tests = [
      { test: 'tare', indication: '0' },
      { test: 'weighing', load: '2500', indication: '2500', direction: 'up' },
      { test: 'discrimination', load: '100', indicationBefore: '100', indicationAfter: '105' },
      { test: 'weighing', load: '2500', indication: '2500', direction: 'down' },
      { test: 'zero', indication: '0' },
    ];
    const result = run('OIML-R76-1:2006', 'initial', tests);
    expect(result.tests.map((t) => t.test)).toEqual([
      'tare',
      'weighing',
      'discrimination',
      'weighing',
      'zero',
    ]);
    expect(result.tests.map((t) => t.direction)).toEqual([undefined, 'up', undefined, 'down', undefined]);
    expect(result.verdict).toBe('pass');
  });

  it('discrimination must raise the indication: a fall of d is no-change', () => {
    const result = run('OIML-R76-1:2006', 'initial', [
      { test: 'discrimination', load: '7500', indicationBefore: '7500', indicationAfter: '7495' },
    ]);
    expect(result.tests[0]).toMatchObject({ change: '-5', pass: false, reason: 'no-change' });
  });

  it('repeatability and eccentricity below Min fail with below-min', () => {
    const instrument = { ...VECTOR_SCALE, min: '1000' };
    const result = run(
      'OIML-R76-1:2006',
      'initial',
      [
        { test: 'repeatability', load: '500', readings: [{ indication: '500' }, { indication: '500' }] },
        { test: 'eccentricity', load: '500', positions: [{ position: 'center', indication: '500' }] },
      ],
      instrument,
    );
    expect(result.tests.map((t) => t.reason)).toEqual(['below-min', 'below-min']);
  });

  it('a class I instrument in mg (R 76 only): bands at 50 000 e and 200 000 e', () => {
    const instrument = { kind: 'scale', accuracyClass: 'I', max: '220000', e: '1', d: '0.1', unit: 'mg' };
    const result = run(
      'OIML-R76-1:2006',
      'initial',
      [
        { test: 'weighing', load: '50000', indication: '50000.5' },
        { test: 'weighing', load: '50001', indication: '50002' },
        { test: 'weighing', load: '200001', indication: '200002.6' },
      ],
      instrument,
    );
    expect(result.tests.map((t) => [t.mpe, t.pass])).toEqual([
      ['0.5', true],
      ['1', true],
      ['1.5', false],
    ]);
  });
});

describe('mpeAt and test weights', () => {
  it('mpeAt gives the stage MPE with the boundary in the stricter band', () => {
    expect(mpeAt(oimlR76_2006, 'III', '5', '2500', 'initial').toFixed()).toBe('2.5');
    expect(mpeAt(oimlR76_2006, 'III', '5', '2500.0001', 'initial').toFixed()).toBe('5');
    expect(mpeAt(oimlR76_2006, 'III', new Dec(5), new Dec(10000), 'in-service').toFixed()).toBe('10');
    expect(mpeAt(oimlR76_2006, 'III', '5', '10000.5', 'in-service').toFixed()).toBe('15');
    expect(mpeAt(jjg539_2016, 'IIII', '10', '500', 'initial').toFixed()).toBe('5');
    expect(mpeBandAt(oimlR76_2006, 'II', '0.1', '500').index).toBe(0);
    const overridden = resolveParameters(oimlR76_2006, { mpeMultiplierSubsequent: '1.5' });
    expect(mpeAt(oimlR76_2006, 'III', '5', '15000', 'subsequent', overridden).toFixed()).toBe('11.25');
  });

  it('mpeAt refuses a class the rule set does not cover and bad numbers', () => {
    expect(inputErrorOf(() => mpeAt(jjg539_2016, 'II', '0.1', '100', 'initial')).message).toMatch(
      /III, IIII/,
    );
    expect(inputErrorOf(() => mpeAt(oimlR76_2006, 'III', '0', '100', 'initial')).message).toMatch(/^e:/);
    expect(inputErrorOf(() => mpeAt(oimlR76_2006, 'III', '5', '-1', 'initial')).message).toMatch(/^load:/);
    expect(inputErrorOf(() => mpeAt(oimlR76_2006, 'III', '5', 'x', 'initial')).message).toMatch(/^load:/);
  });

  it('a test weight may err by at most 1/3 of the MPE at its load (exactly 1/3 accepted)', () => {
    expect(maxTestWeightError(oimlR76_2006, 'III', '5', '15000', 'initial').toFixed()).toBe('2.5');
    expect(testWeightWithinLimit(oimlR76_2006, 'III', '5', '15000', 'initial', '2.5')).toBe(true);
    expect(testWeightWithinLimit(oimlR76_2006, 'III', '5', '15000', 'initial', '-2.5')).toBe(true);
    expect(testWeightWithinLimit(oimlR76_2006, 'III', '5', '15000', 'initial', '2.5001')).toBe(false);
    // MPE 2.5 g at 2000 g: 2.5/3 is not a finite decimal; the cross-multiplied check is still exact.
    expect(testWeightWithinLimit(jjg539_2016, 'III', '5', '2000', 'initial', '0.8333333')).toBe(true);
    expect(testWeightWithinLimit(jjg539_2016, 'III', '5', '2000', 'initial', '0.8333334')).toBe(false);
  });
});

describe('rule-set data', () => {
  it('JJG 539-2016 covers classes III and IIII only and requires e = d', () => {
    expect(Object.keys(jjg539_2016.classes)).toEqual(['III', 'IIII']);
    expect(jjg539_2016.requireEEqualsD.value).toBe(true);
    expect(Object.keys(oimlR76_2006.classes)).toEqual(['I', 'II', 'III', 'IIII']);
    expect(oimlR76_2006.requireEEqualsD.value).toBe(false);
  });

  it('every parameter has a decimal value, a source and a status; subsequent multipliers are overridable', () => {
    for (const ruleSet of [oimlR76_2006, jjg539_2016]) {
      for (const [name, parameter] of Object.entries(ruleSet.parameters)) {
        expect(parameter.value, name).toMatch(/^\d+(\.\d+)?$/);
        expect(parameter.source.length, name).toBeGreaterThan(10);
        expect(['CONFIRMED', 'SECONDARY', 'UNCONFIRMED'], name).toContain(parameter.status);
      }
      expect(ruleSet.parameters.mpeMultiplierSubsequent.status).toBe('UNCONFIRMED');
    }
    expect(oimlR76_2006.parameters.mpeMultiplierInService.status).toBe('CONFIRMED');
  });
});

describe('input errors name their path', () => {
  const weighing = { test: 'weighing', load: '2000', indication: '2000' };
  const cases: [string, RuleSetId, Record<string, unknown>, unknown[], RegExp][] = [
    [
      'class not in the table',
      'OIML-R76-1:2006',
      { accuracyClass: 'V' },
      [weighing],
      /^instrument\.accuracyClass:/,
    ],
    [
      'JJG 539 has no class II',
      'JJG539-2016',
      { accuracyClass: 'II', max: '1000', e: '0.1', d: '0.1' },
      [weighing],
      /^instrument\.accuracyClass: JJG539-2016 covers accuracy classes III, IIII/,
    ],
    [
      'e not 1/2/5 × 10^k',
      'OIML-R76-1:2006',
      { e: '3', d: '3' },
      [weighing],
      /^instrument\.e: must be 1, 2 or 5/,
    ],
    ['d not 1/2/5 × 10^k', 'OIML-R76-1:2006', { d: '2.5' }, [weighing], /^instrument\.d: must be 1, 2 or 5/],
    ['d > e', 'OIML-R76-1:2006', { d: '10' }, [weighing], /^instrument\.d: d \(10\) must not exceed e \(5\)/],
    [
      'JJG 539 needs e = d',
      'JJG539-2016',
      { d: '2' },
      [weighing],
      /^instrument\.d: JJG539-2016 requires d = e/,
    ],
    [
      'e below the class III ranges',
      'OIML-R76-1:2006',
      { max: '5', e: '0.05', d: '0.05' },
      [weighing],
      /^instrument\.e: e = 0\.05 g is outside/,
    ],
    [
      'n above n_max',
      'OIML-R76-1:2006',
      { e: '1', d: '1' },
      [weighing],
      /^instrument\.max: n = Max\/e = 15000 is outside \[100, 10000\]/,
    ],
    [
      'n below n_min for e ≥ 5 g',
      'OIML-R76-1:2006',
      { max: '2000' },
      [weighing],
      /^instrument\.max: n = Max\/e = 400 is outside \[500, 10000\]/,
    ],
    [
      'Min below the class lower limit',
      'OIML-R76-1:2006',
      { min: '50' },
      [weighing],
      /^instrument\.min: Min 50 is below .* 20 e = 100/,
    ],
    ['Min above Max', 'OIML-R76-1:2006', { min: '20000' }, [weighing], /^instrument\.min:/],
    ['unit not a mass unit', 'OIML-R76-1:2006', { unit: 'lb' }, [weighing], /^instrument\.unit:/],
    ['max missing', 'OIML-R76-1:2006', { max: undefined }, [weighing], /^instrument\.max: is required/],
    ['unknown test', 'OIML-R76-1:2006', {}, [weighing, { test: 'creep' }], /^tests\[1\]\.test:/],
    [
      'load missing',
      'OIML-R76-1:2006',
      {},
      [{ test: 'weighing', indication: '1' }],
      /^tests\[0\]\.load: is required/,
    ],
    [
      'load above Max',
      'OIML-R76-1:2006',
      {},
      [{ test: 'weighing', load: '15005', indication: '15005' }],
      /^tests\[0\]\.load: 15005 exceeds Max/,
    ],
    [
      'bad indication',
      'OIML-R76-1:2006',
      {},
      [
        weighing,
        { test: 'repeatability', load: '7500', readings: [{ indication: '7500' }, { indication: 'abc' }] },
      ],
      /^tests\[1\]\.readings\[1\]\.indication:/,
    ],
    [
      'one repeatability reading',
      'OIML-R76-1:2006',
      {},
      [{ test: 'repeatability', load: '7500', readings: [{ indication: '7500' }] }],
      /^tests\[0\]\.readings: at least 2/,
    ],
    [
      'rounding load above e',
      'OIML-R76-1:2006',
      {},
      [{ ...weighing, roundingLoad: '5.5' }],
      /^tests\[0\]\.roundingLoad: 5\.5 exceeds e/,
    ],
    [
      'negative rounding load',
      'OIML-R76-1:2006',
      {},
      [{ ...weighing, roundingLoad: '-1' }],
      /^tests\[0\]\.roundingLoad:/,
    ],
    [
      'duplicate position',
      'OIML-R76-1:2006',
      {},
      [
        {
          test: 'eccentricity',
          load: '5000',
          positions: [
            { position: 'q1', indication: '5000' },
            { position: 'q1', indication: '5000' },
          ],
        },
      ],
      /^tests\[0\]\.positions\[1\]\.position: duplicate position "q1"/,
    ],
    [
      'bad direction',
      'OIML-R76-1:2006',
      {},
      [{ ...weighing, direction: 'sideways' }],
      /^tests\[0\]\.direction:/,
    ],
    [
      'discrimination missing indicationAfter',
      'OIML-R76-1:2006',
      {},
      [{ test: 'discrimination', load: '100', indicationBefore: '100' }],
      /^tests\[0\]\.indicationAfter: is required/,
    ],
  ];
  it.each(cases)('%s', (_name, ruleSet, instrumentChanges, tests, message) => {
    const instrument = { ...VECTOR_SCALE, ...instrumentChanges };
    const error = inputErrorOf(() => run(ruleSet, 'initial', tests, instrument));
    expect(error.message).toMatch(message);
    expect(error.details.path).toBe(error.message.split(':')[0]);
  });

  it('a valid instrument in kg is checked in grams against Table 1.1', () => {
    const instrument = { kind: 'scale', accuracyClass: 'III', max: '15', e: '0.005', d: '0.005', unit: 'kg' };
    const result = run(
      'JJG539-2016',
      'initial',
      [{ test: 'weighing', load: '0.08', indication: '0.08' }],
      instrument,
    );
    expect(result.tests[0]).toMatchObject({ mpe: '0.0025', reason: 'below-min' });
  });
});
