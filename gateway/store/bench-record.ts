/**
 * From a bench's captured tests to a stored record: evaluate them under the rule set (with the
 * config's overrides), date the validity, and append the record (and its history row) to the store.
 * `metrogate verify` and the demo's automatic verifications both end here.
 */
import { Dec } from '../../drivers/decimal.js';
import { evaluate } from '../verification/evaluate.js';
import type { EvaluationResult, RuleOverrides, Stage } from '../verification/types.js';
import type { RecordInstrument, RecordStandard, StoredVerificationRecord } from './record-types.js';
import { type ReferenceStandard, toRecordStandard } from './standards.js';
import { checkStandardsFor } from './standards-check.js';
import type { MetrogateStore } from './store.js';

/** Verification periods when the register does not say (ARCHITECTURE.md "Coverage indicators"). */
export const DEFAULT_PERIOD_MONTHS = { scale: 12, dispenser: 6, taximeter: 12 } as const;

/**
 * Valid through the day before the same date `months` later; a day the target month lacks clamps to
 * its last day (verified 2026-01-31 for 1 month: the same date later is 2026-02-28, valid to 02-27).
 */
export function validUntil(isoDate: string, months: number): string {
  const [y, m, d] = isoDate.slice(0, 10).split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, lastDay));
  target.setUTCDate(target.getUTCDate() - 1);
  return target.toISOString().slice(0, 10);
}

/**
 * Cans and pulse generators are checked against the strictest relative MPE the result applied (known
 * only once the values are in); other standards were checked for their due date before the run.
 */
export function relativeStandardsFor(
  result: EvaluationResult,
  standards: readonly ReferenceStandard[],
  date: string,
): RecordStandard[] {
  const relative = standards.filter((s) => s.kind === 'can' || s.kind === 'pulse-generator');
  const percents: Dec[] = [];
  for (const test of result.tests) {
    if (typeof test.mpePercent === 'string') percents.push(new Dec(test.mpePercent));
    else if (
      test.test === 'distance' &&
      typeof test.mpe === 'string' &&
      typeof test.trueDistance === 'string'
    ) {
      percents.push(new Dec(test.mpe).div(test.trueDistance).times(100));
    }
  }
  const checked =
    relative.length > 0 && percents.length > 0
      ? checkStandardsFor({ standards: relative, date, instrumentMpe: Dec.min(...percents).toFixed() })
      : relative.map(toRecordStandard);
  return [
    ...checked,
    ...standards.filter((s) => s.kind !== 'can' && s.kind !== 'pulse-generator').map(toRecordStandard),
  ];
}

export interface BenchRecordInput {
  ruleSet: string;
  stage: Stage;
  /** The instrument as the rule set reads it (contracts.md §1). */
  instrument: Record<string, unknown>;
  tests: Record<string, unknown>[];
  recordInstrument: RecordInstrument;
  overrides?: RuleOverrides;
  operator: string;
  /** The standards used, or how to choose them once the result says which tests used which. */
  standards: RecordStandard[] | ((result: EvaluationResult) => RecordStandard[]);
  device?: { driverId?: string; identity?: Record<string, string | undefined> };
  periodMonths: number;
  performedAt?: Date;
}

export function recordBenchResult(
  store: Pick<MetrogateStore, 'records'>,
  input: BenchRecordInput,
): StoredVerificationRecord {
  const bench = {
    ruleSet: input.ruleSet,
    stage: input.stage,
    instrument: input.instrument,
    tests: input.tests,
  };
  const result = evaluate(bench, { overrides: input.overrides ?? {} });
  const performedAt = (input.performedAt ?? new Date()).toISOString();
  return store.records.append({
    instrument: input.recordInstrument,
    bench,
    result,
    ...(result.verdict === 'pass' ? { validUntil: validUntil(performedAt, input.periodMonths) } : {}),
    ...(input.device ? { device: input.device } : {}),
    operator: input.operator,
    standards: typeof input.standards === 'function' ? input.standards(result) : input.standards,
    performedAt,
  });
}
