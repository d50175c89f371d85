/**
 * The guided taximeter procedure (metrology-rules.md §3(b)) as data: which values the bench fixes,
 * which the technician reads, and what a correct meter would show. Pure: the same rule set,
 * instrument and variant always give the same plan.
 *
 * - bench (本机, pulse generator at the meter's constant k): distance at each bench point (1, 2 and
 *   3 km shown by the meter; read the pulse count), one time test against the stopwatch, and the
 *   fare: in mode D one trip past the included distance; in mode S one trip above the cross-over
 *   speed (distance tariff) and one standstill wait (time tariff), each only where its rate is not 0.
 * - installed (装车后, roller or road): distance at each installed point (read the true distance
 *   when the meter shows it); only for rule sets that judge an installed taximeter.
 */
import { Dec } from '../../../drivers/decimal.js';
import { inputError, parseInput } from '../input.js';
import { expectedFare, fareOf } from './fare.js';
import { shownText } from './limits.js';
import { type Tariff, taximeterInstrumentSchema } from './schema.js';
import {
  FARE_ROUNDING_CODES,
  type FareRounding,
  type TaximeterPlanStep,
  type TaximeterRuleSet,
  type TaximeterTestPlan,
} from './types.js';

/** Distance past the included distance on a fare trip, m. */
const FARE_TRIP_EXTRA_DISTANCE = new Dec(3000);
/** Seconds per metre at 60 km/h: the bench speed of the distance-tariff trip unless v_c needs faster. */
const SECONDS_PER_METRE_AT_60 = new Dec('0.06');
/** Time-tariff wait beyond the flag-fall allowance, s. */
const FARE_WAIT_EXTRA = new Dec(600);

export function taximeterTestPlan(
  ruleSet: TaximeterRuleSet,
  instrument: unknown,
  variant: 'bench' | 'installed',
): TaximeterTestPlan {
  const parsed = parseInput(taximeterInstrumentSchema, instrument, 'instrument');
  if (variant === 'installed') {
    if (!ruleSet.installedDistance.judged) {
      throw inputError(
        'variant',
        `${ruleSet.id} judges no installed taximeter: ${ruleSet.installedDistance.why}`,
      );
    }
    return { ruleSet: ruleSet.id, variant, steps: installedDistanceSteps(ruleSet) };
  }
  if (variant !== 'bench')
    throw inputError('variant', `expected "bench" or "installed", got ${JSON.stringify(variant)}`);
  if (!parsed.k)
    throw inputError('instrument.k', 'required by a bench test plan (the bench runs at the constant k)');
  if (!parsed.tariff) throw inputError('instrument.tariff', 'required by a bench test plan (the fare test)');
  const rounding =
    FARE_ROUNDING_CODES[ruleSet.parameters.fareRounding.value as keyof typeof FARE_ROUNDING_CODES];
  return {
    ruleSet: ruleSet.id,
    variant,
    steps: [
      ...benchDistanceSteps(ruleSet, parsed.k),
      timeStep(ruleSet),
      ...fareSteps(parsed.tariff, rounding ?? 'exact'),
    ],
  };
}

/** The bench-record test for a step once its captured values are known. */
export function planStepTest(
  step: TaximeterPlanStep,
  captured: Readonly<Record<string, string | number>>,
): Record<string, string | number> {
  for (const field of step.capture) {
    if (!(field in captured)) throw inputError(`captured.${field}`, `step ${step.id} needs ${field}`);
  }
  return { test: step.test, ...step.given, ...captured };
}

function kmLabel(metres: string): string {
  return `${new Dec(metres).div(1000).toFixed()}km`;
}

