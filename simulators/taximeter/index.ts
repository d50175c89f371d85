/**
 * The taximeter simulator: one TaximeterModel spoken through JT/T 905 on an in-memory link or a
 * socat pseudo-terminal, driven by actions (hire, drive, wait, bench pulses, end the trip) that run
 * one after the other at `timeScale` simulated seconds per real second (0 = as fast as possible).
 */
import type { Decimal } from 'decimal.js';
import { Dec } from '../../drivers/decimal.js';
import { abortError } from '../../drivers/errors.js';
import type { Logger } from '../../drivers/logger.js';
import { silentLogger } from '../../drivers/logger.js';
import { createMemoryLinkPair, type MemoryLink } from '../../drivers/transport/link.js';
import { FaultInjector } from '../faults.js';
import type { UartSettings } from '../line-emulation.js';
import { SerialDeviceHost } from '../serial-host.js';
import { Jtt905MeterSpeaker, jtt905Options } from './jtt905.js';
import {
  type MeterDisplay,
  type MeterTripRecord,
  TaximeterModel,
  type TaximeterModelParamsInput,
} from './model.js';

export const TAXIMETER_PROTOCOL_IDS = ['jtt905'] as const;
export type TaximeterProtocolId = (typeof TAXIMETER_PROTOCOL_IDS)[number];
export type TaximeterSimTransport = 'memory' | 'pty';

/** UNCONFIRMED in the reference; a simulated meter uses it unless told otherwise. */
export const JTT905_DEFAULT_LINE: UartSettings = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 };

export interface TaximeterSimulatorOptions {
  protocol?: TaximeterProtocolId;
  transport: TaximeterSimTransport;
  params?: TaximeterModelParamsInput;
  /**
   * A meter prepared beforehand (e.g. trips already driven with its own methods): it joins the line
   * with its records stored and not yet delivered, having pushed nothing. `params` is then ignored.
   */
  model?: TaximeterModel;
  line?: UartSettings;
  /** jtt905.ts: resendAfterMs, resendAttempts, deviceType. */
  protocolOptions?: Record<string, unknown>;
  /** Simulated seconds per real second for drives, waits and pulses; 0 = instantly. Default 1. */
  timeScale?: number;
  emulateWireTime?: boolean;
  responseDelayMs?: number;
  gatewayPath?: string;
  devicePath?: string;
  logger?: Logger;
}

export type TaximeterSimEndpoint = { kind: 'serial'; path: string } | { kind: 'memory'; link: MemoryLink };

/**
 * One leg of a drive at uniform speed: any two of speed (km/h), duration (s) and distance (m);
 * speed 0 (or distance 0) with a duration is waiting.
 */
export interface DriveSegment {
  speed?: Decimal.Value;
  duration?: Decimal.Value;
  distance?: Decimal.Value;
}

export interface TaximeterSimulator {
  readonly protocol: TaximeterProtocolId;
  readonly model: TaximeterModel;
  readonly faults: FaultInjector;
  readonly line: UartSettings;
  readonly endpoint: TaximeterSimEndpoint;
  timeScale: number;
  /** True while an action (drive, wait, pulses) runs or waits its turn. */
  readonly busy: boolean;
  /** Trip numbers stored but not acknowledged by an ISU. */
  readonly undelivered: number[];
  /** Hires the meter; false when it already was. */
  startTrip(): Promise<boolean>;
  /** Ends the trip; the record, or undefined when the meter was not hired. */
  stopTrip(): Promise<MeterTripRecord | undefined>;
  drive(segments: DriveSegment[], signal?: AbortSignal): Promise<void>;
  wait(seconds: Decimal.Value, signal?: AbortSignal): Promise<void>;
  /**
   * The bench feeds `count` pulses at `ratePerSecond`; `onProgress` hears each batch as it is
   * counted, so that an abort leaves an exact count. Resolves with the pulses fed.
   */
  feedPulses(
    count: number,
    ratePerSecond: Decimal.Value,
    signal?: AbortSignal,
    onProgress?: (pulses: number) => void,
  ): Promise<number>;
  display(): MeterDisplay;
  /** Aborts the running and queued actions (what they already did stays done). */
  abortActions(): void;
  disconnect(durationMs: number): Promise<void>;
  close(): Promise<void>;
}

