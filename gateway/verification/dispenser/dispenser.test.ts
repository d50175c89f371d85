import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MetrogateError } from '../../../drivers/errors.js';
import { evaluate } from '../evaluate.js';
import { jjg443_2006 } from '../rules/jjg443-2006.js';
import { jjg443_2015 } from '../rules/jjg443-2015.js';
import { jjg443_2023 } from '../rules/jjg443-2023.js';
import { oimlR117_2019 } from '../rules/oiml-r117-1-2019.js';
import type { EvaluationResult, RuleOverrides, TestResult } from '../types.js';
import { dispenserEntry } from './index.js';
import { JJG443_PARAMETER_NAMES, R117_PARAMETER_NAMES } from './rule-set.js';

const GASOLINE_STAINLESS = { kind: 'dispenser', fuel: 'gasoline', canMaterial: 'stainless-steel' };
const R117_CLASS_05 = { kind: 'dispenser', accuracyClass: '0.5', mmq: '2', scaleInterval: '0.01' };

function run(
  ruleSet: string,
  instrument: object,
  tests: unknown[],
  stage = 'initial',
  overrides?: RuleOverrides,
) {
  return evaluate({ ruleSet, stage, instrument, tests }, overrides ? { overrides } : {});
}

function only(result: EvaluationResult): TestResult {
  expect(result.tests).toHaveLength(1);
  return result.tests[0]!;
}

function inputErrorOf(action: () => unknown): MetrogateError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(MetrogateError);
    return error as MetrogateError;
  }
  throw new Error('expected an input error');
}

function canRun(
  flow: string,
  canVolume: string,
  canTemperature: string,
  fuelTemperature: string,
  indicatedVolume: string,
) {
  return { test: 'delivery', flow, canVolume, canTemperature, fuelTemperature, indicatedVolume };
}

function referenceRun(flow: string, referenceVolume: string, indicatedVolume: string) {
  return { test: 'delivery', flow, referenceVolume, indicatedVolume };
}

describe('worked vectors (metrology-rules.md §2(f))', () => {
  it('F1: gasoline, stainless can, no temperature difference: V_Bt = 20.005 L, E = +0.125 %, pass', () => {
    const result = only(
      run('JJG443-2023', GASOLINE_STAINLESS, [canRun('max', '20.000', '25.0', '25.0', '20.03')]),
    );
    expect(result).toMatchObject({
      correctedVolume: '20.005',
      errorPercent: '0.125',
      mpePercent: '0.30',
      pass: true,
    });
  });

  it('F2: the correction turns +0.25 % into −0.0093 %', () => {
    const corrected = only(
      run('JJG443-2023', GASOLINE_STAINLESS, [canRun('max', '19.950', '24.0', '26.0', '20.00')]),
    );
    expect(corrected).toMatchObject({ correctedVolume: '20.00187', errorPercent: '-0.0093', pass: true });
    const uncorrected = only(
      run('JJG443-2023', { kind: 'dispenser' }, [referenceRun('max', '19.950', '20.00')]),
    );
    expect(uncorrected.errorPercent).toBe('0.2506');
  });

  it('F3: carbon-steel can at 10 °C: V_Bt = 20.0414 L, E = −0.606 %, fail', () => {
    const instrument = { kind: 'dispenser', fuel: 'gasoline', canMaterial: 'carbon-steel' };
    const result = only(run('JJG443-2023', instrument, [canRun('max', '20.000', '10.0', '12.0', '19.92')]));
    expect(result).toMatchObject({ correctedVolume: '20.0414', errorPercent: '-0.6057', pass: false });
    expect(result.reason).toBeUndefined();
  });

  const f4Runs = ['100.12', '100.18', '100.05'].map((v) => referenceRun('Q1', '100', v));
  it.each([
    ['JJG443-2023', '0.10', 'fail'],
    ['JJG443-2015', '0.10', 'fail'],
    ['JJG443-2006', '0.15', 'pass'],
  ])('F4 under %s: each error passes; range 0.13 against the limit %s → %s', (ruleSet, limit, verdict) => {
    const result = run(ruleSet, { kind: 'dispenser' }, f4Runs);
    expect(result.tests.map((t) => [t.errorPercent, t.pass])).toEqual([
      ['0.12', true],
      ['0.18', true],
      ['0.05', true],
    ]);
    expect(result.groups).toEqual([
      { flow: 'Q1', runs: 3, rangePercent: '0.13', limitPercent: limit, pass: verdict === 'pass' },
    ]);
    expect(result.verdict).toBe(verdict);
  });

  it('F5: 7.89 × 20.03 = 158.0367; 158.04 passes (0.0033), 158.05 fails (0.0133)', () => {
    const result = run('JJG443-2023', { kind: 'dispenser' }, [
      { test: 'payment', unitPrice: 7.89, indicatedVolume: 20.03, indicatedAmount: 158.04 },
      { test: 'payment', unitPrice: '7.89', indicatedVolume: '20.03', indicatedAmount: '158.05' },
    ]);
    expect(result.tests).toEqual([
      {
        test: 'payment',
        unitPrice: '7.89',
        indicatedVolume: '20.03',
        indicatedAmount: '158.04',
        expectedAmount: '158.0367',
        error: '0.0033',
        mpe: '0.01',
        pass: true,
      },
      {
        test: 'payment',
        unitPrice: '7.89',
        indicatedVolume: '20.03',
        indicatedAmount: '158.05',
        expectedAmount: '158.0367',
        error: '0.0133',
        mpe: '0.01',
        pass: false,
      },
    ]);
    expect(result.verdict).toBe('fail');
  });

  it('F6: class 0.5, MMQ 2 L, R 0.01 L: Emin 20 mL; 2 L at +15 mL passes, 5 L at +30 mL against 25 mL fails', () => {
    const result = run('OIML-R117-1:2019', R117_CLASS_05, [
      referenceRun('max', '1.985', '2.000'),
      referenceRun('max', '4.970', '5.000'),
    ]);
    expect(result.tests[0]).toMatchObject({
      error: '0.015',
      errorPercent: '0.7557',
      mpe: '0.02',
      emin: '0.02',
      pass: true,
    });
    expect(result.tests[1]).toMatchObject({ error: '0.03', mpe: '0.025', pass: false });
    expect(result.verdict).toBe('fail');
  });

  it('F7: a meter alone is judged on line B (class 0.5 → 0.3 %): +0.05 L = +0.2506 % passes against 0.06 L', () => {
    const result = only(
      run('OIML-R117-1:2019', { ...R117_CLASS_05, component: 'meter' }, [
        referenceRun('max', '19.95', '20.00'),
      ]),
    );
    expect(result).toMatchObject({ error: '0.05', errorPercent: '0.2506', mpe: '0.06', pass: true });
    const system = only(run('OIML-R117-1:2019', R117_CLASS_05, [referenceRun('max', '19.95', '20.00')]));
    expect(system.mpe).toBe('0.1');
  });
});

