/**
 * The guided procedure for a dispenser (ARCHITECTURE.md "procedure"): deliveries at two flow
 * rates, `runsPerFlow` runs each, then the amount-to-pay check. Pure: the same rule set,
 * instrument and overrides always give the same plan. Each step says which fields of a bench-record
 * test it fills and whether the dispenser (a driver reading) or the technician supplies them; the
 * filled steps, in order, are the `tests` of the record that `evaluate` judges.
 */
import type { Dec } from '../../../drivers/decimal.js';
import { MetrogateError } from '../../../drivers/errors.js';
import { resolveParameters } from '../parameters.js';
import type { RuleSetId } from '../types.js';
import type { DispenserRuleSet, PlanFlow } from './rule-set.js';
import { parseDispenserInstrument } from './schemas.js';

export interface PlanField {
  /** The field of the bench-record test (contracts.md §1). */
  name: string;
  /** `dispenser`: read from the instrument (its driver or display); `technician`: read off the standard. */
  from: 'dispenser' | 'technician';
  unit: string;
  description: string;
}

export interface DispenserPlanStep {
  /** 1-based position in the procedure. */
  step: number;
  test: 'delivery' | 'payment';
  /** Fields of the test known before the step, e.g. `{ test: 'delivery', flow: 'max' }`. */
  preset: Readonly<Record<string, string>>;
  /** Delivery steps: the run number at this flow and the number of runs there. */
  run?: number;
  runs?: number;
  instruction: string;
  capture: readonly PlanField[];
}

export interface DispenserTestPlan {
  ruleSet: RuleSetId;
  /** `standard-can` when the instrument names its fuel and can material, else `reference-volume`. */
  method: 'standard-can' | 'reference-volume';
  steps: DispenserPlanStep[];
}

const INDICATED_VOLUME: PlanField = {
  name: 'indicatedVolume',
  from: 'dispenser',
  unit: 'L',
  description: 'volume shown by the dispenser (V_J)',
};

const CAN_FIELDS: readonly PlanField[] = [
  INDICATED_VOLUME,
  {
    name: 'canVolume',
    from: 'technician',
    unit: 'L',
    description: 'reading of the standard can neck scale (V_B)',
  },
  {
    name: 'fuelTemperature',
    from: 'technician',
    unit: '°C',
    description: 'fuel temperature at the dispenser (t_J)',
  },
  {
    name: 'canTemperature',
    from: 'technician',
    unit: '°C',
    description: 'fuel temperature in the can (t_B)',
  },
];

const REFERENCE_FIELDS: readonly PlanField[] = [
  INDICATED_VOLUME,
  {
    name: 'referenceVolume',
    from: 'technician',
    unit: 'L',
    description: 'volume measured by the reference standard',
  },
];

const PAYMENT_FIELDS: readonly PlanField[] = [
  { name: 'unitPrice', from: 'dispenser', unit: 'per L', description: 'unit price shown by the dispenser' },
  { name: 'indicatedVolume', from: 'dispenser', unit: 'L', description: 'volume shown by the dispenser' },
  {
    name: 'indicatedAmount',
    from: 'dispenser',
    unit: 'currency',
    description: 'amount to pay shown by the dispenser',
  },
];

/**
 * @param instrument the `instrument` object of the bench record (errors name `instrument.*`)
 * @param overrides config overrides of the rule set's UNCONFIRMED parameters (e.g. `runsPerFlow`)
 */
export function dispenserTestPlan(
  ruleSet: DispenserRuleSet,
  instrument: unknown,
  overrides: Record<string, string> = {},
): DispenserTestPlan {
  const parsed = parseDispenserInstrument(instrument);
  const params = resolveParameters(ruleSet, overrides);
  const runs = runsPerFlow(ruleSet, params.get('runsPerFlow'));
  const method =
    parsed.fuel !== undefined && parsed.canMaterial !== undefined ? 'standard-can' : 'reference-volume';
  const paymentStep = parsed.minPaymentStep ?? params.get('minPaymentStep');

  let minimumDelivery: Dec | undefined;
  if (ruleSet.family === 'oiml-r117' && parsed.mmq !== undefined) {
    minimumDelivery = parsed.mmq.times(params.get('repeatabilityMinQuantityFactor'));
  }

  const steps: DispenserPlanStep[] = [];
  for (const flow of ruleSet.procedure.flows) {
    for (let run = 1; run <= runs; run++) {
      steps.push({
        step: steps.length + 1,
        test: 'delivery',
        preset: { test: 'delivery', flow: flow.label },
        run,
        runs,
        instruction: deliveryInstruction(ruleSet, method, flow, run, runs, minimumDelivery),
        capture: method === 'standard-can' ? CAN_FIELDS : REFERENCE_FIELDS,
      });
    }
  }
  steps.push({
    step: steps.length + 1,
    test: 'payment',
    preset: { test: 'payment' },
    instruction:
      'With the unit price set, make a delivery and read the unit price, the volume and the amount to pay from the ' +
      `dispenser; |amount − unit price × volume| must not exceed ${paymentStep.toFixed()}.`,
    capture: PAYMENT_FIELDS,
  });
  return { ruleSet: ruleSet.id, method, steps };
}

function runsPerFlow(ruleSet: DispenserRuleSet, value: Dec): number {
  if (!value.isInteger() || value.lt(1) || value.gt(100)) {
    throw new MetrogateError(
      'MG_ERR_CONFIG_INVALID',
      `verification.overrides.${ruleSet.id}.runsPerFlow: expected a whole number of runs from 1 to 100, got ${value.toFixed()}`,
      { path: `verification.overrides.${ruleSet.id}.runsPerFlow` },
    );
  }
  return value.toNumber();
}

function deliveryInstruction(
  ruleSet: DispenserRuleSet,
  method: DispenserTestPlan['method'],
  flow: PlanFlow,
  run: number,
  runs: number,
  minimumDelivery: Dec | undefined,
): string {
  const at = `Run ${run} of ${runs} at the ${flow.description} (flow "${flow.label}")`;
  const quantity = minimumDelivery
    ? ` Deliver at least ${minimumDelivery.toFixed()} L so that the run counts for repeatability.`
    : '';
  if (method === 'standard-can') {
    const limit = ruleSet.canMethod.maxTemperatureDifference.value;
    return (
      `${at}: deliver into the standard can.${quantity} Read the dispenser's volume, the can's neck scale, and the fuel ` +
      `temperature at the nozzle and in the can; they must agree within ${limit} °C or the run is no test.`
    );
  }
  return `${at}: deliver into the reference standard.${quantity} Read the dispenser's volume and the reference volume.`;
}
