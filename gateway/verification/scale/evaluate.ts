/**
 * Judges the tests of a scale bench record (contracts.md §1 scale tests, §2 result) under a scale
 * rule set (metrology-rules.md §1(c) error computation, §1(d) verdict rules). Pure; exact decimals.
 *
 * A reading before rounding is P = I + e/2 − ΔL with a `roundingLoad` ΔL, else the indication I.
 * The error at load L is E = P − L; where a zero test with a rounding load applies, Ec = E − E0.
 */
import { z } from 'zod';
import { Dec } from '../../../drivers/decimal.js';
import type { EvaluationBody } from '../entry.js';
import { decimalInput, decimalText, inputError, nonNegativeDecimal, parseInput } from '../input.js';
import type { ResolvedParameters, Stage, TestResult } from '../types.js';
import { parseScaleInstrument, required, type ScaleInstrument } from './instrument.js';
import { mpeAt } from './mpe.js';
import type { ScaleRuleSet } from './rule-set.js';

export const SCALE_TESTS = [
  'weighing',
  'repeatability',
  'eccentricity',
  'zero',
  'tare',
  'discrimination',
] as const;

const readingFields = {
  indication: required(decimalInput),
  roundingLoad: nonNegativeDecimal.optional(),
};

const testKind = z.object({ test: z.enum(SCALE_TESTS) });

const testSchemas = {
  weighing: z.object({
    test: z.literal('weighing'),
    load: required(nonNegativeDecimal),
    ...readingFields,
    direction: z.enum(['up', 'down']).optional(),
  }),
  repeatability: z.object({
    test: z.literal('repeatability'),
    load: required(nonNegativeDecimal),
    readings: z.array(z.object(readingFields)).min(2, 'at least 2 readings are required'),
  }),
  eccentricity: z.object({
    test: z.literal('eccentricity'),
    load: required(nonNegativeDecimal),
    positions: z
      .array(z.object({ position: z.string().trim().min(1, 'must name the position'), ...readingFields }))
      .min(1, 'at least 1 position is required'),
  }),
  zero: z.object({
    test: z.literal('zero'),
    ...readingFields,
    /** The reference load L0 (0, or about 10 e to escape zero tracking); defaults to 0. */
    load: nonNegativeDecimal.optional(),
  }),
  tare: z.object({ test: z.literal('tare'), ...readingFields }),
  discrimination: z.object({
    test: z.literal('discrimination'),
    load: required(nonNegativeDecimal),
    indicationBefore: required(decimalInput),
    indicationAfter: required(decimalInput),
  }),
};

type Reading = { indication: Dec; roundingLoad?: Dec | undefined };
type ScaleTest = {
  [K in keyof typeof testSchemas]: z.output<(typeof testSchemas)[K]>;
}[keyof typeof testSchemas];

/** Parses every test, then checks what the schemas cannot: loads within Max, ΔL within e, distinct positions. */
export function parseScaleTests(raw: unknown, instrument: ScaleInstrument): ScaleTest[] {
  const list = parseInput(z.array(z.unknown()).min(1, 'at least one test is required'), raw, 'tests');
  return list.map((item, index) => {
    const base = `tests[${index}]`;
    const { test } = parseInput(testKind, item, base);
    const parsed = parseInput<ScaleTest>(testSchemas[test], item, base);
    checkTest(parsed, instrument, base);
    return parsed;
  });
}

function checkTest(test: ScaleTest, instrument: ScaleInstrument, base: string): void {
  const checkRounding = (reading: Reading, path: string) => {
    if (reading.roundingLoad?.greaterThan(instrument.e)) {
      throw inputError(
        `${path}.roundingLoad`,
        `${decimalText(reading.roundingLoad)} exceeds e (${decimalText(instrument.e)}); the rounding load is the small load that raises the indication by one interval`,
      );
    }
  };
  if ('load' in test && test.load?.greaterThan(instrument.max)) {
    throw inputError(
      `${base}.load`,
      `${decimalText(test.load)} exceeds Max (${decimalText(instrument.max)})`,
    );
  }
  switch (test.test) {
    case 'weighing':
    case 'zero':
    case 'tare':
      checkRounding(test, base);
      break;
    case 'repeatability':
      for (const [i, reading] of test.readings.entries()) checkRounding(reading, `${base}.readings[${i}]`);
      break;
    case 'eccentricity': {
      const seen = new Set<string>();
      test.positions.forEach((position, i) => {
        const path = `${base}.positions[${i}]`;
        if (seen.has(position.position))
          throw inputError(`${path}.position`, `duplicate position "${position.position}"`);
        seen.add(position.position);
        checkRounding(position, path);
      });
      break;
    }
    case 'discrimination':
      break;
  }
}

/** P: the indication before rounding (I + e/2 − ΔL), or the indication itself without ΔL. */
export function valueBeforeRounding(reading: Reading, e: Dec): Dec {
  return reading.roundingLoad === undefined
    ? reading.indication
    : reading.indication.plus(e.div(2)).minus(reading.roundingLoad);
}

/**
 * E0 for the test at `index`: the nearest zero test with a rounding load before it, else the first
 * one after it. A zero test without a rounding load does not correct: its error is a rounded
 * indication (a multiple of d), and subtracting it would add up to d/2 of rounding error to every
 * other test instead of removing the zero offset.
 */
