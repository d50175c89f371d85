import type { EvaluationResult, ResolvedParameters, RuleSetBase, Stage } from './types.js';

/** What an instrument kind's evaluator receives: the raw (unparsed) instrument and tests. */
export interface EvaluationInput {
  stage: Stage;
  instrument: unknown;
  tests: unknown;
  params: ResolvedParameters;
}

export type EvaluationBody = Pick<EvaluationResult, 'verdict' | 'tests' | 'groups'>;

/** A rule set bound to its kind's evaluator. */
export interface RuleSetEntry {
  ruleSet: RuleSetBase;
  /** Pure: parses `instrument` and `tests` (errors name `instrument.max`, `tests[2].load`...) and judges. */
  evaluate(input: EvaluationInput): EvaluationBody;
}
