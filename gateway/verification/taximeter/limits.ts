/**
 * The taximeter limits of a rule set, read from its (possibly overridden) parameters, and the
 * judgements (metrology-rules.md §3(c)-(d)). Every comparison is cross-multiplied so that an error
 * exactly at a limit is decided on exact decimals; the divided forms are for display only.
 */
import { Dec } from '../../../drivers/decimal.js';
import { MetrogateError } from '../../../drivers/errors.js';
import { percentText } from '../input.js';
import type { ResolvedParameters } from '../types.js';
import { FARE_ROUNDING_CODES, type FareRounding, type TaximeterRuleSet } from './types.js';

export interface TaximeterLimits {
  /** [lower, upper] percent, or undefined where the rule set judges no installed distance. */
  installed?: { lowerPercent: Dec; upperPercent: Dec };
  benchDistance: { mpePercent: Dec; minMpe: Dec };
  time: { mpePercent: Dec; minMpe: Dec };
  fare: { mpePercent: Dec; minMpeDigits: Dec; rounding: FareRounding };
}

export function readLimits(ruleSet: TaximeterRuleSet, params: ResolvedParameters): TaximeterLimits {
  const bad = (name: string, why: string) => {
    const path = `verification.overrides.${ruleSet.id}.${name}`;
    return new MetrogateError('MG_ERR_CONFIG_INVALID', `${path}: ${why}, got ${params.text(name)}`, { path });
  };
  const nonNegative = (name: string): Dec => {
    const value = params.get(name);
    if (value.isNegative()) throw bad(name, 'must not be negative');
    return value;
  };
  const roundingCode = new Dec(params.text('fareRounding')).toFixed();
  const rounding = FARE_ROUNDING_CODES[roundingCode as keyof typeof FARE_ROUNDING_CODES];
  if (!rounding) throw bad('fareRounding', 'must be 0 (exact), 1 (half-up), 2 (down) or 3 (up)');
  const limits: TaximeterLimits = {
    benchDistance: {
      mpePercent: nonNegative('benchDistanceMpePercent'),
      minMpe: nonNegative('benchDistanceMinMpe'),
    },
    time: { mpePercent: nonNegative('timeMpePercent'), minMpe: nonNegative('timeMinMpe') },
    fare: {
      mpePercent: nonNegative('fareMpePercent'),
      minMpeDigits: nonNegative('fareMinMpeDigits'),
      rounding,
    },
  };
  if (ruleSet.installedDistance.judged) {
    const lowerPercent = params.get('installedDistanceLowerPercent');
    const upperPercent = params.get('installedDistanceUpperPercent');
    if (lowerPercent.greaterThan(0)) throw bad('installedDistanceLowerPercent', 'must not be above 0');
    if (upperPercent.isNegative()) throw bad('installedDistanceUpperPercent', 'must not be below 0');
    limits.installed = { lowerPercent, upperPercent };
  }
  return limits;
}

/** δ = (L_meter − L_true) / L_true; passes when lower ≤ δ × 100 ≤ upper (inclusive). */
export function judgeInstalledDistance(
  indicated: Dec,
  trueDistance: Dec,
  band: { lowerPercent: Dec; upperPercent: Dec },
): { errorPercent: Dec; pass: boolean } {
  const error100 = indicated.minus(trueDistance).mul(100);
  const pass =
    error100.greaterThanOrEqualTo(band.lowerPercent.mul(trueDistance)) &&
    error100.lessThanOrEqualTo(band.upperPercent.mul(trueDistance));
  return { errorPercent: error100.div(trueDistance), pass };
}

/**
 * Bench (pulse generator): true distance D = 1000 × pulses / k m, error = Q − D,
 * MPE = max(p % × D, minimum). Both
 * sides are multiplied by k: |Q·k − 1000·N| ≤ max(10·p·N, min·k).
 */
export function judgeBenchDistance(
  testDistance: Dec,
  pulses: Dec,
  k: Dec,
  limit: TaximeterLimits['benchDistance'],
): { trueDistance: Dec; error: Dec; mpe: Dec; pass: boolean } {
  const trueDistanceK = pulses.mul(1000);
  const errorK = testDistance.mul(k).minus(trueDistanceK);
  const mpeK = Dec.max(limit.mpePercent.mul(pulses).mul(10), limit.minMpe.mul(k));
  return {
    trueDistance: trueDistanceK.div(k),
    error: errorK.div(k),
    mpe: mpeK.div(k),
    pass: errorK.abs().lessThanOrEqualTo(mpeK),
  };
}

/** Time: error = indicated − reference; MPE = max(p % × T, minimum). */
export function judgeTime(
  indicated: Dec,
  reference: Dec,
  limit: TaximeterLimits['time'],
): { error: Dec; mpe: Dec; pass: boolean } {
  const error = indicated.minus(reference);
  const mpe100 = Dec.max(limit.mpePercent.mul(reference), limit.minMpe.mul(100));
  return { error, mpe: mpe100.div(100), pass: error.abs().mul(100).lessThanOrEqualTo(mpe100) };
}

/** Fare: error = indicated − F; MPE = max(p % × F, digits × resolution), on the ×3600 fare of fare.ts. */
export function judgeFare(
  indicatedFare: Dec,
  fare3600: Dec,
  fareResolution: Dec,
  limit: TaximeterLimits['fare'],
): { error: Dec; mpe: Dec; pass: boolean } {
  const error3600 = indicatedFare.mul(3600).minus(fare3600);
  const mpe3600x100 = Dec.max(
    limit.mpePercent.mul(fare3600),
    limit.minMpeDigits.mul(fareResolution).mul(3600).mul(100),
  );
  return {
    error: error3600.div(3600),
    mpe: mpe3600x100.div(360000),
    pass: error3600.abs().mul(100).lessThanOrEqualTo(mpe3600x100),
  };
}

/** Derived numbers that need not terminate (N/k, t/3600) are shown rounded half-up to 6 places. */
export function shownText(value: Dec): string {
  return percentText(value, 6);
}