export function isTaximeterProtocol(id: string): id is TaximeterProtocolId {
  return (TAXIMETER_PROTOCOL_IDS as readonly string[]).includes(id);
}

/** Simulated seconds per action chunk when running instantly (yielding to the event loop between). */
const INSTANT_CHUNK_SECONDS = 60;
/** Real milliseconds per chunk at least, when paced. */
const PACED_CHUNK_MS = 50;

/** Resolves a segment to (duration s, distance m), or throws a RangeError naming what is missing. */
export function resolveSegment(segment: DriveSegment): { duration: Dec; distance: Dec } {
  const speed = segment.speed === undefined ? undefined : new Dec(segment.speed);
  const duration = segment.duration === undefined ? undefined : new Dec(segment.duration);
  const distance = segment.distance === undefined ? undefined : new Dec(segment.distance);
  for (const [name, value] of [
    ['speed', speed],
    ['duration', duration],
    ['distance', distance],
  ] as const) {
    if (value && (value.isNegative() || !value.isFinite()))
      throw new RangeError(`${name} must not be negative`);
  }
  if (duration && distance) return { duration, distance };
  if (speed && duration) return { duration, distance: speed.mul(duration).div('3.6') };
  if (speed && distance) {
    if (speed.isZero()) throw new RangeError('a distance cannot be driven at speed 0');
    return { duration: distance.mul('3.6').div(speed), distance };
  }
  throw new RangeError('give two of speed (km/h), duration (s) and distance (m)');
}

export async function startTaximeterSimulator(
  options: TaximeterSimulatorOptions,
): Promise<TaximeterSimulator> {
  const protocol = options.protocol ?? 'jtt905';
  const model = options.model ?? new TaximeterModel(options.params ?? {});
  const faults = new FaultInjector();
  const logger = options.logger ?? silentLogger();
  const line = options.line ?? JTT905_DEFAULT_LINE;
  const host = new SerialDeviceHost({
    line,
    faults,
    logger,
    ...(options.emulateWireTime !== undefined ? { emulateWireTime: options.emulateWireTime } : {}),
    ...(options.responseDelayMs !== undefined ? { responseDelayMs: options.responseDelayMs } : {}),
  });
  const speaker = new Jtt905MeterSpeaker(model, host.io, jtt905Options(options.protocolOptions ?? {}));
  host.setSpeaker(speaker);
  // A record sent outside a request arms the resend timer.
  model.onEvent(() => host.updateStream());
  let endpoint: TaximeterSimEndpoint;
  if (options.transport === 'memory') {
    const [gatewayEnd, deviceEnd] = createMemoryLinkPair(`sim-taximeter-${protocol}`);
    await deviceEnd.open();
    host.serveLink(deviceEnd);
    endpoint = { kind: 'memory', link: gatewayEnd };
  } else {
    const pty = await host.servePty({
      ...(options.gatewayPath ? { gatewayPath: options.gatewayPath } : {}),
      ...(options.devicePath ? { devicePath: options.devicePath } : {}),
    });
    endpoint = { kind: 'serial', path: pty.gatewayPath };
  }
  return new RunningTaximeter(protocol, model, faults, line, endpoint, host, speaker, options.timeScale ?? 1);
}

class RunningTaximeter implements TaximeterSimulator {
  timeScale: number;
  private chain: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private stopAll = new AbortController();
  private closed = false;

  constructor(
    readonly protocol: TaximeterProtocolId,
    readonly model: TaximeterModel,
    readonly faults: FaultInjector,
    readonly line: UartSettings,
    readonly endpoint: TaximeterSimEndpoint,
    private readonly host: SerialDeviceHost,
    private readonly speaker: Jtt905MeterSpeaker,
    timeScale: number,
  ) {
    if (!(timeScale >= 0)) throw new RangeError(`timeScale ${timeScale}`);
    this.timeScale = timeScale;
  }

  get busy(): boolean {
    return this.pending > 0;
  }

  get undelivered(): number[] {
    return this.speaker.undelivered;
  }

