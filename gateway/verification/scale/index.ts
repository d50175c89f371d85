/**
 * Scale (non-automatic weighing instrument) verification: a scale rule set bound to its evaluator,
 * plus the MPE lookup and load-point planning other modules build on.
 */
import type { RuleSetEntry } from '../entry.js';
import { evaluateScale } from './evaluate.js';
import type { ScaleRuleSet } from './rule-set.js';

export function scaleEntry(ruleSet: ScaleRuleSet): RuleSetEntry {
  return {
    ruleSet,
    evaluate: (input) => evaluateScale(ruleSet, input),
  };
}

export { evaluateScale, parseScaleTests, SCALE_TESTS, valueBeforeRounding } from './evaluate.js';
export {
  classDataFor,
  classRangeFor,
  isOneTwoFive,
  MASS_UNITS,
  type MassUnit,
  parseScaleInstrument,
  type ScaleInstrument,
} from './instrument.js';
export {
  type ScaleLoadPlan,
  type ScaleLoadPointOptions,
  scaleLoadPoints,
  type WeighingPoint,
} from './load-points.js';
export {
  type DecimalLike,
  maxTestWeightError,
  mpeAt,
  mpeBandAt,
  stageMultiplier,
  testWeightWithinLimit,
} from './mpe.js';
export {
  ACCURACY_CLASSES,
  type AccuracyClass,
  type ClassRangeRow,
  type MpeBand,
  SCALE_PARAMETER_NAMES,
  type ScaleClassData,
  type ScaleParameterName,
  type ScaleRuleSet,
} from './rule-set.js';