function benchDistanceSteps(ruleSet: TaximeterRuleSet, k: Dec): TaximeterPlanStep[] {
  return ruleSet.procedure.benchDistancePoints.map((point) => ({
    id: `distance-${kmLabel(point)}`,
    test: 'distance',
    instruction: `Run the bench at k = ${k.toFixed()} pulses/km from 0 until the taximeter shows ${point} m; read the pulses the bench counted.`,
    given: { testDistance: point },
    capture: ['pulses'],
    expected: { pulses: shownText(k.mul(point).div(1000)) },
  }));
}

function installedDistanceSteps(ruleSet: TaximeterRuleSet): TaximeterPlanStep[] {
  return ruleSet.procedure.installedDistancePoints.map((point) => ({
    id: `distance-${kmLabel(point)}`,
    test: 'distance',
    instruction: `Drive on the rollers or the surveyed road from 0 until the taximeter shows ${point} m; read the true distance (m).`,
    given: { indicatedDistance: point },
    capture: ['trueDistance'],
    expected: { trueDistance: point },
  }));
}

function timeStep(ruleSet: TaximeterRuleSet): TaximeterPlanStep {
  const reference = ruleSet.procedure.timeReference;
  return {
    id: 'time',
    test: 'time',
    instruction: `Start the taximeter and the stopwatch together; at ${reference} s on the stopwatch read the time the taximeter counted (s).`,
    given: { reference },
    capture: ['indicated'],
    expected: { indicated: reference },
  };
}

function fareStep(
  id: string,
  instruction: string,
  tariff: Tariff,
  distance: Dec,
  duration: Dec,
  rounding: FareRounding,
) {
  const fare = expectedFare(tariff, distance, duration, rounding);
  const step: TaximeterPlanStep = {
    id,
    test: 'fare',
    instruction,
    given: { distance: distance.toFixed(), duration: duration.toFixed() },
    capture: ['indicatedFare'],
    expected: { indicatedFare: shownText(fareOf(fare)), tariffApplied: fare.tariffApplied },
  };
  return step;
}

function fareSteps(tariff: Tariff, rounding: FareRounding): TaximeterPlanStep[] {
  const tripDistance = tariff.includedDistance.plus(FARE_TRIP_EXTRA_DISTANCE);
  if (tariff.mode === 'D' || (tariff.distanceRate.isZero() && tariff.timeRate.isZero())) {
    const duration = FARE_WAIT_EXTRA;
    return [
      fareStep(
        'fare',
        `From a fresh hire run ${tripDistance.toFixed()} m in ${duration.toFixed()} s; read the fare.`,
        tariff,
        tripDistance,
        duration,
        rounding,
      ),
    ];
  }
  const steps: TaximeterPlanStep[] = [];
  if (!tariff.distanceRate.isZero()) {
    // 60 km/h or twice the cross-over speed, whichever is faster: the trip stays on the distance tariff.
    let duration = tripDistance.mul(SECONDS_PER_METRE_AT_60);
    if (!tariff.timeRate.isZero()) {
      const atCrossOver = tripDistance.mul(tariff.distanceRate).mul('3.6').div(tariff.timeRate);
      duration = Dec.min(duration, atCrossOver.div(2));
    }
    duration = duration.floor();
    steps.push(
      fareStep(
        'fare-distance-tariff',
        `From a fresh hire run ${tripDistance.toFixed()} m in ${duration.toFixed()} s (above the cross-over speed); read the fare.`,
        tariff,
        tripDistance,
        duration,
        rounding,
      ),
    );
  }
  if (!tariff.timeRate.isZero()) {
    // The flag fall covers this much waiting in mode S (fare.ts); wait past it.
    const allowance = tariff.includedDistance.mul(tariff.distanceRate).mul('3.6').div(tariff.timeRate).ceil();
    const duration = allowance.plus(FARE_WAIT_EXTRA);
    steps.push(
      fareStep(
        'fare-time-tariff',
        `From a fresh hire wait at standstill for ${duration.toFixed()} s (below the cross-over speed); read the fare.`,
        tariff,
        new Dec(0),
        duration,
        rounding,
      ),
    );
  }
  return steps;
}