function zeroCorrectionFinder(tests: readonly ScaleTest[], e: Dec): (index: number) => Dec | undefined {
  const zeroErrors: { index: number; e0: Dec }[] = [];
  tests.forEach((test, index) => {
    if (test.test === 'zero' && test.roundingLoad !== undefined) {
      zeroErrors.push({ index, e0: valueBeforeRounding(test, e).minus(test.load ?? 0) });
    }
  });
  return (index) => {
    const before = zeroErrors.filter((z0) => z0.index < index).at(-1);
    return (before ?? zeroErrors[0])?.e0;
  };
}

/** Evaluates a scale bench record's instrument and tests for a stage. */
export function evaluateScale(
  ruleSet: ScaleRuleSet,
  input: { stage: Stage; instrument: unknown; tests: unknown; params: ResolvedParameters },
): EvaluationBody {
  const { stage, params } = input;
  const instrument = parseScaleInstrument(ruleSet, input.instrument);
  const tests = parseScaleTests(input.tests, instrument);
  const { e, d, min } = instrument;
  const zeroCorrection = zeroCorrectionFinder(tests, e);
  const mpe = (load: Dec) => mpeAt(ruleSet, instrument.accuracyClass, e, load, stage, params);
  const corrected = (reading: Reading, load: Dec, e0: Dec | undefined) => {
    const error = valueBeforeRounding(reading, e).minus(load);
    return e0 === undefined ? error : error.minus(e0);
  };
  const zeroField = (e0: Dec | undefined) => (e0 === undefined ? {} : { zeroCorrection: decimalText(e0) });
  const belowMin = (load: Dec) => load.lessThan(min);

  const judge = (test: ScaleTest, index: number): TestResult => {
    switch (test.test) {
      case 'weighing': {
        const e0 = zeroCorrection(index);
        const error = corrected(test, test.load, e0);
        const limit = mpe(test.load);
        return withReason(
          {
            test: 'weighing',
            load: decimalText(test.load),
            ...(test.direction ? { direction: test.direction } : {}),
            error: decimalText(error),
            ...zeroField(e0),
            mpe: decimalText(limit),
            pass: error.abs().lessThanOrEqualTo(limit),
          },
          belowMin(test.load) ? 'below-min' : undefined,
        );
      }
      case 'repeatability': {
        const e0 = zeroCorrection(index);
        const values = test.readings.map((reading) => valueBeforeRounding(reading, e));
        const range = Dec.max(...values).minus(Dec.min(...values));
        const limit = mpe(test.load).times(params.get('repeatabilityLimitFactor'));
        return withReason(
          {
            test: 'repeatability',
            load: decimalText(test.load),
            readings: test.readings.length,
            errors: test.readings.map((reading) => decimalText(corrected(reading, test.load, e0))),
            ...zeroField(e0),
            range: decimalText(range),
            limit: decimalText(limit),
            pass: range.lessThanOrEqualTo(limit),
          },
          belowMin(test.load) ? 'below-min' : undefined,
        );
      }
      case 'eccentricity': {
        const e0 = zeroCorrection(index);
        const limit = mpe(test.load);
        const positions = test.positions.map((position) => {
          const error = corrected(position, test.load, e0);
          return { position: position.position, error, pass: error.abs().lessThanOrEqualTo(limit) };
        });
        const worst = positions.reduce((a, b) => (b.error.abs().greaterThan(a.error.abs()) ? b : a));
        return withReason(
          {
            test: 'eccentricity',
            load: decimalText(test.load),
            positions: positions.map((p) => ({
              position: p.position,
              error: decimalText(p.error),
              pass: p.pass,
            })),
            error: decimalText(worst.error),
            ...zeroField(e0),
            mpe: decimalText(limit),
            pass: positions.every((p) => p.pass),
          },
          belowMin(test.load) ? 'below-min' : undefined,
        );
      }
      case 'zero': {
        const error = valueBeforeRounding(test, e).minus(test.load ?? 0);
        const limit = params.get('zeroSettingLimitInE').times(e);
        return {
          test: 'zero',
          ...(test.load !== undefined ? { load: decimalText(test.load) } : {}),
          error: decimalText(error),
          mpe: decimalText(limit),
          pass: error.abs().lessThanOrEqualTo(limit),
        };
      }
      case 'tare': {
        const error = valueBeforeRounding(test, e);
        const limit = params.get('tareLimitInE').times(e);
        return {
          test: 'tare',
          error: decimalText(error),
          mpe: decimalText(limit),
          pass: error.abs().lessThanOrEqualTo(limit),
        };
      }
      case 'discrimination': {
        const change = test.indicationAfter.minus(test.indicationBefore);
        const required = params.get('discriminationMinChangeInD').times(d);
        const pass = change.greaterThanOrEqualTo(required);
        return withReason(
          {
            test: 'discrimination',
            load: decimalText(test.load),
            extraLoad: decimalText(params.get('discriminationExtraLoadInD').times(d)),
            change: decimalText(change),
            required: decimalText(required),
            pass,
          },
          pass ? undefined : 'no-change',
        );
      }
    }
  };
  const results = tests.map((test, index) => judge(test, index));
  return { verdict: results.every((r) => r.pass) ? 'pass' : 'fail', tests: results };
}

/** A reason other than "error beyond the limit" fails the test whatever its error. */
function withReason(result: TestResult, reason: string | undefined): TestResult {
  return reason === undefined ? result : { ...result, pass: false, reason };
}
