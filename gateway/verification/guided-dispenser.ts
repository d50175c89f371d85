/**
 * Walks a dispenser's verification against the pump itself: for each delivery the pump is reset and
 * authorized through its driver, the technician (or the simulator, --auto) fills the standard can
 * at the step's flow rate, and the dispenser's volume, amount and unit price are read
 * electronically; only the can reading and the two temperatures come from the technician. The
 * payment check uses the last delivery as the dispenser reported it, and the totalizer of the nozzle
 * must have advanced by exactly the indicated volumes.
 */
import { throwIfAborted } from '../../drivers/abort.js';
import type { DispenserDriver, DispenserTransaction } from '../../drivers/contract.js';
import { Dec } from '../../drivers/decimal.js';
import { MetrogateError } from '../../drivers/errors.js';
import type { DispenserPlanStep } from './dispenser/plan.js';

export interface DispenserOperator {
  /** At an authorized pump: lift `nozzle`, fill about `volume` L at `flow` L/min, hang up. */
  fill(step: DispenserPlanStep, nozzle: number, flow: string, volume: string): Promise<void>;
  /** The technician's readings for the delivery just made (can volume and temperatures, or a reference volume). */
  readReference(step: DispenserPlanStep, fields: readonly string[]): Promise<Record<string, string>>;
}

export interface GuidedDispenserOptions {
  driver: DispenserDriver;
  operator: DispenserOperator;
  steps: readonly DispenserPlanStep[];
  nozzle: number;
  /** Flow rate (L/min) for each flow label of the plan ("max", "q2", "min"). */
  flows: Readonly<Record<string, string>>;
  /** Nominal volume of the standard can, L. */
  canVolume: string;
  signal: AbortSignal;
  onStep?: (step: DispenserPlanStep, test: Record<string, unknown>, index: number, total: number) => void;
}

async function totalOf(driver: DispenserDriver, nozzle: number, signal: AbortSignal): Promise<string> {
  const totals = await driver.readTotals(signal, nozzle);
  const entry = totals.find((t) => t.nozzle === nozzle);
  if (!entry) {
    throw new MetrogateError(
      'MG_ERR_DEVICE_ERROR',
      `${driver.deviceId}: no totalizer reported for nozzle ${nozzle}`,
      { device: driver.deviceId },
    );
  }
  return entry.volumeTotal;
}

export async function runGuidedDispenser(
  options: GuidedDispenserOptions,
): Promise<Record<string, unknown>[]> {
  const { driver, operator, signal } = options;
  const tests: Record<string, unknown>[] = [];
  const totalBefore = await totalOf(driver, options.nozzle, signal);
  let delivered = new Dec(0);
  let last: DispenserTransaction | undefined;
  for (const [index, step] of options.steps.entries()) {
    throwIfAborted(signal);
    let test: Record<string, unknown>;
    if (step.test === 'delivery') {
      const label = step.preset.flow ?? 'max';
      const flow = options.flows[label];
      if (!flow) {
        throw new MetrogateError(
          'MG_ERR_INPUT_INVALID',
          `--flows: no flow rate for "${label}" (give e.g. ${label}=50)`,
          { path: '--flows' },
        );
      }
      await driver.reset(signal);
      await driver.authorize(signal);
      await operator.fill(step, options.nozzle, flow, options.canVolume);
      last = await driver.readTransaction(signal);
      if (last.nozzle !== 0 && last.nozzle !== options.nozzle) {
        throw new MetrogateError(
          'MG_ERR_DEVICE_ERROR',
          `${driver.deviceId}: delivered with nozzle ${last.nozzle}, expected ${options.nozzle}`,
          {
            device: driver.deviceId,
          },
        );
      }
      delivered = delivered.plus(last.volume);
      const technicianFields = step.capture.filter((f) => f.from === 'technician').map((f) => f.name);
      test = {
        ...step.preset,
        indicatedVolume: last.volume,
        ...(await operator.readReference(step, technicianFields)),
      };
    } else {
      if (!last)
        throw new MetrogateError('MG_ERR_INPUT_INVALID', 'the payment check needs a delivery before it', {});
      test = {
        test: 'payment',
        unitPrice: last.unitPrice,
        indicatedVolume: last.volume,
        indicatedAmount: last.amount,
      };
    }
    tests.push(test);
    options.onStep?.(step, test, index, options.steps.length);
  }
  const totalAfter = await totalOf(driver, options.nozzle, signal);
  tests.push({
    test: 'totalizer',
    nozzle: options.nozzle,
    totalBefore,
    totalAfter,
    deliveredVolume: delivered.toFixed(),
  });
  return tests;
}