describe('golden records (testcases/<case>/input.json → expected.json)', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), 'testcases');
  const cases = readdirSync(root);
  it('has the golden cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(8);
  });
  it.each(cases)('%s', (name) => {
    const input = JSON.parse(readFileSync(join(root, name, 'input.json'), 'utf8'));
    const expected = JSON.parse(readFileSync(join(root, name, 'expected.json'), 'utf8'));
    expect(evaluate(input)).toEqual(expected);
  });
});

describe('JJG 443', () => {
  it('judges runs labelled "mmq" against the minimum-measured-quantity limits', () => {
    const atMmq = run('JJG443-2006', { kind: 'dispenser' }, [referenceRun('mmq', '5', '5.02')]);
    expect(only(atMmq)).toMatchObject({ errorPercent: '0.4', mpePercent: '0.5', pass: true });
    const atMax = run('JJG443-2006', { kind: 'dispenser' }, [referenceRun('max', '5', '5.02')]);
    expect(only(atMax)).toMatchObject({ mpePercent: '0.3', pass: false });
  });

  it('uses the mmq repeatability limit for the "mmq" group', () => {
    const result = run('JJG443-2023', { kind: 'dispenser' }, [
      referenceRun('mmq', '5', '5.01'),
      referenceRun('mmq', '5', '5'),
    ]);
    expect(result.groups).toEqual([
      { flow: 'mmq', runs: 2, rangePercent: '0.2', limitPercent: '0.25', pass: true },
    ]);
  });

  it('judges a flow meter alone against the meter limits', () => {
    const result = run('JJG443-2006', { kind: 'dispenser', component: 'meter' }, [
      referenceRun('max', '100', '100.25'),
      referenceRun('max', '100', '100.2'),
    ]);
    expect(result.tests.map((t) => [t.mpePercent, t.pass])).toEqual([
      ['0.2', false],
      ['0.2', true],
    ]);
    expect(result.groups?.[0]).toMatchObject({ limitPercent: '0.1', pass: true });
  });

  it('applies the in-service multiplier, and config may override it (UNCONFIRMED)', () => {
    const tests = [referenceRun('max', '100', '100.4')];
    expect(only(run('JJG443-2023', { kind: 'dispenser' }, tests, 'in-service')).pass).toBe(false);
    const overridden = run('JJG443-2023', { kind: 'dispenser' }, tests, 'in-service', {
      'JJG443-2023': { inServiceMultiplier: '2' },
    });
    expect(only(overridden)).toMatchObject({ mpePercent: '0.6', pass: true });
    expect(overridden.overrides).toEqual({ inServiceMultiplier: '2' });
    expect(
      only(
        run('JJG443-2023', { kind: 'dispenser' }, tests, 'initial', {
          'JJG443-2023': { inServiceMultiplier: '2' },
        }),
      ).pass,
    ).toBe(false);
  });

  it('refuses to override a confirmed limit', () => {
    const error = inputErrorOf(() =>
      run('JJG443-2023', { kind: 'dispenser' }, [referenceRun('max', '100', '100')], 'initial', {
        'JJG443-2023': { mpePercent: '0.5' },
      }),
    );
    expect(error.code).toBe('MG_ERR_CONFIG_INVALID');
  });

  it('reports no group for a flow with a single run', () => {
    const result = run('JJG443-2023', { kind: 'dispenser' }, [
      referenceRun('max', '20', '20'),
      referenceRun('q2', '20', '20'),
    ]);
    expect(result.groups).toEqual([]);
    expect(result.verdict).toBe('pass');
  });

  it('lists groups in the order their flow first appears', () => {
    const result = run('JJG443-2023', { kind: 'dispenser' }, [
      referenceRun('q2', '20', '20'),
      referenceRun('max', '20', '20'),
      referenceRun('q2', '20', '20.01'),
      referenceRun('max', '20', '20'),
    ]);
    expect(result.groups?.map((g) => [g.flow, g.runs, g.rangePercent])).toEqual([
      ['q2', 2, '0.05'],
      ['max', 2, '0'],
    ]);
  });

  it('a temperature difference of exactly 4 °C is a valid run; above it the run is rejected naming the path', () => {
    const atLimit = run('JJG443-2023', GASOLINE_STAINLESS, [canRun('max', '20', '20', '24', '20.1')]);
    // V_Bt = 20 × (1 + 0.0012 × 4) = 20.096
    expect(only(atLimit).correctedVolume).toBe('20.096');
    const error = inputErrorOf(() =>
      run('JJG443-2023', GASOLINE_STAINLESS, [
        canRun('max', '20', '20', '24', '20.1'),
        canRun('max', '20', '24.1', '20', '20.1'),
      ]),
    );
    expect(error.code).toBe('MG_ERR_INPUT_INVALID');
    expect(error.details.path).toBe('tests[1].fuelTemperature');
    expect(error.message).toContain('4.1 °C exceeds 4 °C');
    expect(error.message).toContain('not a valid test');
  });

  it('uses the coefficients of kerosene, diesel and carbon steel', () => {
    // 20 × (1 + 0.0009 × 2 + 0.000033 × 5) = 20 × 1.001965 = 20.0393
    for (const fuel of ['kerosene', 'diesel']) {
      const result = run('JJG443-2015', { kind: 'dispenser', fuel, canMaterial: 'carbon-steel' }, [
        canRun('max', '20', '25', '27', '20.04'),
      ]);
      expect(only(result).correctedVolume).toBe('20.0393');
    }
  });

  it('takes the payment step from the instrument when it gives one', () => {
    const payment = {
      test: 'payment',
      unitPrice: '7.89',
      indicatedVolume: '20.03',
      indicatedAmount: '158.05',
    };
    expect(only(run('JJG443-2023', { kind: 'dispenser', minPaymentStep: '0.1' }, [payment]))).toMatchObject({
      mpe: '0.1',
      pass: true,
    });
  });
});

