import { describe, expect, it } from 'vitest';
import { MetrogateError } from '../../../drivers/errors.js';
import { evaluate } from '../evaluate.js';
import { jjg443_2015 } from '../rules/jjg443-2015.js';
import { jjg443_2023 } from '../rules/jjg443-2023.js';
import { oimlR117_2019 } from '../rules/oiml-r117-1-2019.js';
import { dispenserTestPlan } from './index.js';

const CAN_INSTRUMENT = { kind: 'dispenser', fuel: 'diesel', canMaterial: 'stainless-steel' };

function errorOf(action: () => unknown): MetrogateError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(MetrogateError);
    return error as MetrogateError;
  }
  throw new Error('expected an error');
}

describe('dispenserTestPlan', () => {
  it('JJG 443-2023: three runs at Q1, three at Q2, then the payment check, with the standard can', () => {
    const plan = dispenserTestPlan(jjg443_2023, CAN_INSTRUMENT);
    expect(plan.ruleSet).toBe('JJG443-2023');
    expect(plan.method).toBe('standard-can');
    expect(plan.steps.map((s) => [s.step, s.test, s.preset.flow, s.run, s.runs])).toEqual([
      [1, 'delivery', 'max', 1, 3],
      [2, 'delivery', 'max', 2, 3],
      [3, 'delivery', 'max', 3, 3],
      [4, 'delivery', 'q2', 1, 3],
      [5, 'delivery', 'q2', 2, 3],
      [6, 'delivery', 'q2', 3, 3],
      [7, 'payment', undefined, undefined, undefined],
    ]);
    expect(plan.steps[0]!.capture.map((f) => [f.name, f.from])).toEqual([
      ['indicatedVolume', 'dispenser'],
      ['canVolume', 'technician'],
      ['fuelTemperature', 'technician'],
      ['canTemperature', 'technician'],
    ]);
    expect(plan.steps[0]!.instruction).toContain('4 °C');
    expect(plan.steps[6]!.capture.map((f) => f.name)).toEqual([
      'unitPrice',
      'indicatedVolume',
      'indicatedAmount',
    ]);
    expect(plan.steps[6]!.instruction).toContain('0.01');
  });

  it('R 117: maximum and minimum flow against a reference volume, at least 5 × MMQ per run', () => {
    const plan = dispenserTestPlan(oimlR117_2019, {
      kind: 'dispenser',
      mmq: '2',
      scaleInterval: '0.01',
      minPaymentStep: '0.05',
    });
    expect(plan.method).toBe('reference-volume');
    expect([...new Set(plan.steps.filter((s) => s.test === 'delivery').map((s) => s.preset.flow))]).toEqual([
      'max',
      'min',
    ]);
    expect(plan.steps[0]!.capture.map((f) => f.name)).toEqual(['indicatedVolume', 'referenceVolume']);
    expect(plan.steps[0]!.instruction).toContain('at least 10 L');
    expect(plan.steps.at(-1)!.instruction).toContain('0.05');
  });

  it('takes the number of runs from an UNCONFIRMED parameter and refuses to override a SECONDARY one', () => {
    expect(dispenserTestPlan(jjg443_2015, CAN_INSTRUMENT, { runsPerFlow: '2' }).steps).toHaveLength(5);
    expect(errorOf(() => dispenserTestPlan(jjg443_2023, CAN_INSTRUMENT, { runsPerFlow: '2' })).code).toBe(
      'MG_ERR_CONFIG_INVALID',
    );
    const fractional = errorOf(() => dispenserTestPlan(jjg443_2015, CAN_INSTRUMENT, { runsPerFlow: '2.5' }));
    expect(fractional.code).toBe('MG_ERR_CONFIG_INVALID');
    expect(fractional.details.path).toBe('verification.overrides.JJG443-2015.runsPerFlow');
  });

  it('names the instrument field at fault', () => {
    const error = errorOf(() => dispenserTestPlan(jjg443_2023, { kind: 'dispenser', canMaterial: 'glass' }));
    expect(error.code).toBe('MG_ERR_INPUT_INVALID');
    expect(error.details.path).toBe('instrument.canMaterial');
  });

  it('is pure: the same input gives the same plan', () => {
    expect(dispenserTestPlan(jjg443_2023, CAN_INSTRUMENT)).toEqual(
      dispenserTestPlan(jjg443_2023, CAN_INSTRUMENT),
    );
  });

  it('filled in step by step, the plan is a bench record that evaluate judges', () => {
    const plan = dispenserTestPlan(jjg443_2023, CAN_INSTRUMENT);
    const readings: Record<string, string>[] = [
      { indicatedVolume: '20.01', canVolume: '20.000', fuelTemperature: '21.0', canTemperature: '20.0' },
      { indicatedVolume: '20.02', canVolume: '20.000', fuelTemperature: '21.0', canTemperature: '20.0' },
      { indicatedVolume: '20.02', canVolume: '20.000', fuelTemperature: '21.0', canTemperature: '20.0' },
      { indicatedVolume: '20.00', canVolume: '20.000', fuelTemperature: '20.0', canTemperature: '20.0' },
      { indicatedVolume: '20.01', canVolume: '20.000', fuelTemperature: '20.0', canTemperature: '20.0' },
      { indicatedVolume: '20.00', canVolume: '20.000', fuelTemperature: '20.0', canTemperature: '20.0' },
      { unitPrice: '8.00', indicatedVolume: '20.00', indicatedAmount: '160.00' },
    ];
    const tests = plan.steps.map((step, i) => {
      const values = readings[i]!;
      expect(Object.keys(values).sort()).toEqual(step.capture.map((f) => f.name).sort());
      return { ...step.preset, ...values };
    });
    const result = evaluate({ ruleSet: plan.ruleSet, stage: 'initial', instrument: CAN_INSTRUMENT, tests });
    expect(result.tests).toHaveLength(7);
    expect(result.groups?.map((g) => [g.flow, g.runs, g.rangePercent, g.pass])).toEqual([
      ['max', 3, '0.05', true],
      ['q2', 3, '0.05', true],
    ]);
    expect(result.verdict).toBe('pass');
  });
});
