/**
 * The dispenser evaluator (metrology-rules.md §2, contracts.md §1–2). Pure: parses the record,
 * computes with exact decimals and compares without division, so an error exactly at a limit is
 * never lost to rounding. Percentages in the result are for display; verdicts use exact values.
 */
import { Dec } from '../../../drivers/decimal.js';
import type { EvaluationBody, EvaluationInput } from '../entry.js';
import { decimalText, inputError, limitText, percentText } from '../input.js';
import type { GroupResult, ResolvedParameters, TestResult } from '../types.js';
import {
  jjgMpeParameter,
  jjgRepeatabilityParameter,
  r117ClassRow,
  r117Emin,
  r117EminAdmissible,
  r117Mpe,
} from './limits.js';
import type { DispenserRuleSet, R117AccuracyClass, R117RuleSet } from './rule-set.js';
import {
  type DeliveryTest,
  type DispenserInstrument,
  type PaymentTest,
  parseDispenserInstrument,
  parseDispenserTests,
} from './schemas.js';

/** A relative error in percent kept as an exact fraction: (V_J − V_ref) × 100 / V_ref, V_ref > 0. */
interface PercentRatio {
  numerator: Dec;
  denominator: Dec;
}

interface Run {
  flow: string;
  ratio: PercentRatio;
  /** False when the run does not count towards repeatability (R 117: below 5 × MMQ). */
  countsForRepeatability: boolean;
}

interface TrueVolume {
  volume: Dec;
  /** The reference inputs repeated in the result, plus V_Bt for the can method. */
  fields: Record<string, string>;
}

/** How one rule family judges a delivery and a repeatability series. */
interface DeliveryJudge {
  judge(test: DeliveryTest, truth: TrueVolume, ratio: PercentRatio): { result: TestResult; run: Run };
  repeatabilityLimitPercent(flow: string): Dec;
  /** The limit as the rule set writes it, when it is a parameter of its own. */
  repeatabilityLimitText?(flow: string): string;
}

export function evaluateDispenser(ruleSet: DispenserRuleSet, input: EvaluationInput): EvaluationBody {
  const instrument = parseDispenserInstrument(input.instrument);
  const tests = parseDispenserTests(input.tests);
  // Built at the first delivery: a record of payment tests alone needs no MMQ or scale interval.
  let judge: DeliveryJudge | undefined;
  const deliveryJudge = (): DeliveryJudge => {
    judge ??=
      ruleSet.family === 'jjg443' ? jjgJudge(instrument, input) : r117Judge(ruleSet, instrument, input);
    return judge;
  };

  const results: TestResult[] = [];
  const runs: Run[] = [];
  tests.forEach((test, index) => {
    const path = `tests[${index}]`;
    if (test.test === 'payment') {
      results.push(judgePayment(test, instrument, input.params));
      return;
    }
    if (test.test === 'totalizer') {
      const advance = test.totalAfter.minus(test.totalBefore);
      results.push({
        test: 'totalizer',
        ...(test.nozzle !== undefined ? { nozzle: test.nozzle } : {}),
        totalBefore: decimalText(test.totalBefore),
        totalAfter: decimalText(test.totalAfter),
        deliveredVolume: decimalText(test.deliveredVolume),
        error: decimalText(advance.minus(test.deliveredVolume)),
        pass: advance.equals(test.deliveredVolume),
        ...(advance.equals(test.deliveredVolume) ? {} : { reason: 'totalizer-mismatch' }),
      });
      return;
    }
    const truth = trueVolume(ruleSet, instrument, test, path);
    const ratio = {
      numerator: test.indicatedVolume.minus(truth.volume).times(100),
      denominator: truth.volume,
    };
    const judged = deliveryJudge().judge(test, truth, ratio);
    results.push(judged.result);
    runs.push(judged.run);
  });

  const groups = judge ? repeatabilityGroups(runs, judge) : [];
  const verdict = results.every((r) => r.pass) && groups.every((g) => g.pass) ? 'pass' : 'fail';
  return { verdict, tests: results, groups };
}