describe('OIML R 117-1', () => {
  it('Emin for MMQ < 2 L is twice the small-quantity value at the MMQ', () => {
    // MMQ 0.5 L, class 0.5: 0.4 L ≤ V < 1 L → 2 × 0.5 % × 0.5 L = 0.005 L; Emin = 0.01 L.
    const instrument = { kind: 'dispenser', mmq: '0.5', scaleInterval: '0.005' };
    const result = run('OIML-R117-1:2019', instrument, [
      referenceRun('max', '0.5', '0.51'),
      referenceRun('max', '0.7', '0.711'),
      referenceRun('max', '4.975', '5'),
    ]);
    expect(result.tests.map((t) => [t.emin, t.mpe, t.pass])).toEqual([
      ['0.01', '0.01', true],
      ['0.01', '0.01', false],
      ['0.01', '0.025', true],
    ]);
  });

  it('fails every delivery when Emin < 2R (the scale interval is too coarse for the MMQ)', () => {
    const instrument = { ...R117_CLASS_05, scaleInterval: '0.02' };
    const result = run('OIML-R117-1:2019', instrument, [referenceRun('max', '20', '20')]);
    expect(only(result)).toMatchObject({ error: '0', pass: false, reason: 'scale-interval-too-large' });
    // Exactly 2R is admissible.
    expect(
      only(
        run('OIML-R117-1:2019', { ...R117_CLASS_05, scaleInterval: '0.01' }, [
          referenceRun('max', '20', '20'),
        ]),
      ).pass,
    ).toBe(true);
  });

  it('fails a delivery below the MMQ with reason below-mmq', () => {
    const result = run('OIML-R117-1:2019', R117_CLASS_05, [referenceRun('max', '1.5', '1.5')]);
    expect(only(result)).toMatchObject({ pass: false, reason: 'below-mmq' });
  });

  it('accepts every class of Table 2 ("1" is class 1.0) and names an unknown class', () => {
    const one = run('OIML-R117-1:2019', { ...R117_CLASS_05, accuracyClass: 1 }, [
      referenceRun('max', '10', '10'),
    ]);
    expect(only(one).mpe).toBe('0.1');
    const error = inputErrorOf(() =>
      run('OIML-R117-1:2019', { ...R117_CLASS_05, accuracyClass: '0.7' }, [referenceRun('max', '10', '10')]),
    );
    expect(error.details.path).toBe('instrument.accuracyClass');
    expect(error.message).toContain('0.3, 0.5, 1.0, 1.5, 2.5');
  });

  it('defaults to class 0.5', () => {
    const { accuracyClass: _omitted, ...instrument } = R117_CLASS_05;
    expect(only(run('OIML-R117-1:2019', instrument, [referenceRun('max', '10', '10')])).mpe).toBe('0.05');
  });

  it('judges repeatability as 2/5 of line A, only over deliveries of at least 5 × MMQ', () => {
    const result = run('OIML-R117-1:2019', R117_CLASS_05, [
      referenceRun('max', '10', '10'),
      referenceRun('max', '10', '10.02'),
      referenceRun('max', '9.99', '9.99'),
      referenceRun('min', '5', '5'),
      referenceRun('min', '5', '5.02'),
    ]);
    expect(result.groups).toEqual([
      { flow: 'max', runs: 2, rangePercent: '0.2', limitPercent: '0.2', pass: true },
    ]);
  });

  it('subsequent verification uses its multiplier (UNCONFIRMED, default 1)', () => {
    const tests = [referenceRun('max', '19.85', '20')];
    expect(only(run('OIML-R117-1:2019', R117_CLASS_05, tests, 'subsequent'))).toMatchObject({
      mpe: '0.1',
      pass: false,
    });
    const doubled = run('OIML-R117-1:2019', R117_CLASS_05, tests, 'subsequent', {
      'OIML-R117-1:2019': { subsequentMultiplier: '2' },
    });
    expect(only(doubled)).toMatchObject({ mpe: '0.2', pass: true });
  });

  it('in service allows twice the MPE below zero (over-delivery) and once above (short delivery)', () => {
    const result = run(
      'OIML-R117-1:2019',
      R117_CLASS_05,
      [
        referenceRun('a', '20.2', '20'),
        referenceRun('b', '20.21', '20'),
        referenceRun('c', '19.9', '20'),
        referenceRun('d', '19.89', '20'),
      ],
      'in-service',
    );
    expect(result.tests.map((t) => [t.error, t.lower, t.upper, t.pass])).toEqual([
      ['-0.2', '-0.2', '0.1', true],
      ['-0.21', '-0.2', '0.1', false],
      ['0.1', '-0.2', '0.1', true],
      ['0.11', '-0.2', '0.1', false],
    ]);
  });

  it('needs no MMQ or scale interval for payment tests alone', () => {
    const result = run('OIML-R117-1:2019', { kind: 'dispenser' }, [
      { test: 'payment', unitPrice: '1.5', indicatedVolume: '10', indicatedAmount: '15' },
    ]);
    expect(result.verdict).toBe('pass');
  });

  it('accepts the standard-can method too', () => {
    const instrument = { ...R117_CLASS_05, fuel: 'gasoline', canMaterial: 'stainless-steel' };
    const result = only(
      run('OIML-R117-1:2019', instrument, [canRun('max', '20.000', '25.0', '25.0', '20.03')]),
    );
    // The MPE applies to the indicated quantity: 0.5 % × 20.03 L.
    expect(result).toMatchObject({ correctedVolume: '20.005', error: '0.025', mpe: '0.10015', pass: true });
  });
});

