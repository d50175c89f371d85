/**
 * A verification session run over HTTP. For a scale it drives the same procedure as `metrogate
 * verify` (runGuidedScale over the device's own driver) with an operator whose every action is a
 * request: the technician places the load and calls `capture`, the gateway takes the stable
 * reading; with rounding-error elimination the technician enters ΔL. A reading that is not stable
 * in time, or overload, does not end the session: it asks for the same capture again. Dispensers and
 * taximeters are verified by entering the values of each step. `complete` evaluates the bench
 * record, stores the chained record and returns both.
 */
import { randomBytes } from 'node:crypto';
import type { Reading, ScaleDriver } from '../../../drivers/contract.js';
import { Dec } from '../../../drivers/decimal.js';
import { abortError, MetrogateError, toMetrogateError } from '../../../drivers/errors.js';
import { relativeStandardsFor, validUntil } from '../../store/bench-record.js';
import type { StoredVerificationRecord } from '../../store/record-types.js';
import type { ReferenceStandard } from '../../store/standards.js';
import type { MetrogateStore } from '../../store/store.js';
import { evaluate } from '../../verification/evaluate.js';
import { runGuidedScale, type ScaleOperator } from '../../verification/guided-scale.js';
import {
  instructionOf,
  positionOf,
  type ScaleCapture,
  type ScaleStep,
} from '../../verification/procedures/scale.js';
import type { EvaluationResult, RuleOverrides, TestResult } from '../../verification/types.js';
import { ApiError } from '../errors.js';
import type { EntryStep, SessionPlan } from './plan.js';

export const SESSION_STATES = [
  'awaiting-load',
  'reading',
  'awaiting-rounding-load',
  'awaiting-extra-load',
  'awaiting-values',
  'ready',
  'completed',
  'failed',
  'cancelled',
] as const;
export type SessionState = (typeof SESSION_STATES)[number];

/** States in which the session waits for someone (or has ended): a request returns at these. */
const RESTING: ReadonlySet<SessionState> = new Set([
  'awaiting-load',
  'awaiting-rounding-load',
  'awaiting-extra-load',
  'awaiting-values',
  'ready',
  'completed',
  'failed',
  'cancelled',
]);
const ENDED: ReadonlySet<SessionState> = new Set(['completed', 'failed', 'cancelled']);

export interface SessionStepView {
  index: number;
  id: string;
  /** zero, weighing, eccentricity, repeatability, discrimination; delivery, payment; distance, time, fare. */
  kind: string;
  instruction: { en: string; zh: string };
  load?: string;
  position?: string;
  direction?: string;
  extraLoad?: string;
  /** Entered steps: the fields the technician gives, and what the procedure fixes. */
  fields?: { name: string; unit: string; description: string }[];
  preset?: Record<string, string>;
  expected?: Record<string, string>;
  /** What was captured (a scale step) or entered. */
  captured?: Record<string, string>;
  /** This step judged alone as it is captured (its error against its MPE); the verdict is the record's. */
  result?: TestResult;
  summary?: string;
}

export interface SessionPrompt {
  action: 'place-load' | 'rounding-load' | 'extra-load' | 'values';
  step: number;
  instruction: { en: string; zh: string };
  load?: string;
  position?: string;
  extraLoad?: string;
  /** Rounding: the indication to step up from, and the weight to add at a time. */
  indication?: string;
  roundingWeight?: string;
  fields?: { name: string; unit: string; description: string }[];
  /** The previous attempt at this step failed (no stable weight, overload …): capture again. */
  retry?: { code: string; message: string };
}

export interface SessionView {
  id: string;
  kind: string;
  device?: string;
  ruleSet: string;
  stage: string;
  instrument: Record<string, unknown>;
  operator: string;
  standards: string[];
  rounding?: boolean;
  unit?: string;
  state: SessionState;
  step: number;
  totalSteps: number;
  prompt?: SessionPrompt;
  steps: SessionStepView[];
  error?: { code: string; message: string };
  result?: EvaluationResult;
  record?: { id: string; hash: string; verdict: string; validUntil?: string };
  createdAt: string;
  updatedAt: string;
}

export interface SessionContext {
  store: MetrogateStore;
  overrides: RuleOverrides;
  now: () => Date;
  stableTimeoutMs: number;
  /** Verification period of this instrument (register or config), months. */
  periodMonths: number;
  onChange: (session: VerificationSession) => void;
}

