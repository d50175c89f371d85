/**
 * Maximum permissible errors of a scale (metrology-rules.md §1(a) Table 1.2, §1(c) lookup, §1(e)
 * stages) and the test-weight limit derived from them. Exact decimals only; a load exactly on a
 * band boundary takes the lower, stricter band; limits are inclusive.
 */
import { Dec } from '../../../drivers/decimal.js';
import { MetrogateError } from '../../../drivers/errors.js';
import { decimalText, inputError } from '../input.js';
import { resolveParameters } from '../parameters.js';
import type { ResolvedParameters, Stage } from '../types.js';
import { classDataFor } from './instrument.js';
import type { MpeBand, ScaleParameterName, ScaleRuleSet } from './rule-set.js';

/** A decimal as a `Dec` or exact decimal text; never a binary float. */
export type DecimalLike = Dec | string;

const STAGE_MULTIPLIER: Record<Stage, ScaleParameterName> = {
  initial: 'mpeMultiplierInitial',
  subsequent: 'mpeMultiplierSubsequent',
  'in-service': 'mpeMultiplierInService',
};

function toDec(value: DecimalLike, name: string): Dec {
  try {
    return typeof value === 'string' ? new Dec(value) : value;
  } catch {
    throw inputError(name, `expected a decimal number, got ${JSON.stringify(value)}`);
  }
}

/** The multiplier of Table 1.2 for a stage (1 initial, 1 subsequent unless overridden, 2 in service). */
export function stageMultiplier(ruleSet: ScaleRuleSet, stage: Stage, params: ResolvedParameters): Dec {
  const name = STAGE_MULTIPLIER[stage];
  const multiplier = params.get(name);
  if (!multiplier.greaterThan(0)) {
    throw new MetrogateError(
      'MG_ERR_CONFIG_INVALID',
      `verification.overrides.${ruleSet.id}.${name}: must be greater than 0, got ${params.text(name)}`,
      { path: `verification.overrides.${ruleSet.id}.${name}` },
    );
  }
  return multiplier;
}

/**
 * The Table 1.2 band holding `load`: the first band with load ≤ upToE × e (no division, so 500 e
 * exactly is in the 0…500 e band). A load beyond the last bounded band (only possible above Max)
 * takes the last band.
 */
export function mpeBandAt(
  ruleSet: ScaleRuleSet,
  accuracyClass: string,
  e: DecimalLike,
  load: DecimalLike,
): { index: number; band: MpeBand } {
  const classData = classDataFor(ruleSet, accuracyClass, 'accuracyClass');
  const eDec = toDec(e, 'e');
  const loadDec = toDec(load, 'load');
  if (!eDec.greaterThan(0)) throw inputError('e', `must be greater than 0, got ${decimalText(eDec)}`);
  if (loadDec.isNegative()) throw inputError('load', `must not be negative, got ${decimalText(loadDec)}`);
  const bands = classData.mpeBands;
  const index = bands.findIndex(
    (band) => band.upToE === null || loadDec.lessThanOrEqualTo(eDec.times(band.upToE)),
  );
  const found = index < 0 ? bands.length - 1 : index;
  return { index: found, band: bands[found]! };
}

/**
 * The maximum permissible error (a positive magnitude, in the unit of `e` and `load`) of a class
 * `accuracyClass` instrument with verification interval `e` at `load`, for `stage`:
 * Table 1.2 band × e × the stage multiplier. `params` defaults to the rule set's own values;
 * pass the evaluation's resolved parameters to honour config overrides.
 */
export function mpeAt(
  ruleSet: ScaleRuleSet,
  accuracyClass: string,
  e: DecimalLike,
  load: DecimalLike,
  stage: Stage,
  params: ResolvedParameters = resolveParameters(ruleSet),
): Dec {
  const { band } = mpeBandAt(ruleSet, accuracyClass, e, load);
  return new Dec(band.mpeInE).times(toDec(e, 'e')).times(stageMultiplier(ruleSet, stage, params));
}

/** The largest error a test weight for `load` may have: MPE(load) / testWeightMpeDivisor (1/3). */
export function maxTestWeightError(
  ruleSet: ScaleRuleSet,
  accuracyClass: string,
  e: DecimalLike,
  load: DecimalLike,
  stage: Stage,
  params: ResolvedParameters = resolveParameters(ruleSet),
): Dec {
  return mpeAt(ruleSet, accuracyClass, e, load, stage, params).div(params.get('testWeightMpeDivisor'));
}

/**
 * Whether a test weight (or combination) with error `weightError` may be used at `load`:
 * |error| × divisor ≤ MPE(load), cross-multiplied so that an error of exactly MPE/3 is accepted.
 */
export function testWeightWithinLimit(
  ruleSet: ScaleRuleSet,
  accuracyClass: string,
  e: DecimalLike,
  load: DecimalLike,
  stage: Stage,
  weightError: DecimalLike,
  params: ResolvedParameters = resolveParameters(ruleSet),
): boolean {
  const mpe = mpeAt(ruleSet, accuracyClass, e, load, stage, params);
  return toDec(weightError, 'weightError')
    .abs()
    .times(params.get('testWeightMpeDivisor'))
    .lessThanOrEqualTo(mpe);
}