describe('input errors name their path', () => {
  const cases: Array<[string, string, object, unknown[], string]> = [
    ['unknown test', 'JJG443-2023', { kind: 'dispenser' }, [{ test: 'zero' }], 'tests[0].test'],
    [
      'missing indicated volume',
      'JJG443-2023',
      { kind: 'dispenser' },
      [{ test: 'delivery', flow: 'max', referenceVolume: 20 }],
      'tests[0].indicatedVolume',
    ],
    [
      'missing flow',
      'JJG443-2023',
      { kind: 'dispenser' },
      [{ test: 'delivery', indicatedVolume: 20, referenceVolume: 20 }],
      'tests[0].flow',
    ],
    ['empty flow', 'JJG443-2023', { kind: 'dispenser' }, [referenceRun('', '20', '20')], 'tests[0].flow'],
    [
      'both methods',
      'JJG443-2023',
      GASOLINE_STAINLESS,
      [{ ...canRun('max', '20', '20', '20', '20'), referenceVolume: '20' }],
      'tests[0].canVolume',
    ],
    [
      'incomplete can method',
      'JJG443-2023',
      GASOLINE_STAINLESS,
      [{ test: 'delivery', flow: 'max', indicatedVolume: '20', canVolume: '20', fuelTemperature: '20' }],
      'tests[0].canTemperature',
    ],
    [
      'no reference at all',
      'JJG443-2023',
      GASOLINE_STAINLESS,
      [{ test: 'delivery', flow: 'max', indicatedVolume: '20' }],
      'tests[0].canVolume',
    ],
    [
      'negative volume',
      'JJG443-2023',
      { kind: 'dispenser' },
      [referenceRun('max', '20', '-1')],
      'tests[0].indicatedVolume',
    ],
    [
      'zero reference volume',
      'JJG443-2023',
      { kind: 'dispenser' },
      [referenceRun('max', '0', '1')],
      'tests[0].referenceVolume',
    ],
    [
      'bad decimal',
      'JJG443-2006',
      { kind: 'dispenser' },
      [referenceRun('max', '20', '2O.0')],
      'tests[0].indicatedVolume',
    ],
    [
      'can method without fuel',
      'JJG443-2023',
      { kind: 'dispenser', canMaterial: 'carbon-steel' },
      [canRun('max', '20', '20', '20', '20')],
      'instrument.fuel',
    ],
    [
      'can method without material',
      'JJG443-2023',
      { kind: 'dispenser', fuel: 'diesel' },
      [canRun('max', '20', '20', '20', '20')],
      'instrument.canMaterial',
    ],
    [
      'unknown fuel',
      'JJG443-2023',
      { kind: 'dispenser', fuel: 'lpg' },
      [referenceRun('max', '20', '20')],
      'instrument.fuel',
    ],
    [
      'zero payment step',
      'JJG443-2023',
      { kind: 'dispenser', minPaymentStep: 0 },
      [referenceRun('max', '20', '20')],
      'instrument.minPaymentStep',
    ],
    [
      'R 117 without MMQ',
      'OIML-R117-1:2019',
      { kind: 'dispenser', scaleInterval: '0.01' },
      [referenceRun('max', '20', '20')],
      'instrument.mmq',
    ],
    [
      'R 117 without R',
      'OIML-R117-1:2019',
      { kind: 'dispenser', mmq: '2' },
      [referenceRun('max', '20', '20')],
      'instrument.scaleInterval',
    ],
    [
      'payment without price',
      'OIML-R117-1:2019',
      { kind: 'dispenser' },
      [{ test: 'payment', indicatedVolume: 1, indicatedAmount: 1 }],
      'tests[0].unitPrice',
    ],
    [
      'zero unit price',
      'JJG443-2015',
      { kind: 'dispenser' },
      [{ test: 'payment', unitPrice: 0, indicatedVolume: 1, indicatedAmount: 1 }],
      'tests[0].unitPrice',
    ],
    [
      'not an object',
      'JJG443-2015',
      { kind: 'dispenser' },
      [referenceRun('max', '20', '20'), 'delivery'],
      'tests[1]',
    ],
  ];
  it.each(cases)('%s (%s)', (_name, ruleSet, instrument, tests, path) => {
    const error = inputErrorOf(() => run(ruleSet, instrument, tests));
    expect(error.code).toBe('MG_ERR_INPUT_INVALID');
    expect(error.details.path).toBe(path);
    expect(error.message.startsWith(`${path}: `)).toBe(true);
  });
});

