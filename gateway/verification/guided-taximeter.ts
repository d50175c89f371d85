/**
 * Walks a taximeter's bench verification (JJG 517 本机检定): distance at each bench point by
 * feeding pulses at the meter's constant k until the meter shows the point (the pulse count N is
 * what the bench records), time by holding the meter hired over a measured interval, and the fare
 * of a scripted trip, read electronically from the meter's trip record (JT/T 905 0x00E8) when a
 * driver is connected. The bench is an operator: the technician with their own pulse generator,
 * or the simulator's pulse generator and display (`--auto`).
 */
import { throwIfAborted } from '../../drivers/abort.js';
import type { TaximeterDriver } from '../../drivers/contract.js';
import { MetrogateError } from '../../drivers/errors.js';
import type { TaximeterPlanStep } from './taximeter/types.js';

export interface TaximeterBench {
  /** Hire the meter and feed pulses until it shows `distance` m; resolves with the pulses counted (N). */
  distanceByPulses(step: TaximeterPlanStep, distance: string): Promise<string>;
  /** Hold the meter hired, standing, for `seconds` of reference time; resolves with its time indication over it. */
  timeOver(step: TaximeterPlanStep, seconds: string): Promise<string>;
  /** Drive the scripted trip (metres in seconds) and end it, so the meter records it. */
  scriptedTrip(step: TaximeterPlanStep, distance: string, duration: string): Promise<void>;
  /** The fare shown, when no driver reads it electronically. */
  readFare(step: TaximeterPlanStep): Promise<string>;
  /** Installed variant: the true (roller or road) distance when the meter shows `distance` m. */
  trueDistanceAt(step: TaximeterPlanStep, distance: string): Promise<string>;
}

export interface GuidedTaximeterOptions {
  bench: TaximeterBench;
  driver?: TaximeterDriver;
  steps: readonly TaximeterPlanStep[];
  signal: AbortSignal;
  onStep?: (step: TaximeterPlanStep, test: Record<string, unknown>, index: number, total: number) => void;
}

export async function runGuidedTaximeter(
  options: GuidedTaximeterOptions,
): Promise<Record<string, unknown>[]> {
  const { bench, driver, signal } = options;
  const tests: Record<string, unknown>[] = [];
  for (const [index, step] of options.steps.entries()) {
    throwIfAborted(signal);
    const test: Record<string, unknown> = { test: step.test, ...step.given };
    if (step.test === 'distance' && step.given.testDistance !== undefined) {
      test.pulses = await bench.distanceByPulses(step, step.given.testDistance);
    } else if (step.test === 'distance' && step.given.indicatedDistance !== undefined) {
      test.trueDistance = await bench.trueDistanceAt(step, step.given.indicatedDistance);
    } else if (step.test === 'time') {
      test.indicated = await bench.timeOver(step, step.given.reference ?? '600');
    } else if (step.test === 'fare') {
      const distance = step.given.distance ?? '0';
      const duration = step.given.duration ?? '0';
      await bench.scriptedTrip(step, distance, duration);
      if (driver) {
        const trip = await driver.lastTrip(signal);
        if (!trip)
          throw new MetrogateError(
            'MG_ERR_DEVICE_ERROR',
            `${driver.deviceId}: no trip record after the scripted trip`,
            { device: driver.deviceId },
          );
        test.indicatedFare = trip.fare;
      } else {
        test.indicatedFare = await bench.readFare(step);
      }
    }
    for (const field of step.capture) {
      if (test[field] === undefined) {
        throw new MetrogateError('MG_ERR_INPUT_INVALID', `step ${step.id}: nothing captured for ${field}`, {
          path: step.id,
        });
      }
    }
    tests.push(test);
    options.onStep?.(step, test, index, options.steps.length);
  }
  return tests;
}