  /** Runs actions one after the other; a failed or aborted action does not stop the next. */
  private enqueue<T>(action: (signal: AbortSignal) => Promise<T> | T, signal?: AbortSignal): Promise<T> {
    const combined = signal ? AbortSignal.any([signal, this.stopAll.signal]) : this.stopAll.signal;
    this.pending++;
    const run = this.chain.then(async () => {
      if (combined.aborted) throw abortError(combined.reason);
      return action(combined);
    });
    this.chain = run
      .catch(() => undefined)
      .finally(() => {
        this.pending--;
      });
    return run;
  }

  startTrip(): Promise<boolean> {
    return this.enqueue(() => this.model.startTrip());
  }

  stopTrip(): Promise<MeterTripRecord | undefined> {
    return this.enqueue(() => this.model.stopTrip());
  }

  drive(segments: DriveSegment[], signal?: AbortSignal): Promise<void> {
    const legs = segments.map(resolveSegment);
    return this.enqueue(async (combined) => {
      for (const leg of legs) {
        await this.paced(
          leg.duration,
          (from, to) => {
            // Positions from the start of the leg, so that chunks never drift from the total.
            const metres = leg.duration.isZero()
              ? leg.distance
              : leg.distance.mul(to).div(leg.duration).minus(leg.distance.mul(from).div(leg.duration));
            this.model.drive(to.minus(from), metres);
          },
          combined,
        );
      }
    }, signal);
  }

  wait(seconds: Decimal.Value, signal?: AbortSignal): Promise<void> {
    return this.drive([{ duration: seconds, distance: 0 }], signal);
  }

  feedPulses(
    count: number,
    ratePerSecond: Decimal.Value,
    signal?: AbortSignal,
    onProgress?: (pulses: number) => void,
  ): Promise<number> {
    const rate = new Dec(ratePerSecond);
    if (!Number.isInteger(count) || count < 0) return Promise.reject(new RangeError(`pulse count ${count}`));
    if (!rate.isFinite() || !rate.greaterThan(0))
      return Promise.reject(new RangeError(`pulse rate ${ratePerSecond}`));
    const duration = new Dec(count).div(rate);
    let fed = 0;
    return this.enqueue(async (combined) => {
      await this.paced(
        duration,
        (from, to) => {
          const upTo = to.equals(duration) ? count : new Dec(count).mul(to).div(duration).floor().toNumber();
          const pulses = upTo - fed;
          this.model.feedPulses(pulses, to.minus(from));
          fed = upTo;
          onProgress?.(pulses);
        },
        combined,
      );
      return fed;
    }, signal);
  }

  /**
   * Calls `step(from, to)` over [0, duration] in chunks: paced against the wall clock at
   * `timeScale`, or back to back when it is 0. Checks the signal between chunks.
   */
  private async paced(duration: Dec, step: (from: Dec, to: Dec) => void, signal: AbortSignal): Promise<void> {
    const stepSeconds = new Dec(this.model.parameters.stepSeconds);
    const startedAt = performance.now();
    let done = new Dec(0);
    if (duration.isZero()) {
      step(done, done);
      return;
    }
    while (done.lessThan(duration)) {
      if (signal.aborted || this.closed) throw abortError(signal.reason);
      const scale = this.timeScale;
      const chunk =
        scale === 0
          ? Dec.max(stepSeconds, INSTANT_CHUNK_SECONDS)
          : Dec.max(stepSeconds, new Dec(scale).mul(PACED_CHUNK_MS).div(1000));
      const next = Dec.min(duration, done.plus(chunk));
      step(done, next);
      done = next;
      if (scale === 0) await new Promise((resolve) => setImmediate(resolve));
      else {
        const dueAt = startedAt + done.div(scale).mul(1000).toNumber();
        const wait = dueAt - performance.now();
        if (wait > 0) await sleep(wait, signal);
      }
    }
  }

  display(): MeterDisplay {
    return this.model.display();
  }

  abortActions(): void {
    this.stopAll.abort(new Error('actions aborted'));
    this.stopAll = new AbortController();
  }

  disconnect(durationMs: number): Promise<void> {
    return this.host.disconnect(durationMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopAll.abort(new Error('simulator closed'));
    await this.host.close();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export type { MeterDisplay, MeterTripRecord, TaximeterModelParamsInput } from './model.js';
export { TaximeterModel } from './model.js';