describe('rule-set data', () => {
  const ruleSets = [jjg443_2006, jjg443_2015, jjg443_2023, oimlR117_2019];
  const decimal = /^\d+(\.\d+)?$/;

  it.each(ruleSets.map((r) => [r.id, r] as const))(
    '%s: every number has a source and a status',
    (_id, ruleSet) => {
      const numbers = [
        ...Object.values(ruleSet.parameters),
        ...Object.values(ruleSet.informational),
        ...Object.values(ruleSet.canMethod.fuelExpansion),
        ...Object.values(ruleSet.canMethod.canExpansion),
        ruleSet.canMethod.referenceTemperature,
        ruleSet.canMethod.maxTemperatureDifference,
      ];
      for (const number of numbers) {
        expect(number.value).toMatch(decimal);
        expect(number.source.length).toBeGreaterThan(10);
        expect(['CONFIRMED', 'SECONDARY', 'UNCONFIRMED']).toContain(number.status);
      }
      const names = ruleSet.family === 'jjg443' ? JJG443_PARAMETER_NAMES : R117_PARAMETER_NAMES;
      expect(Object.keys(ruleSet.parameters).sort()).toEqual([...names].sort());
    },
  );

  it('holds the edition differences of Table 2.3', () => {
    expect(jjg443_2006.parameters.repeatabilityLimitPercent.value).toBe('0.15');
    expect(jjg443_2015.parameters.repeatabilityLimitPercent.value).toBe('0.10');
    expect(jjg443_2023.parameters.repeatabilityLimitPercent.value).toBe('0.10');
    expect(jjg443_2023.parameters.mpePercent).toMatchObject({ value: '0.30', status: 'CONFIRMED' });
    expect(jjg443_2023.parameters.mmqMpePercent.status).toBe('UNCONFIRMED');
    expect(jjg443_2023.parameters.minPaymentStep).toMatchObject({ value: '0.01', status: 'UNCONFIRMED' });
  });

  it('holds the expansion coefficients of §2(c)', () => {
    const { fuelExpansion, canExpansion } = jjg443_2023.canMethod;
    expect([fuelExpansion.gasoline.value, fuelExpansion.kerosene.value, fuelExpansion.diesel.value]).toEqual([
      '0.0012',
      '0.0009',
      '0.0009',
    ]);
    expect([canExpansion['stainless-steel'].value, canExpansion['carbon-steel'].value]).toEqual([
      '0.000050',
      '0.000033',
    ]);
  });

  it('dispenserEntry binds the rule set', () => {
    expect(dispenserEntry(jjg443_2015).ruleSet).toBe(jjg443_2015);
  });
});

