/**
 * A scripted run of the meter without a line or a clock: actions applied to a fresh model and
 * speaker at once, collecting every frame. The golden cases' simulate.json use it (the frame the
 * last action makes first must equal frame.hex), and so do tests and demos that need a meter in a
 * given state.
 *
 *   { "params": {…model params…}, "protocolOptions": {…},
 *     "actions": [ {"drive": {"speed": 60, "distance": 56700}}, {"wait": 30},
 *                  {"pulses": {"count": 1000, "ratePerSecond": 20}}, {"startTrip": true},
 *                  {"stopTrip": true}, {"requestHex": "55aa…"} ] }
 */
import { Dec } from '../../drivers/decimal.js';
import { type DriveSegment, resolveSegment } from './index.js';
import { Jtt905MeterSpeaker, jtt905Options } from './jtt905.js';
import { TaximeterModel, type TaximeterModelParamsInput } from './model.js';

export type ScenarioAction =
  | { drive: DriveSegment }
  | { wait: number | string }
  | { pulses: { count: number; ratePerSecond: number | string } }
  | { startTrip: true }
  | { stopTrip: true }
  | { requestHex: string };

export interface Scenario {
  params?: TaximeterModelParamsInput;
  protocolOptions?: Record<string, unknown>;
  actions: ScenarioAction[];
}

export interface ScenarioRun {
  model: TaximeterModel;
  speaker: Jtt905MeterSpeaker;
  /** Frames emitted by each action, in order. */
  framesByAction: Buffer[][];
}

export function runScenario(scenario: Scenario, now: () => number = () => 1_000_000): ScenarioRun {
  const model = new TaximeterModel(scenario.params ?? {});
  let frames: Buffer[] = [];
  const speaker = new Jtt905MeterSpeaker(
    model,
    { emit: (frame) => frames.push(Buffer.from(frame)), now },
    jtt905Options(scenario.protocolOptions ?? {}),
  );
  const framesByAction: Buffer[][] = [];
  for (const action of scenario.actions) {
    frames = [];
    if ('drive' in action) {
      const { duration, distance } = resolveSegment(action.drive);
      model.drive(duration, distance);
    } else if ('wait' in action) model.wait(action.wait);
    else if ('pulses' in action) {
      const { count, ratePerSecond } = action.pulses;
      model.feedPulses(count, new Dec(count).div(ratePerSecond));
    } else if ('startTrip' in action) model.startTrip();
    else if ('stopTrip' in action) model.stopTrip();
    else speaker.receive(Buffer.from(action.requestHex.replace(/\s+/g, ''), 'hex'));
    framesByAction.push(frames);
  }
  return { model, speaker, framesByAction };
}
