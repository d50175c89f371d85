/**
 * The vocabulary of verification: rule sets as data, stages, the bench record a user submits
 * (contracts.md §1) and the result `evaluate` returns (contracts.md §2).
 */
import type { Dec } from '../../drivers/decimal.js';

export const RULE_SET_IDS = [
  'OIML-R76-1:2006',
  'JJG539-2016',
  'OIML-R117-1:2019',
  'JJG443-2023',
  'JJG443-2015',
  'JJG443-2006',
  'OIML-R21:2007',
  'JJG517-2016',
] as const;
export type RuleSetId = (typeof RULE_SET_IDS)[number];

export const STAGES = ['initial', 'subsequent', 'in-service'] as const;
export type Stage = (typeof STAGES)[number];

export const INSTRUMENT_KINDS = ['scale', 'dispenser', 'taximeter'] as const;
export type InstrumentKind = (typeof INSTRUMENT_KINDS)[number];

/** How far a number of a rule set can be trusted (metrology-rules.md status legend). */
export type SourceStatus = 'CONFIRMED' | 'SECONDARY' | 'UNCONFIRMED';

/**
 * One number of a rule set, with where it comes from. Parameters marked UNCONFIRMED (and only
 * those) may be overridden in config; the result then lists the override.
 */
export interface RuleParameter {
  /** Exact decimal text ("0.30", "4", "0.0012"). */
  value: string;
  description: string;
  source: string;
  status: SourceStatus;
}

/** What every rule-set module exports. Tables are kind-specific and typed by each module. */
export interface RuleSetBase {
  id: RuleSetId;
  kind: InstrumentKind;
  title: string;
  /** Edition year and status, e.g. "2023 (试行), in force 2024-05-01". */
  edition: string;
  /** Named parameters (limits, coefficients, multipliers); each with its source. */
  parameters: Readonly<Record<string, RuleParameter>>;
}

/** Parameter values after overrides, as exact decimals, plus the overrides that were applied. */
export interface ResolvedParameters {
  get(name: string): Dec;
  text(name: string): string;
  readonly applied: Readonly<Record<string, string>>;
}

/** A failing reason other than "error beyond the limit". */
export type FailReason = 'below-min' | 'no-change' | 'missing-zero' | 'standard-out-of-date' | (string & {});

/** One entry of `tests` in the result: the identifying inputs repeated, the numbers, the verdict. */
export interface TestResult {
  test: string;
  pass: boolean;
  reason?: FailReason;
  [field: string]: unknown;
}

/** Dispenser repeatability per flow label (contracts.md §2 `groups`). */
export interface GroupResult {
  flow: string;
  runs: number;
  rangePercent: string;
  limitPercent: string;
  pass: boolean;
}

export interface EvaluationResult {
  verdict: 'pass' | 'fail';
  ruleSet: RuleSetId;
  stage: Stage;
  tests: TestResult[];
  groups?: GroupResult[];
  /** Rule-set parameters overridden from config for this evaluation (absent when none). */
  overrides?: Record<string, string>;
}

/** Overrides from config: per rule set, parameter name -> decimal text. */
export type RuleOverrides = Partial<Record<RuleSetId, Record<string, string>>>;
