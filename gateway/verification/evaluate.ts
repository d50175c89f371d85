/**
 * `evaluate(record)`: contracts.md §1 in, §2 out. Pure and deterministic: the same record and
 * overrides always give the same result. Exact decimal arithmetic throughout (in each kind's
 * evaluator); every input error is MG_ERR_INPUT_INVALID naming its JSON path.
 */
import { z } from 'zod';
import { MetrogateError } from '../../drivers/errors.js';
import { parseInput } from './input.js';
import { resolveParameters } from './parameters.js';
import { RULE_SETS } from './rules/index.js';
import {
  type EvaluationResult,
  INSTRUMENT_KINDS,
  RULE_SET_IDS,
  type RuleOverrides,
  type RuleSetId,
  STAGES,
} from './types.js';

const recordEnvelope = z.object({
  ruleSet: z.string(),
  stage: z.enum(STAGES),
  instrument: z.object({ kind: z.enum(INSTRUMENT_KINDS) }).passthrough(),
  tests: z.array(z.unknown()).min(1, 'at least one test is required'),
});

export function isRuleSetId(id: string): id is RuleSetId {
  return (RULE_SET_IDS as readonly string[]).includes(id);
}

export interface EvaluateOptions {
  overrides?: RuleOverrides;
}

export function evaluate(record: unknown, options: EvaluateOptions = {}): EvaluationResult {
  const envelope = parseInput(recordEnvelope, record);
  if (!isRuleSetId(envelope.ruleSet)) {
    throw new MetrogateError(
      'MG_ERR_INPUT_INVALID',
      `ruleSet: unknown rule set "${envelope.ruleSet}"; known rule sets: ${RULE_SET_IDS.join(', ')}`,
      { path: 'ruleSet', known: RULE_SET_IDS },
    );
  }
  const entry = RULE_SETS[envelope.ruleSet];
  if (entry.ruleSet.kind !== envelope.instrument.kind) {
    throw new MetrogateError(
      'MG_ERR_INPUT_INVALID',
      `instrument.kind: rule set ${envelope.ruleSet} verifies ${entry.ruleSet.kind}s, not ${envelope.instrument.kind}s`,
      { path: 'instrument.kind' },
    );
  }
  const params = resolveParameters(entry.ruleSet, options.overrides?.[envelope.ruleSet]);
  const body = entry.evaluate({
    stage: envelope.stage,
    instrument: envelope.instrument,
    tests: envelope.tests,
    params,
  });
  const result: EvaluationResult = {
    verdict: body.verdict,
    ruleSet: envelope.ruleSet,
    stage: envelope.stage,
    tests: body.tests,
    ...(body.groups ? { groups: body.groups } : {}),
  };
  if (Object.keys(params.applied).length > 0) result.overrides = { ...params.applied };
  return result;
}
