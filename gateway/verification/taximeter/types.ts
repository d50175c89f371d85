/**
 * The shape of a taximeter rule set (metrology-rules.md §3) and of the guided test plan. Every
 * limit is a named parameter so that it carries its source and status, and so that the values the
 * reference could not confirm can be overridden in config.
 */
import type { RuleParameter, RuleSetBase } from '../types.js';

/** Limits every taximeter rule set gives: the taximeter alone on the bench, and its fare. */
export const TAXIMETER_BENCH_PARAMETERS = [
  'benchDistanceMpePercent',
  'benchDistanceMinMpe',
  'timeMpePercent',
  'timeMinMpe',
  'fareMpePercent',
  'fareMinMpeDigits',
  'fareRounding',
] as const;
export type TaximeterBenchParameter = (typeof TAXIMETER_BENCH_PARAMETERS)[number];

/** The asymmetric band of a taximeter installed in its vehicle (only national rules give one). */
export const TAXIMETER_INSTALLED_PARAMETERS = [
  'installedDistanceLowerPercent',
  'installedDistanceUpperPercent',
] as const;
export type TaximeterInstalledParameter = (typeof TAXIMETER_INSTALLED_PARAMETERS)[number];

/**
 * How the computed fare is rounded to `tariff.fareResolution` before it is compared with the
 * indication (parameter `fareRounding`). `exact` compares with the unrounded fare: R 21/MID set the
 * minimum fare MPE "including rounding" at one least significant digit, so the rounding is part of
 * the error the MPE allows.
 */
export const FARE_ROUNDING_CODES = { '0': 'exact', '1': 'half-up', '2': 'down', '3': 'up' } as const;
export type FareRounding = (typeof FARE_ROUNDING_CODES)[keyof typeof FARE_ROUNDING_CODES];

/** Where the installed-distance band comes from, or why a rule set has none. */
export type InstalledDistanceRule =
  | { judged: true; methods: readonly string[]; source: string }
  | { judged: false; why: string };

/** The test points of the guided procedure, with where they come from. */
export interface TaximeterProcedure {
  /** Distances (m) shown by the meter at which the bench count is read. */
  benchDistancePoints: readonly string[];
  /** Distances (m) shown by the meter at which the roller or road distance is read. */
  installedDistancePoints: readonly string[];
  /** Stopwatch duration (s) of the time test. */
  timeReference: string;
  source: string;
}

export interface TaximeterRuleSet extends RuleSetBase {
  kind: 'taximeter';
  parameters: Readonly<Record<TaximeterBenchParameter, RuleParameter>> &
    Readonly<Partial<Record<TaximeterInstalledParameter, RuleParameter>>>;
  installedDistance: InstalledDistanceRule;
  procedure: TaximeterProcedure;
}

/** One step of the guided procedure (`taximeterTestPlan`). */
export interface TaximeterPlanStep {
  /** Stable step id, e.g. `distance-2km`, `fare-time-tariff`. */
  id: string;
  test: 'distance' | 'time' | 'fare';
  /** What the technician does at this step. */
  instruction: string;
  /** Test fields the procedure fixes (decimal text), copied into the bench-record test. */
  given: Readonly<Record<string, string>>;
  /** Test fields read from the meter or the standard at this step. */
  capture: readonly string[];
  /** What a correct meter would show (decimal text), for display only. */
  expected?: Readonly<Record<string, string>>;
}

export interface TaximeterTestPlan {
  ruleSet: RuleSetBase['id'];
  variant: 'bench' | 'installed';
  steps: TaximeterPlanStep[];
}
