/**
 * The shape of a fuel-dispenser rule set (metrology-rules.md §2). Two families share one evaluator:
 * JJG 443 judges relative errors against percent limits; OIML R 117-1 judges absolute errors in
 * litres against max(Table 2.1 / 2.2, Emin). Every number is a RuleParameter so that it carries its
 * source and status; the ones in `parameters` may be overridden when UNCONFIRMED.
 */
import type { RuleParameter, RuleSetBase, SourceStatus } from '../types.js';

export const FUELS = ['gasoline', 'diesel', 'kerosene'] as const;
export type Fuel = (typeof FUELS)[number];

export const CAN_MATERIALS = ['stainless-steel', 'carbon-steel'] as const;
export type CanMaterial = (typeof CAN_MATERIALS)[number];

/** What is under test: the complete measuring system (R 117 line A) or the meter alone (line B). */
export const COMPONENTS = ['system', 'meter'] as const;
export type Component = (typeof COMPONENTS)[number];

/** The flow label whose runs JJG 443 judges against its minimum-measured-quantity limits. */
export const MMQ_FLOW_LABEL = 'mmq';

/**
 * The standard-can method with temperature correction (JJG 443-2006 clause 7.6):
 * V_Bt = V_B · [1 + β_Y·(t_J − t_B) + β_B·(t_B − t_ref)].
 */
export interface CanMethod {
  /** β_Y, volume expansion coefficient of the fuel, per °C. */
  fuelExpansion: Readonly<Record<Fuel, RuleParameter>>;
  /** β_B, volume expansion coefficient of the can's material, per °C. */
  canExpansion: Readonly<Record<CanMaterial, RuleParameter>>;
  /** The temperature at which the can's neck scale reads true (t_ref, °C). */
  referenceTemperature: RuleParameter;
  /** Largest |t_J − t_B| (°C) for which a run is a valid test. */
  maxTemperatureDifference: RuleParameter;
}

/** One flow rate of the guided procedure. */
export interface PlanFlow {
  /** The `flow` label the runs carry in the bench record. */
  label: string;
  description: string;
}

export interface DispenserProcedure {
  flows: readonly PlanFlow[];
  source: string;
  status: SourceStatus;
}

interface DispenserRuleSetCommon extends RuleSetBase {
  kind: 'dispenser';
  canMethod: CanMethod;
  procedure: DispenserProcedure;
  /** Numbers of the rule recorded for traceability that a bench record cannot be judged against. */
  informational: Readonly<Record<string, RuleParameter>>;
}

export const JJG443_PARAMETER_NAMES = [
  'mpePercent',
  'repeatabilityLimitPercent',
  'mmqMpePercent',
  'mmqRepeatabilityLimitPercent',
  'meterMpePercent',
  'meterRepeatabilityLimitPercent',
  'meterMmqMpePercent',
  'meterMmqRepeatabilityLimitPercent',
  'inServiceMultiplier',
  'minPaymentStep',
  'runsPerFlow',
] as const;
export type Jjg443ParameterName = (typeof JJG443_PARAMETER_NAMES)[number];

export interface Jjg443RuleSet extends DispenserRuleSetCommon {
  family: 'jjg443';
  parameters: Readonly<Record<Jjg443ParameterName, RuleParameter>>;
}

/** One row of R 117-1 Table 2 / MID Annex VII Table 2 (percent of the measured quantity). */
export interface R117AccuracyClass {
  accuracyClass: string;
  /** Line A: complete measuring systems. */
  lineA: string;
  /** Line B: meters. */
  lineB: string;
}

/**
 * One band of R 117-1 small quantities (MID Annex VII Table 3): for `from` ≤ V < `below`, the MPE
 * is `multiplier` × the Table 2 percentage, applied to `appliedTo` litres when given, else to V.
 * The last band (V ≥ 2 L) has no `below` and is Table 2 itself.
 */
export interface R117QuantityBand {
  from: string;
  below?: string;
  multiplier: string;
  appliedTo?: string;
}

/** The Emin rule: |MPE| = max(table value, Emin), and Emin ≥ `scaleIntervals` × R. */
export interface R117EminRule {
  /** MMQ (L) at and above which Emin = `mmqFactor` × MMQ × A/100. */
  mmqThreshold: string;
  mmqFactor: string;
  /** Below the threshold, Emin = `smallMmqFactor` × (table value at MMQ, line A). */
  smallMmqFactor: string;
  /** Condition 1: Emin ≥ `scaleIntervals` × R (R: smallest scale interval). */
  scaleIntervals: string;
}

export const R117_PARAMETER_NAMES = [
  'repeatabilityFraction',
  'repeatabilityMinQuantityFactor',
  'subsequentMultiplier',
  'inServiceLowerMultiplier',
  'inServiceUpperMultiplier',
  'minPaymentStep',
  'runsPerFlow',
] as const;
export type R117ParameterName = (typeof R117_PARAMETER_NAMES)[number];

export interface R117RuleSet extends DispenserRuleSetCommon {
  family: 'oiml-r117';
  parameters: Readonly<Record<R117ParameterName, RuleParameter>>;
  accuracyClasses: { rows: readonly R117AccuracyClass[]; source: string; status: SourceStatus };
  /** The class assumed when the instrument gives none (fuel dispensers). */
  defaultAccuracyClass: RuleParameter;
  quantityBands: { rows: readonly R117QuantityBand[]; source: string; status: SourceStatus };
  emin: R117EminRule & { source: string; status: SourceStatus };
}

export type DispenserRuleSet = Jjg443RuleSet | R117RuleSet;