describe('totalizer check', () => {
  const record = (before: string, after: string, delivered: string) =>
    evaluate({
      ruleSet: 'JJG443-2023',
      stage: 'initial',
      instrument: { kind: 'dispenser' },
      tests: [
        { test: 'totalizer', nozzle: 1, totalBefore: before, totalAfter: after, deliveredVolume: delivered },
      ],
    });

  it('passes when the totalizer advanced by exactly the delivered volume', () => {
    const result = record('123456.78', '123516.84', '60.06');
    expect(result.tests[0]).toMatchObject({ test: 'totalizer', nozzle: 1, error: '0', pass: true });
    expect(result.verdict).toBe('pass');
  });

  it('fails with a reason when it did not', () => {
    const result = record('123456.78', '123516.83', '60.06');
    expect(result.tests[0]).toMatchObject({ error: '-0.01', pass: false, reason: 'totalizer-mismatch' });
    expect(result.verdict).toBe('fail');
  });

  it('names a missing field', () => {
    expect(() =>
      evaluate({
        ruleSet: 'JJG443-2023',
        stage: 'initial',
        instrument: { kind: 'dispenser' },
        tests: [{ test: 'totalizer', totalBefore: '1', totalAfter: '2' }],
      }),
    ).toThrow(/tests\[0\]\.deliveredVolume/);
  });
});
