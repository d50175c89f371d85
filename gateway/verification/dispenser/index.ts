/**
 * Fuel dispensers: JJG 443 (2006, 2015, 2023) and OIML R 117-1:2019. See README.md for what is
 * judged, the formulas and every UNCONFIRMED choice.
 */
import type { RuleSetEntry } from '../entry.js';
import { evaluateDispenser } from './evaluator.js';
import type { DispenserRuleSet } from './rule-set.js';

export { evaluateDispenser } from './evaluator.js';
export { type DispenserPlanStep, type DispenserTestPlan, dispenserTestPlan, type PlanField } from './plan.js';
export type { DispenserRuleSet, Jjg443RuleSet, R117RuleSet } from './rule-set.js';

export function dispenserEntry(ruleSet: DispenserRuleSet): RuleSetEntry {
  return { ruleSet, evaluate: (input) => evaluateDispenser(ruleSet, input) };
}