/** V_ref: the reference volume, or the can reading corrected to the dispenser's fuel temperature. */
function trueVolume(
  ruleSet: DispenserRuleSet,
  instrument: DispenserInstrument,
  test: DeliveryTest,
  path: string,
): TrueVolume {
  const reference = test.reference;
  if (reference.method === 'reference-volume') {
    return {
      volume: reference.referenceVolume,
      fields: { referenceVolume: decimalText(reference.referenceVolume) },
    };
  }
  const method = ruleSet.canMethod;
  if (instrument.fuel === undefined) {
    throw inputError(
      'instrument.fuel',
      `is required for the standard-can method used by ${path} (gasoline, diesel or kerosene)`,
    );
  }
  if (instrument.canMaterial === undefined) {
    throw inputError(
      'instrument.canMaterial',
      `is required for the standard-can method used by ${path} (stainless-steel or carbon-steel)`,
    );
  }
  const { canVolume, fuelTemperature, canTemperature } = reference;
  const difference = fuelTemperature.minus(canTemperature);
  const maxDifference = new Dec(method.maxTemperatureDifference.value);
  if (difference.abs().gt(maxDifference)) {
    // Not a verdict on the instrument: the bench conditions make the run no test at all.
    throw inputError(
      `${path}.fuelTemperature`,
      `|t_J − t_B| = |${fuelTemperature.toFixed()} − ${canTemperature.toFixed()}| = ${difference.abs().toFixed()} °C exceeds ` +
        `${maxDifference.toFixed()} °C: the run is not a valid test (${ruleSet.id}); repeat it when the fuel at the ` +
        'nozzle and in the can agree within the limit',
    );
  }
  const betaFuel = new Dec(method.fuelExpansion[instrument.fuel].value);
  const betaCan = new Dec(method.canExpansion[instrument.canMaterial].value);
  const factor = new Dec(1)
    .plus(betaFuel.times(difference))
    .plus(betaCan.times(canTemperature.minus(method.referenceTemperature.value)));
  const corrected = canVolume.times(factor);
  if (!corrected.greaterThan(0)) {
    throw inputError(
      `${path}.canTemperature`,
      `gives a corrected can volume of ${corrected.toFixed()} L, which is not positive`,
    );
  }
  return {
    volume: corrected,
    fields: {
      canVolume: decimalText(canVolume),
      fuelTemperature: decimalText(fuelTemperature),
      canTemperature: decimalText(canTemperature),
      correctedVolume: decimalText(corrected),
    },
  };
}

function jjgJudge(instrument: DispenserInstrument, input: EvaluationInput): DeliveryJudge {
  const component = instrument.component ?? 'system';
  const multiplier = input.stage === 'in-service' ? input.params.get('inServiceMultiplier') : new Dec(1);
  return {
    judge(test, truth, ratio) {
      const mpeName = jjgMpeParameter(component, test.flow);
      const mpePercent = input.params.get(mpeName).times(multiplier);
      const pass = ratio.numerator.abs().lte(mpePercent.times(ratio.denominator));
      const result: TestResult = {
        test: 'delivery',
        flow: test.flow,
        indicatedVolume: decimalText(test.indicatedVolume),
        ...truth.fields,
        errorPercent: percentText(ratio.numerator.div(ratio.denominator)),
        mpePercent: limitText(mpePercent, input.params.text(mpeName)),
        pass,
      };
      return { result, run: { flow: test.flow, ratio, countsForRepeatability: true } };
    },
    repeatabilityLimitPercent: (flow) => input.params.get(jjgRepeatabilityParameter(component, flow)),
    repeatabilityLimitText: (flow) => input.params.text(jjgRepeatabilityParameter(component, flow)),
  };
}

function r117Judge(
  ruleSet: R117RuleSet,
  instrument: DispenserInstrument,
  input: EvaluationInput,
): DeliveryJudge {
  const { params } = input;
  const classRow = r117Class(ruleSet, instrument);
  const lineA = new Dec(classRow.lineA);
  const linePercent = new Dec(instrument.component === 'meter' ? classRow.lineB : classRow.lineA);
  const repeatabilityLimit = lineA.times(params.get('repeatabilityFraction'));
  if (instrument.mmq === undefined) {
    throw inputError(
      'instrument.mmq',
      `is required by ${ruleSet.id} for deliveries (minimum measured quantity, L)`,
    );
  }
  if (instrument.scaleInterval === undefined) {
    throw inputError(
      'instrument.scaleInterval',
      `is required by ${ruleSet.id} for deliveries (smallest scale interval R, L)`,
    );
  }
  const mmq = instrument.mmq;
  const emin = r117Emin(ruleSet, mmq, lineA);
  const eminAdmissible = r117EminAdmissible(ruleSet, emin, instrument.scaleInterval);
  const repeatabilityFrom = mmq.times(params.get('repeatabilityMinQuantityFactor'));
  const [lowerMultiplier, upperMultiplier] = stageMultipliers(input.stage, params);

  return {
    judge(test, truth, ratio) {
      const volume = test.indicatedVolume;
      const mpe = r117Mpe(ruleSet, volume, linePercent, emin);
      const lower = mpe.times(lowerMultiplier).negated();
      const upper = mpe.times(upperMultiplier);
      const error = volume.minus(truth.volume);
      const within = error.gte(lower) && error.lte(upper);
      const reason = !eminAdmissible ? 'scale-interval-too-large' : volume.lt(mmq) ? 'below-mmq' : undefined;
      const limits = lowerMultiplier.eq(upperMultiplier)
        ? { mpe: decimalText(upper) }
        : { lower: decimalText(lower), upper: decimalText(upper) };
      const result: TestResult = {
        test: 'delivery',
        flow: test.flow,
        indicatedVolume: decimalText(volume),
        ...truth.fields,
        error: decimalText(error),
        errorPercent: percentText(ratio.numerator.div(ratio.denominator)),
        ...limits,
        emin: decimalText(emin),
        pass: within && reason === undefined,
        ...(reason ? { reason } : {}),
      };
      return {
        result,
        run: { flow: test.flow, ratio, countsForRepeatability: volume.gte(repeatabilityFrom) },
      };
    },
    repeatabilityLimitPercent: () => repeatabilityLimit,
  };
}

