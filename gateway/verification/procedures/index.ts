/**
 * The step sequence of a verification, per instrument kind: the scale procedure is built here from
 * the rule set's load points; the dispenser and taximeter test plans live beside their evaluators
 * (they share the evaluators' parsing) and are gathered here so that there is one place to look.
 */
export { dispenserTestPlan } from '../dispenser/index.js';
export { taximeterTestPlan } from '../taximeter/index.js';
export {
  instructionOf,
  positionOf,
  type ScaleCapture,
  type ScaleStep,
  scaleBenchTests,
  scaleProcedure,
} from './scale.js';
