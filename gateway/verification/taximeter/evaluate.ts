/**
 * The taximeter evaluator (metrology-rules.md §3, contracts.md §1-2): installed and bench distance,
 * time and fare tests, one result per input test in input order. The limits do not depend on the
 * stage: the reference gives one band per test kind (JJG 517 本机 before installation, 装车后 for
 * first and periodic verification, the same band in service per JJG(京)177-2025).
 */
import { z } from 'zod';
import type { EvaluationBody, EvaluationInput, RuleSetEntry } from '../entry.js';
import { decimalText, inputError, parseInput, percentText } from '../input.js';
import type { TestResult } from '../types.js';
import { expectedFare, fareOf } from './fare.js';
import {
  judgeBenchDistance,
  judgeFare,
  judgeInstalledDistance,
  judgeTime,
  readLimits,
  shownText,
  type TaximeterLimits,
} from './limits.js';
import {
  parseTaximeterTest,
  type TaximeterInstrument,
  type TaximeterTest,
  taximeterInstrumentSchema,
} from './schema.js';
import type { TaximeterRuleSet } from './types.js';

export function taximeterEntry(ruleSet: TaximeterRuleSet): RuleSetEntry {
  return { ruleSet, evaluate: (input) => evaluateTaximeter(ruleSet, input) };
}

export function evaluateTaximeter(ruleSet: TaximeterRuleSet, input: EvaluationInput): EvaluationBody {
  const limits = readLimits(ruleSet, input.params);
  const instrument = parseInput(taximeterInstrumentSchema, input.instrument, 'instrument');
  const rawTests = parseInput(z.array(z.unknown()), input.tests, 'tests');
  const tests = rawTests.map((raw, i) => parseTaximeterTest(raw, `tests[${i}]`));

  const results = tests.map((test, i) => judgeTest(ruleSet, limits, instrument, test, `tests[${i}]`));
  return { verdict: results.every((r) => r.pass) ? 'pass' : 'fail', tests: results };
}

function judgeTest(
  ruleSet: TaximeterRuleSet,
  limits: TaximeterLimits,
  instrument: TaximeterInstrument,
  test: TaximeterTest,
  path: string,
): TestResult {
  switch (test.test) {
    case 'distance': {
      if (test.variant === 'installed') {
        if (!limits.installed) {
          const why = ruleSet.installedDistance.judged ? '' : ruleSet.installedDistance.why;
          throw inputError(
            path,
            `${ruleSet.id} sets no limit for an installed taximeter (${why}); give testDistance and pulses for a bench test, or use a national rule set such as JJG517-2016`,
          );
        }
        const judged = judgeInstalledDistance(test.indicatedDistance, test.trueDistance, limits.installed);
        return {
          test: 'distance',
          indicatedDistance: decimalText(test.indicatedDistance),
          trueDistance: decimalText(test.trueDistance),
          errorPercent: percentText(judged.errorPercent),
          lowerPercent: decimalText(limits.installed.lowerPercent),
          upperPercent: decimalText(limits.installed.upperPercent),
          pass: judged.pass,
        };
      }
      if (!instrument.k) throw inputError('instrument.k', `required by the bench distance test ${path}`);
      const judged = judgeBenchDistance(test.testDistance, test.pulses, instrument.k, limits.benchDistance);
      return {
        test: 'distance',
        testDistance: decimalText(test.testDistance),
        pulses: decimalText(test.pulses),
        trueDistance: shownText(judged.trueDistance),
        error: shownText(judged.error),
        mpe: shownText(judged.mpe),
        pass: judged.pass,
      };
    }
    case 'time': {
      const judged = judgeTime(test.indicated, test.reference, limits.time);
      return {
        test: 'time',
        indicated: decimalText(test.indicated),
        reference: decimalText(test.reference),
        error: decimalText(judged.error),
        mpe: decimalText(judged.mpe),
        pass: judged.pass,
      };
    }
    case 'fare': {
      const tariff = instrument.tariff;
      if (!tariff) throw inputError('instrument.tariff', `required by the fare test ${path}`);
      const expected = expectedFare(tariff, test.distance, test.duration, limits.fare.rounding);
      const judged = judgeFare(test.indicatedFare, expected.fare3600, tariff.fareResolution, limits.fare);
      return {
        test: 'fare',
        indicatedFare: decimalText(test.indicatedFare),
        distance: decimalText(test.distance),
        duration: decimalText(test.duration),
        expectedFare: shownText(fareOf(expected)),
        tariffApplied: expected.tariffApplied,
        error: shownText(judged.error),
        mpe: shownText(judged.mpe),
        pass: judged.pass,
      };
    }
  }
}