function r117Class(ruleSet: R117RuleSet, instrument: DispenserInstrument): R117AccuracyClass {
  const accuracyClass = instrument.accuracyClass ?? new Dec(ruleSet.defaultAccuracyClass.value);
  const row = r117ClassRow(ruleSet, accuracyClass);
  if (!row) {
    const known = ruleSet.accuracyClasses.rows.map((r) => r.accuracyClass).join(', ');
    throw inputError(
      'instrument.accuracyClass',
      `${accuracyClass.toFixed()} is not a class of ${ruleSet.id}; classes: ${known}`,
    );
  }
  return row;
}

/** R 117 stage factors on |MPE|: [below zero, above zero]. Error = indicated − true. */
function stageMultipliers(stage: EvaluationInput['stage'], params: ResolvedParameters): [Dec, Dec] {
  if (stage === 'subsequent') return [params.get('subsequentMultiplier'), params.get('subsequentMultiplier')];
  if (stage === 'in-service')
    return [params.get('inServiceLowerMultiplier'), params.get('inServiceUpperMultiplier')];
  return [new Dec(1), new Dec(1)];
}

function judgePayment(
  test: PaymentTest,
  instrument: DispenserInstrument,
  params: ResolvedParameters,
): TestResult {
  const step = instrument.minPaymentStep ?? params.get('minPaymentStep');
  const expected = test.unitPrice.times(test.indicatedVolume);
  const error = test.indicatedAmount.minus(expected);
  return {
    test: 'payment',
    unitPrice: decimalText(test.unitPrice),
    indicatedVolume: decimalText(test.indicatedVolume),
    indicatedAmount: decimalText(test.indicatedAmount),
    expectedAmount: decimalText(expected),
    error: decimalText(error),
    mpe: decimalText(step),
    pass: error.abs().lte(step),
  };
}

/** Sign of a − b for two percent ratios, by cross-multiplying their positive denominators. */
function compareRatios(a: PercentRatio, b: PercentRatio): number {
  return a.numerator.times(b.denominator).cmp(b.numerator.times(a.denominator));
}

/** Repeatability per flow label: the range of the runs' relative errors; one run has none. */
function repeatabilityGroups(runs: readonly Run[], judge: DeliveryJudge): GroupResult[] {
  const byFlow = new Map<string, PercentRatio[]>();
  for (const run of runs) {
    if (!run.countsForRepeatability) continue;
    const list = byFlow.get(run.flow) ?? [];
    list.push(run.ratio);
    byFlow.set(run.flow, list);
  }
  const groups: GroupResult[] = [];
  for (const [flow, ratios] of byFlow) {
    if (ratios.length < 2) continue;
    let max = ratios[0]!;
    let min = ratios[0]!;
    for (const ratio of ratios) {
      if (compareRatios(ratio, max) > 0) max = ratio;
      if (compareRatios(ratio, min) < 0) min = ratio;
    }
    const limit = judge.repeatabilityLimitPercent(flow);
    // max − min ≤ limit, multiplied through by both (positive) denominators.
    const rangeNumerator = max.numerator.times(min.denominator).minus(min.numerator.times(max.denominator));
    const pass = rangeNumerator.lte(limit.times(max.denominator).times(min.denominator));
    groups.push({
      flow,
      runs: ratios.length,
      rangePercent: percentText(max.numerator.div(max.denominator).minus(min.numerator.div(min.denominator))),
      limitPercent: judge.repeatabilityLimitText
        ? limitText(limit, judge.repeatabilityLimitText(flow))
        : decimalText(limit),
      pass,
    });
  }
  return groups;
}
