/**
 * The verification procedure of a scale as an ordered list of steps (metrology-rules.md §1(b)):
 * zero, weighing up through the load points and down again, eccentricity on the centre and the four
 * quarters, two repeatability series, discrimination at Min, ½ Max and Max. Each step says what the
 * technician does; `scaleBenchTests` turns the captured indications into the bench record's tests
 * (contracts.md §1). Pure.
 */
import type { ScaleLoadPlan } from '../scale/index.js';

export type ScaleStep =
  | { kind: 'zero'; id: string; load: '0' }
  | { kind: 'weighing'; id: string; load: string; direction: 'up' | 'down' }
  | { kind: 'eccentricity'; id: string; load: string; position: string }
  | { kind: 'repeatability'; id: string; load: string; series: number; run: number }
  | { kind: 'discrimination'; id: string; load: string; extraLoad: string };

/** What was captured at a step: the stable indication, and the rounding load where it was found. */
export interface ScaleCapture {
  indication: string;
  roundingLoad?: string;
  /** Discrimination: the indication after adding the extra load. */
  indicationAfter?: string;
}

const POSITION_NAMES: Record<string, { en: string; zh: string }> = {
  center: { en: 'the centre', zh: '中心' },
  q1: { en: 'quarter q1', zh: '第一象限 q1' },
  q2: { en: 'quarter q2', zh: '第二象限 q2' },
  q3: { en: 'quarter q3', zh: '第三象限 q3' },
  q4: { en: 'quarter q4', zh: '第四象限 q4' },
};

export function scaleProcedure(plan: ScaleLoadPlan): ScaleStep[] {
  const steps: ScaleStep[] = [{ kind: 'zero', id: 'zero', load: '0' }];
  for (const point of plan.weighing) {
    steps.push({ kind: 'weighing', id: `up-${point.load}`, load: point.load, direction: 'up' });
  }
  // Unloading passes the same points down, Max excluded (it was just read on the way up).
  for (const point of [...plan.weighing].reverse().slice(1)) {
    steps.push({ kind: 'weighing', id: `down-${point.load}`, load: point.load, direction: 'down' });
  }
  for (const position of plan.eccentricity.positions) {
    steps.push({ kind: 'eccentricity', id: `ecc-${position}`, load: plan.eccentricity.load, position });
  }
  plan.repeatability.forEach((series, index) => {
    for (let run = 1; run <= series.readings; run++) {
      steps.push({
        kind: 'repeatability',
        id: `rep${index + 1}-${run}`,
        load: series.load,
        series: index + 1,
        run,
      });
    }
  });
  for (const point of plan.discrimination) {
    steps.push({
      kind: 'discrimination',
      id: `disc-${point.load}`,
      load: point.load,
      extraLoad: point.extraLoad,
    });
  }
  return steps;
}

/** Where the load goes at a step (weighing and repeatability loads are centred). */
export function positionOf(step: ScaleStep): string {
  return step.kind === 'eccentricity' ? step.position : 'center';
}

/** The instruction for the technician, in English and Chinese. */
export function instructionOf(step: ScaleStep, unit: string): { en: string; zh: string } {
  const where = POSITION_NAMES[positionOf(step)] ?? {
    en: `position ${positionOf(step)}`,
    zh: `位置 ${positionOf(step)}`,
  };
  switch (step.kind) {
    case 'zero':
      return { en: 'Empty the load receptor and zero the instrument', zh: '清空承载器并置零' };
    case 'repeatability':
      return {
        en: `Repeatability series ${step.series}, run ${step.run}: zero, then place ${step.load} ${unit} at the centre`,
        zh: `重复性第 ${step.series} 组第 ${step.run} 次：置零后在中心放置 ${step.load} ${unit}`,
      };
    case 'discrimination':
      return {
        en: `Place ${step.load} ${unit} at the centre (then ${step.extraLoad} ${unit} will be added)`,
        zh: `在中心放置 ${step.load} ${unit}（随后加放 ${step.extraLoad} ${unit}）`,
      };
    default:
      return {
        en: `Place ${step.load} ${unit} at ${where.en}`,
        zh: `在${where.zh}放置 ${step.load} ${unit}`,
      };
  }
}

const reading = (c: ScaleCapture) => ({
  indication: c.indication,
  ...(c.roundingLoad ? { roundingLoad: c.roundingLoad } : {}),
});

/** The bench record's tests from the captures, in procedure order (one eccentricity and one test per series). */
export function scaleBenchTests(
  steps: readonly ScaleStep[],
  captures: ReadonlyMap<string, ScaleCapture>,
): Record<string, unknown>[] {
  const tests: Record<string, unknown>[] = [];
  const captured = (step: ScaleStep) => captures.get(step.id);
  for (const step of steps) {
    const capture = captured(step);
    if (!capture) continue;
    if (step.kind === 'zero') tests.push({ test: 'zero', ...reading(capture) });
    else if (step.kind === 'weighing')
      tests.push({ test: 'weighing', load: step.load, direction: step.direction, ...reading(capture) });
    else if (step.kind === 'discrimination' && capture.indicationAfter !== undefined) {
      tests.push({
        test: 'discrimination',
        load: step.load,
        indicationBefore: capture.indication,
        indicationAfter: capture.indicationAfter,
      });
    }
  }
  const eccentric = steps.filter(
    (s): s is Extract<ScaleStep, { kind: 'eccentricity' }> => s.kind === 'eccentricity' && captures.has(s.id),
  );
  if (eccentric.length > 0) {
    tests.push({
      test: 'eccentricity',
      load: eccentric[0]!.load,
      positions: eccentric.map((s) => ({ position: s.position, ...reading(captured(s)!) })),
    });
  }
  const series = new Map<number, { load: string; readings: object[] }>();
  for (const step of steps) {
    if (step.kind !== 'repeatability' || !captures.has(step.id)) continue;
    const entry = series.get(step.series) ?? { load: step.load, readings: [] };
    entry.readings.push(reading(captured(step)!));
    series.set(step.series, entry);
  }
  for (const entry of series.values()) {
    if (entry.readings.length >= 2)
      tests.push({ test: 'repeatability', load: entry.load, readings: entry.readings });
  }
  return tests;
}
