/** Taximeter verification: the evaluator bound to a rule set, and the guided test plan. */
export { evaluateTaximeter, taximeterEntry } from './evaluate.js';
export { type ExpectedFare, expectedFare, fareOf } from './fare.js';
export { planStepTest, taximeterTestPlan } from './plan.js';
export type { Tariff, TaximeterInstrument } from './schema.js';
export type {
  TaximeterPlanStep,
  TaximeterRuleSet,
  TaximeterTestPlan,
} from './types.js';
