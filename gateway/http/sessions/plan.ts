/**
 * What a verification session walks, decided before it starts: the rule set, the instrument
 * parameters, and the steps (a scale's procedure of procedures/scale.ts, or the dispenser and
 * taximeter plans whose values the technician enters), with the reference standards checked the
 * way `metrogate verify` checks them. Pure apart from reading the standards register.
 */
import { Dec } from '../../../drivers/decimal.js';
import { MetrogateError } from '../../../drivers/errors.js';
import type { RecordInstrument, RecordStandard } from '../../store/record-types.js';
import { type ReferenceStandard, toRecordStandard } from '../../store/standards.js';
import { checkStandardsDue, checkStandardsFor } from '../../store/standards-check.js';
import { dispenserTestPlan } from '../../verification/dispenser/index.js';
import { isRuleSetId } from '../../verification/evaluate.js';
import { type ScaleStep, scaleProcedure } from '../../verification/procedures/scale.js';
import { RULE_SETS } from '../../verification/rules/index.js';
import {
  mpeAt,
  parseScaleInstrument,
  type ScaleRuleSet,
  scaleLoadPoints,
} from '../../verification/scale/index.js';
import { taximeterTestPlan } from '../../verification/taximeter/index.js';
import type {
  EvaluationResult,
  InstrumentKind,
  RuleOverrides,
  RuleSetId,
  Stage,
} from '../../verification/types.js';
import { RULE_SET_IDS } from '../../verification/types.js';

/** The Chinese rules in force, used when the request names no rule set (as `metrogate verify`). */
export const DEFAULT_RULE_SETS: Record<InstrumentKind, RuleSetId> = {
  scale: 'JJG539-2016',
  dispenser: 'JJG443-2023',
  taximeter: 'JJG517-2016',
};

/** Fields of the register that go on the record and the certificate, not into `evaluate`. */
export const REGISTER_FIELDS = [
  'owner',
  'site',
  'region',
  'category',
  'manufacturer',
  'model',
  'serialNumber',
] as const;

/** A step whose values the technician enters (dispensers, taximeters). */
export interface EntryStep {
  id: string;
  test: string;
  instruction: string;
  /** Fields of the bench-record test fixed by the procedure. */
  preset: Record<string, string>;
  fields: { name: string; unit: string; description: string }[];
  /** What a correct instrument would show, for display. */
  expected?: Record<string, string>;
}

export type SessionSteps =
  | { kind: 'scale'; steps: ScaleStep[]; roundingWeight: string; unit: string }
  | { kind: 'dispenser' | 'taximeter'; steps: EntryStep[] };

export interface SessionPlanInput {
  kind?: InstrumentKind;
  ruleSet?: string;
  stage: Stage;
  /** contracts.md §1 `instrument` plus `id` and the register fields. */
  instrument: Record<string, unknown>;
  /** Reference standard ids (`metrogate standards list`). */
  standards: readonly ReferenceStandard[];
  /** Taximeters: on the bench (default) or installed in the vehicle. */
  variant?: 'bench' | 'installed';
  overrides: RuleOverrides;
  /** The day the verification is done (YYYY-MM-DD): standards must be valid on it. */
  today: string;
}

export interface SessionPlan {
  kind: InstrumentKind;
  ruleSet: RuleSetId;
  stage: Stage;
  /** The instrument as `evaluate` takes it. */
  instrument: Record<string, unknown>;
  recordInstrument: RecordInstrument;
  steps: SessionSteps;
  /** Standards as the record lists them (weight sets checked against every load of a scale). */
  standards: RecordStandard[];
}

function invalid(path: string, message: string): MetrogateError {
  return new MetrogateError('MG_ERR_INPUT_INVALID', `${path}: ${message}`, { path });
}

