/**
 * Walks a scale's verification procedure against a connected scale driver. Whoever puts the loads
 * on the platform is an operator: a technician answering prompts, or the simulator's control API
 * (`--auto`). Every stable indication is taken from the driver; with rounding-error elimination
 * the operator adds 0.1 e weights until the indication steps up and reports their total (ΔL).
 */
import { throwIfAborted } from '../../drivers/abort.js';
import type { ScaleDriver } from '../../drivers/contract.js';
import { Dec } from '../../drivers/decimal.js';
import { MetrogateError } from '../../drivers/errors.js';
import { evaluate } from './evaluate.js';
import { positionOf, type ScaleCapture, type ScaleStep, scaleBenchTests } from './procedures/scale.js';
import type { RuleOverrides, RuleSetId, Stage } from './types.js';

export interface ScaleOperator {
  /** Put `load` on the receptor at `position` (and take everything else off). */
  place(step: ScaleStep, load: string, position: string): Promise<void>;
  /**
   * Rounding-error elimination at the current load: add weights of `roundingWeight` one at a time
   * until the indication rises from `indication` by one interval; resolves with their total ΔL.
   */
  findRoundingLoad(
    step: ScaleStep,
    indication: string,
    roundingWeight: string,
    read: () => Promise<string>,
  ): Promise<string>;
  /** Add the discrimination load (1.4 d) on top of the current load. */
  addExtraLoad(step: ScaleStep, extraLoad: string): Promise<void>;
}

export interface StepOutcome {
  step: ScaleStep;
  capture: ScaleCapture;
  /**
   * This capture judged alone, for display as the run goes: a weighing at its load (error against
   * MPE), the zero test, or the discrimination step (change against d). The verdict comes from the
   * whole record at the end.
   */
  summary?: string;
  pass?: boolean;
}

export interface GuidedScaleOptions {
  driver: ScaleDriver;
  operator: ScaleOperator;
  steps: readonly ScaleStep[];
  ruleSet: RuleSetId;
  stage: Stage;
  instrument: Record<string, unknown>;
  roundingWeight: string;
  /** Use rounding-error elimination (E = I + e/2 − ΔL − L) at every reading. */
  rounding: boolean;
  overrides?: RuleOverrides;
  stableTimeoutMs?: number;
  signal: AbortSignal;
  onStep?: (outcome: StepOutcome, index: number, total: number) => void;
}

export interface GuidedScaleResult {
  tests: Record<string, unknown>[];
  captures: Map<string, ScaleCapture>;
}

/** One capture judged alone (see StepOutcome.summary), corrected by the zero test when there is one. */
function stepJudgement(
  options: GuidedScaleOptions,
  step: ScaleStep,
  capture: ScaleCapture,
  zero: ScaleCapture | undefined,
): Pick<StepOutcome, 'summary' | 'pass'> {
  const reading = {
    indication: capture.indication,
    ...(capture.roundingLoad ? { roundingLoad: capture.roundingLoad } : {}),
  };
  const zeroTest = zero
    ? [
        {
          test: 'zero',
          indication: zero.indication,
          ...(zero.roundingLoad ? { roundingLoad: zero.roundingLoad } : {}),
        },
      ]
    : [];
  let tests: Record<string, unknown>[];
  if (step.kind === 'zero') tests = [{ test: 'zero', ...reading }];
  else if (step.kind === 'discrimination') {
    tests = [
      {
        test: 'discrimination',
        load: step.load,
        indicationBefore: capture.indication,
        indicationAfter: capture.indicationAfter ?? capture.indication,
      },
    ];
  } else tests = [...zeroTest, { test: 'weighing', load: step.load, ...reading }];
  try {
    const result = evaluate(
      { ruleSet: options.ruleSet, stage: options.stage, instrument: options.instrument, tests },
      { overrides: options.overrides ?? {} },
    );
    const judged = result.tests[result.tests.length - 1]!;
    const mark = judged.pass ? 'ok' : 'OUT';
    const summary =
      step.kind === 'discrimination'
        ? `change ${String(judged.change)} (needs ${String(judged.required)}) ${mark}`
        : step.kind === 'zero'
          ? `E0 = ${String(judged.error)}, limit ±${String(judged.mpe ?? judged.limit)} ${mark}`
          : `E = ${String(judged.error)}, MPE ±${String(judged.mpe)} ${mark}`;
    return { summary, pass: judged.pass };
  } catch {
    return {};
  }
}

async function readStableValue(options: GuidedScaleOptions, step: ScaleStep): Promise<string> {
  const reading = await options.driver.readStable(options.signal, options.stableTimeoutMs ?? 30_000);
  if (reading.quality !== 'good') {
    throw new MetrogateError('MG_ERR_DEVICE_ERROR', `step ${step.id}: the scale reports ${reading.quality}`, {
      device: options.driver.deviceId,
    });
  }
  return reading.value;
}

export async function runGuidedScale(options: GuidedScaleOptions): Promise<GuidedScaleResult> {
  const captures = new Map<string, ScaleCapture>();
  const total = options.steps.length;
  for (const [index, step] of options.steps.entries()) {
    throwIfAborted(options.signal);
    await options.operator.place(step, step.load, positionOf(step));
    const indication = await readStableValue(options, step);
    const capture: ScaleCapture = { indication };
    if (options.rounding && step.kind !== 'discrimination') {
      capture.roundingLoad = await options.operator.findRoundingLoad(
        step,
        indication,
        options.roundingWeight,
        () => readStableValue(options, step),
      );
    }
    if (step.kind === 'discrimination') {
      await options.operator.addExtraLoad(step, step.extraLoad);
      capture.indicationAfter = await readStableValue(options, step);
    }
    captures.set(step.id, capture);
    options.onStep?.(
      { step, capture, ...stepJudgement(options, step, capture, captures.get('zero')) },
      index,
      total,
    );
  }
  return { tests: scaleBenchTests(options.steps, captures), captures };
}

/**
 * The change-point method done by adding weights: step the load up by `roundingWeight` until the
 * indication rises above `indication`. Used by the simulator operator; a technician does the same
 * by hand. Gives up after 2 e of added weight (the indication must have moved by then).
 */
export async function changePointByStepping(
  indication: string,
  roundingWeight: string,
  setExtra: (extra: string) => Promise<void>,
  read: () => Promise<string>,
): Promise<string> {
  const start = new Dec(indication);
  const step = new Dec(roundingWeight);
  for (let n = 1; n <= 20; n++) {
    const extra = step.times(n);
    await setExtra(extra.toFixed());
    if (new Dec(await read()).greaterThan(start)) return extra.toFixed();
  }
  throw new MetrogateError(
    'MG_ERR_DEVICE_ERROR',
    `the indication did not change after adding ${step.times(20).toFixed()}`,
    {},
  );
}
