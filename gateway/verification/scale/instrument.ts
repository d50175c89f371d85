/**
 * The instrument of a scale bench record (contracts.md §1) checked against the rule set's class
 * table (metrology-rules.md §1(a) Table 1.1 and §1(d) metrological-characteristics check). Every
 * error is MG_ERR_INPUT_INVALID naming the field (`instrument.e`).
 */
import { z } from 'zod';
import { Dec } from '../../../drivers/decimal.js';
import { decimalText, inputError, parseInput, positiveDecimal } from '../input.js';
import {
  ACCURACY_CLASSES,
  type AccuracyClass,
  type ClassRangeRow,
  type ScaleClassData,
  type ScaleRuleSet,
} from './rule-set.js';

/** Grams per unit: Table 1.1 writes its e ranges in grams. */
export const MASS_UNITS = { mg: '0.001', g: '1', kg: '1000', t: '1000000' } as const;
export type MassUnit = keyof typeof MASS_UNITS;

/** A parsed, validated instrument. Capacities and intervals are in `unit`. */
export interface ScaleInstrument {
  readonly accuracyClass: AccuracyClass;
  readonly max: Dec;
  /** The given Min, or the class table's lower limit (`minInE` × e) when none was given. */
  readonly min: Dec;
  readonly minFromTable: boolean;
  readonly e: Dec;
  readonly d: Dec;
  readonly unit: MassUnit;
  /** The Table 1.1 row that applies to this e. */
  readonly range: ClassRangeRow;
}

/** zod reports a missing union field as "Invalid input"; this says what is wrong. */
export function required<T extends z.ZodType>(schema: T): z.ZodType<z.output<T>> {
  const present = (value: unknown): boolean => value !== undefined;
  // The cast only widens the input type the pipe expects; the schema still checks the value.
  return z
    .unknown()
    .refine(present, { message: 'is required', abort: true })
    .pipe(schema as unknown as z.ZodType<z.output<T>, unknown>);
}

const instrumentSchema = z.object({
  accuracyClass: z.enum(ACCURACY_CLASSES),
  max: required(positiveDecimal),
  min: positiveDecimal.optional(),
  e: required(positiveDecimal),
  d: required(positiveDecimal),
  unit: z.enum(Object.keys(MASS_UNITS) as [MassUnit, ...MassUnit[]]),
});

/** e and d must be 1, 2 or 5 × 10^k (90/384/EEC Annex I; R 76-1). */
export function isOneTwoFive(value: Dec): boolean {
  return value.greaterThan(0) && /^[125]e[+-]\d+$/.test(value.toExponential());
}

export function grams(value: Dec, unit: MassUnit): Dec {
  return value.times(MASS_UNITS[unit]);
}

export function describeRange(row: ClassRangeRow): string {
  const lower = `${row.eMinGrams} g ≤ e`;
  return row.eMaxGrams === null ? lower : `${lower} ≤ ${row.eMaxGrams} g`;
}

/** The Table 1.1 row whose e range holds `eGrams`, if any (bounds inclusive). */
export function classRangeFor(classData: ScaleClassData, eGrams: Dec): ClassRangeRow | undefined {
  return classData.ranges.find(
    (row) =>
      eGrams.greaterThanOrEqualTo(row.eMinGrams) &&
      (row.eMaxGrams === null || eGrams.lessThanOrEqualTo(row.eMaxGrams)),
  );
}

/** The rule set's data for a class, or an input error naming `path` when it does not cover it. */
export function classDataFor(ruleSet: ScaleRuleSet, accuracyClass: string, path: string): ScaleClassData {
  const data = (ruleSet.classes as Partial<Record<string, ScaleClassData>>)[accuracyClass];
  if (!data) {
    const covered = Object.keys(ruleSet.classes).join(', ');
    throw inputError(path, `${ruleSet.id} covers accuracy classes ${covered}, not "${accuracyClass}"`);
  }
  return data;
}

/**
 * Parses and checks the instrument: class covered by the rule set; e and d of the form
 * 1/2/5 × 10^k; d ≤ e (d = e where the rule set requires it); e inside one of the class's e
 * ranges; n = Max/e inside that row's [n_min, n_max]; Min (default from the table) at least the
 * table's lower limit and at most Max.
 */
export function parseScaleInstrument(
  ruleSet: ScaleRuleSet,
  raw: unknown,
  base = 'instrument',
): ScaleInstrument {
  const input = parseInput(instrumentSchema, raw, base);
  const classData = classDataFor(ruleSet, input.accuracyClass, `${base}.accuracyClass`);
  const { e, d, max, unit } = input;
  if (!isOneTwoFive(e)) throw inputError(`${base}.e`, `must be 1, 2 or 5 × 10^k, got ${decimalText(e)}`);
  if (!isOneTwoFive(d)) throw inputError(`${base}.d`, `must be 1, 2 or 5 × 10^k, got ${decimalText(d)}`);
  if (d.greaterThan(e))
    throw inputError(`${base}.d`, `d (${decimalText(d)}) must not exceed e (${decimalText(e)})`);
  if (ruleSet.requireEEqualsD.value && !d.equals(e)) {
    throw inputError(`${base}.d`, `${ruleSet.id} requires d = e (${decimalText(e)}), got ${decimalText(d)}`);
  }
  const eGrams = grams(e, unit);
  const range = classRangeFor(classData, eGrams);
  if (!range) {
    const ranges = classData.ranges.map(describeRange).join('; ');
    throw inputError(
      `${base}.e`,
      `e = ${decimalText(eGrams)} g is outside the e ranges of class ${input.accuracyClass} (${ranges})`,
    );
  }
  const tooFew = max.lessThan(new Dec(range.nMin).times(e));
  const tooMany = range.nMax !== null && max.greaterThan(new Dec(range.nMax).times(e));
  if (tooFew || tooMany) {
    const n = decimalText(max.div(e));
    throw inputError(
      `${base}.max`,
      `n = Max/e = ${n} is outside [${range.nMin}, ${range.nMax ?? '∞'}] for class ${input.accuracyClass} with ${describeRange(range)}`,
    );
  }
  const tableMin = new Dec(range.minInE).times(e);
  let min = tableMin;
  if (input.min !== undefined) {
    if (input.min.lessThan(tableMin)) {
      throw inputError(
        `${base}.min`,
        `Min ${decimalText(input.min)} is below the class ${input.accuracyClass} lower limit ${range.minInE} e = ${decimalText(tableMin)}`,
      );
    }
    if (input.min.greaterThan(max)) {
      throw inputError(`${base}.min`, `Min ${decimalText(input.min)} exceeds Max ${decimalText(max)}`);
    }
    min = input.min;
  }
  return {
    accuracyClass: input.accuracyClass,
    max,
    min,
    minFromTable: input.min === undefined,
    e,
    d,
    unit,
    range,
  };
}