export function planSession(input: SessionPlanInput): SessionPlan {
  const given = input.instrument;
  const id = typeof given.id === 'string' ? given.id.trim() : '';
  if (!id) throw invalid('instrument.id', 'the register id of the instrument (器具编号) is required');
  const kindHint = input.kind ?? (typeof given.kind === 'string' ? given.kind : undefined);
  const ruleSetText =
    input.ruleSet ??
    (kindHint !== undefined && kindHint in DEFAULT_RULE_SETS
      ? DEFAULT_RULE_SETS[kindHint as InstrumentKind]
      : undefined);
  if (ruleSetText === undefined) throw invalid('ruleSet', 'name a rule set or the instrument kind');
  if (!isRuleSetId(ruleSetText)) {
    throw invalid('ruleSet', `unknown rule set "${ruleSetText}"; known: ${RULE_SET_IDS.join(', ')}`);
  }
  const entry = RULE_SETS[ruleSetText];
  const kind = entry.ruleSet.kind as InstrumentKind;
  if (input.kind !== undefined && input.kind !== kind) {
    throw invalid('kind', `rule set ${ruleSetText} verifies ${kind}s, not ${input.kind}s`);
  }
  const instrument: Record<string, unknown> = { ...given, kind };
  delete instrument.id;
  const recordInstrument: RecordInstrument = { id, kind };
  for (const field of REGISTER_FIELDS) {
    const value = instrument[field];
    if (typeof value === 'string' && value.trim() !== '') recordInstrument[field] = value.trim();
    delete instrument[field];
  }
  checkStandardsDue(input.standards, input.today);

  if (kind === 'scale') {
    instrument.unit ??= 'g';
    instrument.d ??= instrument.e;
    const ruleSet = entry.ruleSet as ScaleRuleSet;
    const parsed = parseScaleInstrument(ruleSet, instrument);
    const loadPlan = scaleLoadPoints(ruleSet, parsed);
    const steps = scaleProcedure(loadPlan);
    return {
      kind,
      ruleSet: ruleSetText,
      stage: input.stage,
      instrument,
      recordInstrument,
      steps: { kind: 'scale', steps, roundingWeight: loadPlan.roundingWeight, unit: loadPlan.unit },
      standards: scaleStandards(input, ruleSet, parsed, steps),
    };
  }
  if (kind === 'dispenser') {
    const plan = dispenserTestPlan(
      entry.ruleSet as Parameters<typeof dispenserTestPlan>[0],
      instrument,
      input.overrides[ruleSetText],
    );
    const steps: EntryStep[] = plan.steps.map((step) => ({
      id: step.test === 'delivery' ? `delivery-${step.preset.flow}-${step.run}` : `${step.test}-${step.step}`,
      test: step.test,
      instruction: step.instruction,
      preset: { ...step.preset },
      fields: step.capture.map((field) => ({
        name: field.name,
        unit: field.unit,
        description: field.description,
      })),
    }));
    return {
      kind,
      ruleSet: ruleSetText,
      stage: input.stage,
      instrument,
      recordInstrument,
      steps: { kind, steps },
      standards: input.standards.map(toRecordStandard),
    };
  }
  const plan = taximeterTestPlan(
    entry.ruleSet as Parameters<typeof taximeterTestPlan>[0],
    instrument,
    input.variant ?? 'bench',
  );
  const steps: EntryStep[] = plan.steps.map((step) => ({
    id: step.id,
    test: step.test,
    instruction: step.instruction,
    preset: { test: step.test, ...step.given },
    fields: step.capture.map((name) => ({ name, unit: '', description: name })),
    ...(step.expected ? { expected: { ...step.expected } } : {}),
  }));
  return {
    kind,
    ruleSet: ruleSetText,
    stage: input.stage,
    instrument,
    recordInstrument,
    steps: { kind, steps },
    standards: input.standards.map(toRecordStandard),
  };
}

/** Weight sets must be good enough at every load (before the first load goes on); others by date. */
function scaleStandards(
  input: SessionPlanInput,
  ruleSet: ScaleRuleSet,
  parsed: ReturnType<typeof parseScaleInstrument>,
  steps: readonly ScaleStep[],
): RecordStandard[] {
  const weightSets = input.standards.filter((standard) => standard.kind === 'weight-set');
  const loads = [...new Set(steps.map((step) => step.load).filter((load) => load !== '0'))];
  const used = new Map<string, RecordStandard>();
  for (const load of weightSets.length > 0 ? loads : []) {
    const mpe = mpeAt(ruleSet, parsed.accuracyClass, parsed.e, load, input.stage).toFixed();
    for (const standard of checkStandardsFor({
      standards: weightSets,
      date: input.today,
      load,
      unit: parsed.unit,
      instrumentMpe: mpe,
    })) {
      used.set(standard.id, standard);
    }
  }
  for (const standard of input.standards) {
    if (standard.kind !== 'weight-set') used.set(standard.id, toRecordStandard(standard));
  }
  return [...used.values()];
}