export interface SessionInit {
  plan: SessionPlan;
  operator: string;
  /** The reference standards as registered (dispensers and taximeters are checked at completion). */
  standards: readonly ReferenceStandard[];
  /** Scales: the device's driver, its id, and who moves loads on a simulator. */
  device?: { id: string; driver: ScaleDriver; assist?: ScaleOperator };
  rounding: boolean;
}

interface Pending {
  state: SessionState;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

function conflict(message: string): ApiError {
  return new ApiError(409, 'MG_ERR_INPUT_INVALID', message, { path: 'state' });
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

function decimalText(value: unknown, path: string): string {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (!DECIMAL.test(text)) {
    throw new ApiError(
      400,
      'MG_ERR_INPUT_INVALID',
      `${path}: expected a decimal number, got ${JSON.stringify(value)}`,
      {
        path,
      },
    );
  }
  return new Dec(text).toFixed();
}

export class VerificationSession {
  readonly id = `VS-${randomBytes(5).toString('hex')}`;
  readonly createdAt: string;
  private updatedAt: string;
  private state: SessionState;
  private stepIndex = 0;
  private prompt: SessionPrompt | undefined;
  /** The prompt of the last wait: a failed reading asks the same again. */
  private lastPrompt: SessionPrompt | undefined;
  private pending: Pending | undefined;
  private restWaiters: (() => void)[] = [];
  private readonly abort = new AbortController();
  private readonly stepViews: SessionStepView[];
  private tests: Record<string, unknown>[] = [];
  private error: MetrogateError | undefined;
  private result: EvaluationResult | undefined;
  private stored: StoredVerificationRecord | undefined;
  private lastActivity: number;

  constructor(
    private readonly init: SessionInit,
    private readonly context: SessionContext,
  ) {
    const now = context.now();
    this.createdAt = now.toISOString();
    this.updatedAt = this.createdAt;
    this.lastActivity = now.getTime();
    const { steps } = init.plan;
    this.stepViews =
      steps.kind === 'scale'
        ? steps.steps.map((step, index) => scaleStepView(step, index, steps.unit))
        : steps.steps.map((step, index) => entryStepView(step, index));
    this.state = 'reading';
  }

  get deviceId(): string | undefined {
    return this.init.device?.id;
  }

  get ended(): boolean {
    return ENDED.has(this.state);
  }

  /** Time of the last request or event (ms since the epoch), for the idle timeout. */
  get idleSince(): number {
    return this.lastActivity;
  }

  /** Starts the procedure; resolves when the session first waits for the technician. */
  async start(): Promise<SessionView> {
    const rested = this.nextRest();
    const { steps } = this.init.plan;
    if (steps.kind === 'scale') void this.runScale(steps.steps, steps.roundingWeight);
    else this.askValues(0);
    await rested;
    return this.view();
  }

  /** The load is in place (or the extra load added): take the stable reading. */
  async capture(): Promise<SessionView> {
    this.touch();
    const pending = this.pending;
    if (!pending || (pending.state !== 'awaiting-load' && pending.state !== 'awaiting-extra-load')) {
      throw conflict(`session ${this.id} is ${this.state}, not waiting for a load to be captured`);
    }
    return this.answer(pending, undefined);
  }

  /** A value entered by the technician: the rounding load ΔL of a scale step, or a step's values. */
  async enter(input: { value?: unknown; values?: Record<string, unknown> }): Promise<SessionView> {
    this.touch();
    const pending = this.pending;
    if (pending?.state === 'awaiting-rounding-load') {
      if (input.value === undefined) {
        throw new ApiError(400, 'MG_ERR_INPUT_INVALID', 'body.value: the rounding load ΔL is required', {
          path: 'body.value',
        });
      }
      const value = decimalText(input.value, 'body.value');
      if (new Dec(value).isNegative()) {
        throw new ApiError(400, 'MG_ERR_INPUT_INVALID', 'body.value: the rounding load cannot be negative', {
          path: 'body.value',
        });
      }
      return this.answer(pending, value);
    }
    if (pending?.state === 'awaiting-values') {
      const step = this.entrySteps()[this.stepIndex]!;
      const given = input.values ?? {};
      const values: Record<string, string> = {};
      for (const field of step.fields) {
        if (given[field.name] === undefined) {
          throw new ApiError(
            400,
            'MG_ERR_INPUT_INVALID',
            `body.values.${field.name}: required (${field.description})`,
            {
              path: `body.values.${field.name}`,
            },
          );
        }
        values[field.name] = decimalText(given[field.name], `body.values.${field.name}`);
      }
      return this.answer(pending, values);
    }
    throw conflict(`session ${this.id} is ${this.state}, not waiting for a value`);
  }

  /** Evaluates the captured steps, stores the record, and ends the session. */
  complete(): { session: SessionView; record: StoredVerificationRecord } {
    this.touch();
    if (this.state !== 'ready') {
      throw conflict(
        `session ${this.id} is ${this.state}; it can be completed once every step is captured (step ${this.stepIndex + 1} of ${this.stepViews.length})`,
      );
    }
    const { plan } = this.init;
    const bench = {
      ruleSet: plan.ruleSet,
      stage: plan.stage,
      instrument: plan.instrument,
      tests: this.tests,
    };
    const result = evaluate(bench, { overrides: this.context.overrides });
    const now = this.context.now();
    const today = now.toISOString().slice(0, 10);
    const standards =
      plan.kind === 'scale' ? plan.standards : relativeStandardsFor(result, this.init.standards, today);
    const performedAt = now.toISOString();
    const device = this.init.device;
    const record = this.context.store.records.append({
      instrument: plan.recordInstrument,
      bench,
      result,
      ...(result.verdict === 'pass'
        ? { validUntil: validUntil(performedAt, this.context.periodMonths) }
        : {}),
      ...(device ? { device: { driverId: device.driver.driverId, identity: { deviceId: device.id } } } : {}),
      operator: this.init.operator,
      standards,
      performedAt,
    });
    this.result = result;
    this.stored = record;
    this.setState('completed');
    return { session: this.view(), record };
  }

  cancel(reason = 'cancelled by the technician'): SessionView {
    if (!this.ended) {
      this.abort.abort(abortError(reason));
      const pending = this.pending;
      this.pending = undefined;
      this.prompt = undefined;
      pending?.reject(abortError(reason));
      this.setState('cancelled');
    }
    return this.view();
  }

  view(): SessionView {
    const { plan } = this.init;
    return {
      id: this.id,
      kind: plan.kind,
      ...(this.init.device ? { device: this.init.device.id } : {}),
      ruleSet: plan.ruleSet,
      stage: plan.stage,
      instrument: { ...plan.recordInstrument, ...plan.instrument },
      operator: this.init.operator,
      standards: plan.standards.map((standard) => standard.id),
      ...(plan.steps.kind === 'scale' ? { rounding: this.init.rounding, unit: plan.steps.unit } : {}),
      state: this.state,
      step: this.stepIndex,
      totalSteps: this.stepViews.length,
      ...(this.prompt ? { prompt: this.prompt } : {}),
      steps: this.stepViews,
      ...(this.error ? { error: { code: this.error.code, message: this.error.message } } : {}),
      ...(this.result ? { result: this.result } : {}),
      ...(this.stored
        ? {
            record: {
              id: this.stored.id,
              hash: this.stored.hash,
              verdict: this.stored.result.verdict,
              ...(this.stored.validUntil ? { validUntil: this.stored.validUntil } : {}),
            },
          }
        : {}),
      createdAt: this.createdAt,
      updatedAt: this.updatedAt,
    };
  }

  // --- scale ------------------------------------------------------------------------------------

  private async runScale(steps: ScaleStep[], roundingWeight: string): Promise<void> {
    const { plan } = this.init;
    const device = this.init.device;
    if (!device) {
      this.fail(
        new MetrogateError('MG_ERR_INPUT_INVALID', 'device: a scale session needs a scale device', {
          path: 'device',
        }),
      );
      return;
    }
    try {
      const run = await runGuidedScale({
        driver: this.retryingDriver(device.driver),
        operator: this.scaleOperator(device.assist),
        steps,
        ruleSet: plan.ruleSet,
        stage: plan.stage,
        instrument: plan.instrument,
        roundingWeight,
        rounding: this.init.rounding,
        overrides: this.context.overrides,
        stableTimeoutMs: this.context.stableTimeoutMs,
        signal: this.abort.signal,
        onStep: (outcome, index) => {
          const view = this.stepViews[index]!;
          view.captured = captureFields(outcome.capture);
          const judged = this.judgeScaleStep(outcome.step, outcome.capture);
          if (judged) view.result = judged;
          if (outcome.summary) view.summary = outcome.summary;
          this.stepIndex = Math.min(index + 1, steps.length - 1);
          this.changed();
        },
      });
      this.tests = run.tests;
      this.stepIndex = steps.length - 1;
      this.prompt = undefined;
      this.setState('ready');
    } catch (error) {
      if (this.state === 'cancelled') return;
      this.fail(toMetrogateError(error, 'MG_ERR_DEVICE_ERROR', { device: device.id }));
    }
  }

  /** The operator of runGuidedScale: each action waits for its request. */
  private scaleOperator(assist: ScaleOperator | undefined): ScaleOperator {
    return {
      place: async (step, load, position) => {
        this.stepIndex = this.indexOf(step);
        await this.waitFor('awaiting-load', {
          action: 'place-load',
          step: this.stepIndex,
          instruction: this.stepViews[this.stepIndex]!.instruction,
          load,
          position,
        });
        await assist?.place(step, load, position);
      },
      findRoundingLoad: async (step, indication, roundingWeight, read) => {
        if (assist) return assist.findRoundingLoad(step, indication, roundingWeight, read);
        const unit = this.unit();
        return (await this.waitFor('awaiting-rounding-load', {
          action: 'rounding-load',
          step: this.indexOf(step),
          instruction: {
            en: `Add ${roundingWeight} ${unit} weights one at a time until the indication changes from ${indication} ${unit}; enter their total ΔL`,
            zh: `逐个加放 ${roundingWeight} ${unit} 小砝码，直至示值由 ${indication} ${unit} 变化；输入所加砝码总量 ΔL`,
          },
          indication,
          roundingWeight,
        })) as string;
      },
      addExtraLoad: async (step, extraLoad) => {
        const unit = this.unit();
        await this.waitFor('awaiting-extra-load', {
          action: 'extra-load',
          step: this.indexOf(step),
          instruction: {
            en: `Add ${extraLoad} ${unit} (1.4 d) on top of the load, then capture`,
            zh: `在现有载荷上加放 ${extraLoad} ${unit}（1.4 d）后采集`,
          },
          extraLoad,
        });
        await assist?.addExtraLoad(step, extraLoad);
      },
    };
  }

  /**
   * The device's driver as runGuidedScale sees it: a reading that is not stable in time or not
   * good (overload, underload) asks the technician to capture again instead of ending the run. The
   * driver stays the scheduler's: this never connects or closes it.
   */
  private retryingDriver(driver: ScaleDriver): ScaleDriver {
    const readStable = async (signal: AbortSignal, timeoutMs: number): Promise<Reading> => {
      for (;;) {
        let problem: MetrogateError;
        try {
          const reading = await driver.readStable(signal, timeoutMs);
          if (reading.quality === 'good') return reading;
          problem = new MetrogateError('MG_ERR_DEVICE_ERROR', `the scale reports ${reading.quality}`, {
            device: driver.deviceId,
          });
        } catch (error) {
          if (signal.aborted) throw error;
          problem = toMetrogateError(error, 'MG_ERR_DEVICE_ERROR', { device: driver.deviceId });
          if (!RETRYABLE.has(problem.code)) throw problem;
        }
        const current = this.lastPrompt;
        await this.waitFor(current?.action === 'extra-load' ? 'awaiting-extra-load' : 'awaiting-load', {
          ...(current ?? {
            action: 'place-load',
            step: this.stepIndex,
            instruction: this.stepViews[this.stepIndex]!.instruction,
          }),
          retry: { code: problem.code, message: problem.message },
        });
      }
    };
    return {
      kind: 'scale',
      driverId: driver.driverId,
      deviceId: driver.deviceId,
      init: () => undefined,
      connect: () => Promise.resolve({}),
      poll: (signal) => driver.poll(signal),
      close: () => Promise.resolve(),
      readStable,
      zero: (signal) => driver.zero(signal),
      tare: (signal) => driver.tare(signal),
      clearTare: (signal) => driver.clearTare(signal),
    };
  }

  private judgeScaleStep(step: ScaleStep, capture: ScaleCapture): TestResult | undefined {
    const reading = {
      indication: capture.indication,
      ...(capture.roundingLoad ? { roundingLoad: capture.roundingLoad } : {}),
    };
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
    } else {
      // Weighing, eccentricity and repeatability points alike: the error at the load against its
      // MPE, corrected by the zero test as the whole record will be.
      const zero = this.stepViews[0]?.kind === 'zero' ? this.stepViews[0].captured : undefined;
      const zeroTest = zero?.indication
        ? [
            {
              test: 'zero',
              indication: zero.indication,
              ...(zero.roundingLoad ? { roundingLoad: zero.roundingLoad } : {}),
            },
          ]
        : [];
      tests = [...zeroTest, { test: 'weighing', load: step.load, ...reading }];
    }
    try {
      const { plan } = this.init;
      const result = evaluate(
        { ruleSet: plan.ruleSet, stage: plan.stage, instrument: plan.instrument, tests },
        { overrides: this.context.overrides },
      );
      return result.tests.at(-1);
    } catch {
      return undefined;
    }
  }

  private unit(): string {
    const { steps } = this.init.plan;
    return steps.kind === 'scale' ? steps.unit : '';
  }

  private indexOf(step: ScaleStep): number {
    const index = this.stepViews.findIndex((view) => view.id === step.id);
    return index < 0 ? this.stepIndex : index;
  }

  // --- entered values -----------------------------------------------------------------------------

  private entrySteps(): EntryStep[] {
    const { steps } = this.init.plan;
    return steps.kind === 'scale' ? [] : steps.steps;
  }

  private askValues(index: number): void {
    const steps = this.entrySteps();
    const step = steps[index]!;
    this.stepIndex = index;
    this.waitFor('awaiting-values', {
      action: 'values',
      step: index,
      instruction: this.stepViews[index]!.instruction,
      fields: step.fields,
    }).then(
      (values) => {
        const entered = values as Record<string, string>;
        // The preset holds `test` and what the procedure fixes (planStepTest's shape for taximeters).
        this.tests.push({ ...step.preset, ...entered });
        const view = this.stepViews[index]!;
        view.captured = entered;
        const judged = this.judgeEntered();
        if (judged) view.result = judged;
        if (index + 1 < steps.length) this.askValues(index + 1);
        else {
          this.prompt = undefined;
          this.setState('ready');
        }
      },
      () => undefined,
    );
  }

  /** The tests so far, evaluated: the newest one's result (groups come with the whole record). */
  private judgeEntered(): TestResult | undefined {
    const { plan } = this.init;
    try {
      const result = evaluate(
        { ruleSet: plan.ruleSet, stage: plan.stage, instrument: plan.instrument, tests: this.tests },
        { overrides: this.context.overrides },
      );
      return result.tests.at(-1);
    } catch {
      return undefined;
    }
  }

  // --- plumbing -----------------------------------------------------------------------------------

  private waitFor(state: SessionState, prompt: SessionPrompt): Promise<unknown> {
    if (this.abort.signal.aborted) return Promise.reject(abortError('session cancelled'));
    return new Promise((resolve, reject) => {
      this.pending = { state, resolve, reject };
      this.prompt = prompt;
      this.lastPrompt = prompt;
      this.setState(state);
    });
  }

  private async answer(pending: Pending, value: unknown): Promise<SessionView> {
    this.pending = undefined;
    this.prompt = undefined;
    const rested = this.nextRest();
    this.setState('reading');
    pending.resolve(value);
    await rested;
    return this.view();
  }

  private nextRest(): Promise<void> {
    return new Promise((resolve) => this.restWaiters.push(resolve));
  }

  private fail(error: MetrogateError): void {
    this.error = error;
    this.prompt = undefined;
    this.pending = undefined;
    this.setState('failed');
  }

  private setState(state: SessionState): void {
    this.state = state;
    this.changed();
    if (RESTING.has(state)) {
      const waiters = this.restWaiters;
      this.restWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  private changed(): void {
    this.updatedAt = this.context.now().toISOString();
    this.context.onChange(this);
  }

  private touch(): void {
    this.lastActivity = this.context.now().getTime();
  }
}

/** Failures at a capture that the technician can fix by trying again. */
const RETRYABLE: ReadonlySet<string> = new Set([
  'MG_ERR_TIMEOUT',
  'MG_ERR_DEVICE_BUSY',
  'MG_ERR_DEVICE_ERROR',
]);

function captureFields(capture: ScaleCapture): Record<string, string> {
  return {
    indication: capture.indication,
    ...(capture.roundingLoad !== undefined ? { roundingLoad: capture.roundingLoad } : {}),
    ...(capture.indicationAfter !== undefined ? { indicationAfter: capture.indicationAfter } : {}),
  };
}

function scaleStepView(step: ScaleStep, index: number, unit: string): SessionStepView {
  return {
    index,
    id: step.id,
    kind: step.kind,
    instruction: instructionOf(step, unit),
    load: step.load,
    position: positionOf(step),
    ...(step.kind === 'weighing' ? { direction: step.direction } : {}),
    ...(step.kind === 'discrimination' ? { extraLoad: step.extraLoad } : {}),
  };
}

function entryStepView(step: EntryStep, index: number): SessionStepView {
  return {
    index,
    id: step.id,
    kind: step.test,
    // The dispenser and taximeter plans word their steps in English only.
    instruction: { en: step.instruction, zh: step.instruction },
    fields: step.fields,
    preset: step.preset,
    ...(step.expected ? { expected: step.expected } : {}),
  };
}
