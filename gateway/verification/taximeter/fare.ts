/**
 * The fare a correct taximeter computes for one trip (distance in m, duration in s) from its tariff
 * (metrology-rules.md §3(b), MID MI-007 fare modes).
 *
 * Amounts are carried multiplied by 3600 (money × s/h) so that a time charge t × rate/3600 stays an
 * exact decimal: an hourly rate and a duration in seconds never need a division, and a fare exactly
 * at a limit is compared exactly.
 *
 * A bench record gives one (distance, duration) pair per trip, so the trip is taken at uniform speed:
 * - Mode D: the distance beyond `includedDistance` at the distance rate plus the whole duration at
 *   the time rate ("both tariffs throughout the trip"; the flag fall covers distance only).
 * - Mode S: the trip is either below the cross-over speed v_c = timeRate / distanceRate (time tariff
 *   only) or at/above it (distance tariff only). At uniform speed that is the larger of the time
 *   charge and the distance charge (they are equal at v_c). The flag fall covers `includedDistance`
 *   or, below v_c, the time worth the same money, includedDistance / v_c, whichever is reached first:
 *   the meter's single running amount passes the flag-fall allowance either way.
 */
import { Dec } from '../../../drivers/decimal.js';
import type { Tariff } from './schema.js';
import type { FareRounding } from './types.js';

const SECONDS_PER_HOUR = new Dec(3600);
/** 3600 s/h ÷ 1000 m/km: a distance in m at a rate per km, in money × s/h. */
const DISTANCE_SCALE = new Dec('3.6');

export type TariffApplied = 'time' | 'distance' | 'time+distance';

export interface ExpectedFare {
  /** The fare × 3600, exact (rounded to the fare resolution when the rounding rule says so). */
  fare3600: Dec;
  /** Which tariff the trip ran on. */
  tariffApplied: TariffApplied;
}

export function expectedFare(
  tariff: Tariff,
  distance: Dec,
  duration: Dec,
  rounding: FareRounding,
): ExpectedFare {
  const timeCharge = duration.mul(tariff.timeRate);
  const distanceCharge = distance.mul(tariff.distanceRate).mul(DISTANCE_SCALE);
  const allowance = tariff.includedDistance.mul(tariff.distanceRate).mul(DISTANCE_SCALE);
  let charged: Dec;
  let tariffApplied: TariffApplied;
  if (tariff.mode === 'D') {
    const chargedDistance = Dec.max(0, distance.minus(tariff.includedDistance));
    charged = chargedDistance.mul(tariff.distanceRate).mul(DISTANCE_SCALE).plus(timeCharge);
    tariffApplied = 'time+distance';
  } else {
    // time charge > distance charge  <=>  d/t < timeRate/distanceRate = v_c, without dividing.
    tariffApplied = timeCharge.greaterThan(distanceCharge) ? 'time' : 'distance';
    charged = Dec.max(0, Dec.max(timeCharge, distanceCharge).minus(allowance));
  }
  const exact = tariff.flagFall.mul(SECONDS_PER_HOUR).plus(charged);
  return {
    fare3600: roundToResolution(exact, tariff.fareResolution.mul(SECONDS_PER_HOUR), rounding),
    tariffApplied,
  };
}

/** The fare itself (may not terminate: shown rounded by the caller). */
export function fareOf(expected: ExpectedFare): Dec {
  return expected.fare3600.div(SECONDS_PER_HOUR);
}

/**
 * Rounds a non-negative amount to a multiple of `step`, exactly: the quotient's floor is taken
 * from a 40-digit division and then corrected with exact remainders.
 */
export function roundToResolution(amount: Dec, step: Dec, rounding: FareRounding): Dec {
  if (rounding === 'exact') return amount;
  let units = amount.div(step).floor();
  let remainder = amount.minus(units.mul(step));
  while (remainder.isNegative()) {
    units = units.minus(1);
    remainder = remainder.plus(step);
  }
  while (remainder.greaterThanOrEqualTo(step)) {
    units = units.plus(1);
    remainder = remainder.minus(step);
  }
  if (!remainder.isZero()) {
    if (rounding === 'up' || (rounding === 'half-up' && remainder.mul(2).greaterThanOrEqualTo(step))) {
      units = units.plus(1);
    }
  }
  return units.mul(step);
}
