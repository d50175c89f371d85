/**
 * The shape of a scale rule set (metrology-rules.md §1): the accuracy-class table (Table 1.1), the
 * initial-verification MPE bands (Table 1.2) and the named parameters (stage multipliers, zero and
 * tare accuracy, repeatability, discrimination, test weights, procedure numbers). The rule-set
 * modules in `gateway/verification/rules/` are data of this type; this folder's code reads them.
 */
import type { RuleParameter, RuleSetBase, SourceStatus } from '../types.js';

export const ACCURACY_CLASSES = ['I', 'II', 'III', 'IIII'] as const;
export type AccuracyClass = (typeof ACCURACY_CLASSES)[number];

/** Where a table comes from and how far it can be trusted (metrology-rules.md status legend). */
export interface Sourced {
  source: string;
  status: SourceStatus;
}

/**
 * One row of Table 1.1: for e in [eMinGrams, eMaxGrams] the number of intervals n = Max/e must lie
 * in [nMin, nMax] and the minimum capacity Min is at least `minInE` × e. The e bounds are in grams
 * because the rule writes them in grams; instruments in other units are converted before lookup.
 */
export interface ClassRangeRow extends Sourced {
  /** Smallest e of the row in grams, inclusive. */
  eMinGrams: string;
  /** Largest e of the row in grams, inclusive; null when the row has no upper bound. */
  eMaxGrams: string | null;
  nMin: string;
  /** null when the class has no upper limit on n (class I). */
  nMax: string | null;
  /** Min (lower limit) in e. */
  minInE: string;
}

/**
 * One band of Table 1.2: loads m (in e) above the previous band's `upToE` and up to and including
 * this `upToE` have an initial-verification MPE of ±`mpeInE` × e. A boundary belongs to the lower,
 * stricter band. `upToE` null: no upper bound (the last band of class I).
 */
export interface MpeBand {
  upToE: string | null;
  mpeInE: string;
}

export interface ScaleClassData {
  /** The class's name in the rule ("medium", "中准确度级"). */
  name: string;
  /** Table 1.1 rows of this class, in increasing e. */
  ranges: readonly ClassRangeRow[];
  /** Table 1.2 bands of this class, in increasing load; the MPE at initial verification. */
  mpeBands: readonly MpeBand[];
  mpeBandsSource: Sourced;
}

/**
 * Every parameter a scale rule set carries. Values are exact decimal text; a parameter may be
 * overridden in config only when its status is UNCONFIRMED (gateway/verification/parameters.ts).
 */
export const SCALE_PARAMETER_NAMES = [
  'mpeMultiplierInitial',
  'mpeMultiplierSubsequent',
  'mpeMultiplierInService',
  'zeroSettingLimitInE',
  'tareLimitInE',
  'repeatabilityLimitFactor',
  'discriminationExtraLoadInD',
  'discriminationMinChangeInD',
  'testWeightMpeDivisor',
  'roundingWeightInE',
  'zeroTrackingEscapeLoadInE',
  'minWeighingPoints',
  'eccentricityLoadDivisor',
  'repeatabilityReadings',
] as const;
export type ScaleParameterName = (typeof SCALE_PARAMETER_NAMES)[number];

export interface ScaleRuleSet extends RuleSetBase {
  kind: 'scale';
  parameters: Readonly<Record<ScaleParameterName, RuleParameter>>;
  /** The classes this rule set covers (JJG 539: III and IIII only). */
  classes: Readonly<Partial<Record<AccuracyClass, ScaleClassData>>>;
  /** When true the verification scale interval e must equal the actual scale interval d. */
  requireEEqualsD: { value: boolean } & Sourced;
}
