/**
 * The limits of the two rule families as pure functions of exact decimals, shared by the
 * evaluator, the test plan and the property tests.
 */
import { Dec } from '../../../drivers/decimal.js';
import type { Component, Jjg443ParameterName, R117AccuracyClass, R117RuleSet } from './rule-set.js';
import { MMQ_FLOW_LABEL } from './rule-set.js';

/** JJG 443: the parameter holding the error limit (%) for a run. */
export function jjgMpeParameter(component: Component, flow: string): Jjg443ParameterName {
  const atMmq = flow === MMQ_FLOW_LABEL;
  if (component === 'meter') return atMmq ? 'meterMmqMpePercent' : 'meterMpePercent';
  return atMmq ? 'mmqMpePercent' : 'mpePercent';
}

/** JJG 443: the parameter holding the repeatability limit (%) for a flow label. */
export function jjgRepeatabilityParameter(component: Component, flow: string): Jjg443ParameterName {
  const atMmq = flow === MMQ_FLOW_LABEL;
  if (component === 'meter')
    return atMmq ? 'meterMmqRepeatabilityLimitPercent' : 'meterRepeatabilityLimitPercent';
  return atMmq ? 'mmqRepeatabilityLimitPercent' : 'repeatabilityLimitPercent';
}

export function r117ClassRow(ruleSet: R117RuleSet, accuracyClass: Dec): R117AccuracyClass | undefined {
  return ruleSet.accuracyClasses.rows.find((row) => accuracyClass.eq(row.accuracyClass));
}

/**
 * |MPE| in litres from Table 2 (V ≥ 2 L) and the small-quantity table (V < 2 L), for a line
 * percentage. Every band whose closed interval holds V is a candidate, so at a boundary the
 * stricter of the two neighbours applies.
 */
export function r117TableMpe(ruleSet: R117RuleSet, volume: Dec, linePercent: Dec): Dec {
  let strictest: Dec | undefined;
  for (const band of ruleSet.quantityBands.rows) {
    if (volume.lt(band.from)) continue;
    if (band.below !== undefined && volume.gt(band.below)) continue;
    const base = band.appliedTo !== undefined ? new Dec(band.appliedTo) : volume;
    const value = base.times(band.multiplier).times(linePercent).div(100);
    if (strictest === undefined || value.lt(strictest)) strictest = value;
  }
  if (strictest === undefined) throw new Error(`${ruleSet.id}: no quantity band holds ${volume.toFixed()} L`);
  return strictest;
}

/** Emin (L) for an MMQ, from the line-A percentage. */
export function r117Emin(ruleSet: R117RuleSet, mmq: Dec, lineAPercent: Dec): Dec {
  const rule = ruleSet.emin;
  if (mmq.gte(rule.mmqThreshold)) return mmq.times(rule.mmqFactor).times(lineAPercent).div(100);
  return r117TableMpe(ruleSet, mmq, lineAPercent).times(rule.smallMmqFactor);
}

/** |MPE| (L) = max(table value at V, Emin). */
export function r117Mpe(ruleSet: R117RuleSet, volume: Dec, linePercent: Dec, emin: Dec): Dec {
  return Dec.max(r117TableMpe(ruleSet, volume, linePercent), emin);
}

/** Condition 1 of the Emin rule: Emin ≥ 2 R. */
export function r117EminAdmissible(ruleSet: R117RuleSet, emin: Dec, scaleInterval: Dec): boolean {
  return emin.gte(scaleInterval.times(ruleSet.emin.scaleIntervals));
}
