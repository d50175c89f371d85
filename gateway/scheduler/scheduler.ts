/**
 * The gateway's poll scheduler (ARCHITECTURE.md "The data path": the scheduler owns time). Each
 * device is connected, then polled on its own interval; the polls of devices that share a physical
 * bus never overlap and are served round-robin; a device that keeps failing is demoted and retried
 * with back-off, so that a dead unit id costs its bus one timeout per retry instead of one per
 * round. See README.md for the rules.
 */
import type { PollResult } from '../../drivers/contract.js';
import { abortError, MetrogateError, toMetrogateError } from '../../drivers/errors.js';
import type { Logger } from '../../drivers/logger.js';
import { silentLogger } from '../../drivers/logger.js';
import type {
  BusStats,
  DeviceState,
  ScheduledDevice,
  SchedulerListener,
  SchedulerStats,
} from '../runtime/contracts.js';
import { BusLane } from './bus.js';
import { type SchedulerClock, systemClock, type TimerHandle } from './clock.js';
import {
  backoffDelay,
  interFrameDelayOf,
  parseSchedulerOptions,
  type SchedulerOptions,
  type SchedulerOptionsInput,
} from './options.js';

export interface SchedulerInit {
  devices: readonly ScheduledDevice[];
  listener?: SchedulerListener;
  options?: SchedulerOptionsInput;
  /** Default: the global timers and Date.now (so vitest's fake timers apply). */
  clock?: SchedulerClock;
  /** A pino logger (or `silentLogger()`); the scheduler logs as a child `{ component: 'scheduler' }`. */
  logger?: Logger;
  /** Uniform [0, 1) source for the jitter and for the phase of devices added later; default Math.random. */
  random?: () => number;
}

/** What a device is doing, beyond its public state. */
export type DevicePhase = 'idle' | 'connecting' | 'polling' | 'demoted' | 'removed';

export interface ScheduledDeviceStats {
  id: string;
  bus: string;
  state: DeviceState;
  phase: DevicePhase;
  consecutiveFailures: number;
  /** Time of the last successful poll (ISO 8601). */
  lastPollAt?: string;
  polls: number;
  pollErrors: number;
  skipped: number;
  lastError?: { code: string; message: string };
  /** When the next tick, retry or connect attempt is due (ISO 8601), if one is scheduled. */
  nextAttemptAt?: string;
}

export interface ScheduledBusStats extends BusStats {
  devices: number;
  /** Jobs waiting for the bus now. */
  queued: number;
  /** busyMs / time since start, 0–1. */
  utilisation: number;
  interFrameDelayMs: number;
}

/** SchedulerStats with per-device and per-bus detail (a superset of the contract's type). */
export interface SchedulerStatsDetail extends SchedulerStats {
  startedAt?: string;
  elapsedMs: number;
  devices: ScheduledDeviceStats[];
  buses: ScheduledBusStats[];
}

interface DeviceRun {
  readonly device: ScheduledDevice;
  readonly lane: BusLane;
  readonly log: Logger;
  phase: DevicePhase;
  state: DeviceState;
  /** The state last reported to the listener (none before the first report). */
  announced: DeviceState | undefined;
  consecutiveFailures: number;
  /** Failed retries since the last success, while connecting or demoted: the back-off exponent. */
  failedRetries: number;
  timer: TimerHandle | undefined;
  nextAttemptAt: number | undefined;
  /** The device's job is waiting for the bus or running on it. */
  onBus: boolean;
  /** A driver call is still running (it may outlive its bus turn when abandoned). */
  driverBusy: boolean;
  connectAbort: AbortController | undefined;
  /** Time of slot 0 of the device's tick grid; slot k is due at anchor + k × interval. */
  anchor: number;
  nextSlot: number;
  polls: number;
  pollErrors: number;
  skipped: number;
  lastPollAt: number | undefined;
  lastError: MetrogateError | undefined;
  /** No more events for this device (removed). */
  silenced: boolean;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: MetrogateError; abandoned?: boolean };

/** Codes after which the driver has to be connected again before it can poll. */
const RECONNECT_CODES: ReadonlySet<string> = new Set(['MG_ERR_NOT_CONNECTED']);

export class Scheduler {
  private readonly options: SchedulerOptions;
  private readonly listener: SchedulerListener;
  private readonly clock: SchedulerClock;
  private readonly logger: Logger;
  private readonly random: () => number;
  private readonly runs = new Map<string, DeviceRun>();
  private readonly lanes = new Map<string, BusLane>();
  private totals = { polls: 0, pollErrors: 0, skipped: 0 };
  private startedAt: number | undefined;
  private stopping = false;
  /** Set when stop() is about to resolve: no event after it. */
  private closed = false;
  private stopped: Promise<void> | undefined;

  constructor(init: SchedulerInit) {
    this.options = parseSchedulerOptions(init.options);
    this.listener = init.listener ?? {};
    this.clock = init.clock ?? systemClock();
    this.logger = (init.logger ?? silentLogger()).child({ component: 'scheduler' });
    this.random = init.random ?? Math.random;
    for (const device of init.devices) this.register(device);
  }

  /** Initialises every driver (throws MG_ERR_CONFIG_INVALID before anything runs), then starts. */
  start(): void {
    if (this.stopping) {
      throw new MetrogateError('MG_ERR_CONFIG_INVALID', 'scheduler was stopped; create a new one', {});
    }
    if (this.startedAt !== undefined) return;
    for (const run of this.runs.values()) run.device.driver.init();
    this.startedAt = this.clock.now();
    // Devices of one bus are spread evenly over their interval, so they do not all fall due at once.
    const byBus = new Map<string, DeviceRun[]>();
    for (const run of this.runs.values()) {
      const list = byBus.get(run.device.bus) ?? [];
      list.push(run);
      byBus.set(run.device.bus, list);
    }
    for (const list of byBus.values()) {
      list.forEach((run, index) => {
        this.begin(run, (index / list.length) * run.device.intervalMs);
      });
    }
    this.logger.info({ devices: this.runs.size, buses: this.lanes.size }, 'scheduler started');
  }

  /**
   * Stops scheduling, waits for the polls in flight (their readings are still delivered), aborts
   * connects, then closes every driver. No listener call happens after the promise resolves.
   */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    for (const run of this.runs.values()) {
      this.clearTimer(run);
      run.connectAbort?.abort(abortError('scheduler stopping'));
    }
    await Promise.all([...this.lanes.values()].map((lane) => lane.stop()));
    await Promise.all([...this.runs.values()].map((run) => this.closeDriver(run)));
    this.closed = true;
    this.logger.info({ polls: this.totals.polls, pollErrors: this.totals.pollErrors }, 'scheduler stopped');
  }

  /** Adds a device; when the scheduler runs, it is connected at once with a random phase. */
  addDevice(device: ScheduledDevice): void {
    if (this.stopping) {
      throw new MetrogateError('MG_ERR_CONFIG_INVALID', 'scheduler was stopped; create a new one', {
        device: device.id,
      });
    }
    const run = this.register(device);
    if (this.startedAt === undefined) return;
    try {
      device.driver.init();
    } catch (error) {
      this.unregister(run);
      throw error;
    }
    this.begin(run, this.random() * device.intervalMs);
  }

  /** Stops polling a device: waits for its poll in flight, then closes its driver. */
  async removeDevice(id: string): Promise<void> {
    const run = this.runs.get(id);
    if (!run || run.phase === 'removed') return;
    run.phase = 'removed';
    this.clearTimer(run);
    run.connectAbort?.abort(abortError('device removed'));
    run.lane.removeQueued(id);
    run.onBus = false;
    await run.lane.waitFor(id);
    run.silenced = true;
    this.unregister(run);
    await this.closeDriver(run);
  }

  stats(): SchedulerStatsDetail {
    const now = this.clock.now();
    const elapsedMs = this.startedAt === undefined ? 0 : now - this.startedAt;
    const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
    const devices: ScheduledDeviceStats[] = [...this.runs.values()].map((run) => {
      const lastPollAt = iso(run.lastPollAt);
      const nextAttemptAt = iso(run.nextAttemptAt);
      return {
        id: run.device.id,
        bus: run.device.bus,
        state: run.state,
        phase: run.phase,
        consecutiveFailures: run.consecutiveFailures,
        polls: run.polls,
        pollErrors: run.pollErrors,
        skipped: run.skipped,
        ...(lastPollAt ? { lastPollAt } : {}),
        ...(nextAttemptAt ? { nextAttemptAt } : {}),
        ...(run.lastError ? { lastError: { code: run.lastError.code, message: run.lastError.message } } : {}),
      };
    });
    const buses: ScheduledBusStats[] = [...this.lanes.values()].map((lane) => {
      const busyMs = lane.busyTime();
      return {
        bus: lane.bus,
        polls: lane.polls,
        pollErrors: lane.pollErrors,
        busyMs,
        devices: [...this.runs.values()].filter((run) => run.lane === lane).length,
        queued: lane.queued,
        utilisation: elapsedMs > 0 ? Math.min(1, busyMs / elapsedMs) : 0,
        interFrameDelayMs: lane.interFrameDelayMs,
      };
    });
    const startedAt = iso(this.startedAt);
    return {
      polls: this.totals.polls,
      pollErrors: this.totals.pollErrors,
      skipped: this.totals.skipped,
      devices,
      buses,
      elapsedMs,
      ...(startedAt ? { startedAt } : {}),
    };
  }

  private register(device: ScheduledDevice): DeviceRun {
    validateDevice(device);
    if (this.runs.has(device.id)) {
      throw new MetrogateError('MG_ERR_CONFIG_INVALID', `device id ${device.id} is scheduled twice`, {
        device: device.id,
      });
    }
    let lane = this.lanes.get(device.bus);
    if (!lane) {
      lane = new BusLane(device.bus, interFrameDelayOf(this.options, device.bus), this.clock);
      this.lanes.set(device.bus, lane);
    }
    const run: DeviceRun = {
      device,
      lane,
      log: this.logger.child({ device: device.id, bus: device.bus }),
      phase: 'idle',
      state: 'offline',
      announced: undefined,
      consecutiveFailures: 0,
      failedRetries: 0,
      timer: undefined,
      nextAttemptAt: undefined,
      onBus: false,
      driverBusy: false,
      connectAbort: undefined,
      anchor: 0,
      nextSlot: 0,
      polls: 0,
      pollErrors: 0,
      skipped: 0,
      lastPollAt: undefined,
      lastError: undefined,
      silenced: false,
    };
    this.runs.set(device.id, run);
    return run;
  }

  private unregister(run: DeviceRun): void {
    this.runs.delete(run.device.id);
    // The lane keeps its counters for stats while other devices use it; an empty one goes.
    const stillUsed = [...this.runs.values()].some((other) => other.lane === run.lane);
    if (!stillUsed && run.lane.queued === 0) this.lanes.delete(run.lane.bus);
  }

  private begin(run: DeviceRun, phaseOffsetMs: number): void {
    run.anchor = this.clock.now() + phaseOffsetMs;
    run.phase = 'connecting';
    this.enqueue(run, 'connect');
  }

  // ---- timing ---------------------------------------------------------------------------------

  private clearTimer(run: DeviceRun): void {
    if (run.timer !== undefined) this.clock.clearTimeout(run.timer);
    run.timer = undefined;
    run.nextAttemptAt = undefined;
  }

  private setTimer(run: DeviceRun, at: number, action: () => void): void {
    this.clearTimer(run);
    const fire = () => {
      run.timer = undefined;
      run.nextAttemptAt = undefined;
      if (this.stopping || run.phase === 'removed') return;
      action();
    };
    const wait = at - this.clock.now();
    // Node turns a 0 ms timeout into 1 ms; a slot that is already due runs now.
    if (wait <= 0) {
      fire();
      return;
    }
    run.nextAttemptAt = at;
    run.timer = this.clock.setTimeout(fire, wait);
  }

  /** Arms the timer of slot `run.nextSlot`, jittered. */
  private armTick(run: DeviceRun): void {
    const due = run.anchor + run.nextSlot * run.device.intervalMs;
    const at = Math.max(this.clock.now(), due + this.random() * this.options.jitterMs);
    this.setTimer(run, at, () => this.tick(run));
  }

  /**
   * Enters the tick grid. After a connect, the slot in progress counts (the device polls at once, or
   * at slot 0 when its phase is still ahead); after a recovered retry, the next slot does.
   */
  private enterGrid(run: DeviceRun, after: 'connect' | 'retry'): void {
    const interval = run.device.intervalMs;
    const elapsed = Math.floor((this.clock.now() - run.anchor) / interval);
    run.nextSlot = after === 'connect' ? Math.max(0, elapsed) : elapsed + 1;
    run.phase = 'polling';
    this.armTick(run);
  }

  private tick(run: DeviceRun): void {
    if (run.phase !== 'polling') return;
    const slot = run.nextSlot;
    if (run.onBus || run.driverBusy) {
      run.skipped++;
      this.totals.skipped++;
      run.log.debug({ slot }, 'tick skipped: previous poll still queued or running');
    } else {
      this.enqueue(run, 'poll');
    }
    // Slots that passed while the event loop was blocked are dropped, not replayed.
    const elapsed = Math.floor((this.clock.now() - run.anchor) / run.device.intervalMs);
    run.nextSlot = Math.max(slot + 1, elapsed + 1);
    this.armTick(run);
  }

  private enqueue(run: DeviceRun, kind: 'connect' | 'poll'): void {
    run.onBus = true;
    run.lane.enqueue({
      owner: run.device.id,
      run: () => (kind === 'connect' ? this.runConnect(run) : this.runPoll(run)),
    });
  }

  /**
   * Runs one driver call under a deadline. If the driver ignores its signal, the call is given up
   * `abandonAfterMs` later (the bus is freed) while `driverBusy` stays set until it really returns.
   */
  private async withDeadline<T>(
    run: DeviceRun,
    what: 'connect' | 'poll',
    timeoutMs: number,
    controller: AbortController,
    call: (signal: AbortSignal) => Promise<T>,
  ): Promise<Outcome<T>> {
    const { device } = run;
    const timeoutError = () =>
      new MetrogateError(
        'MG_ERR_TIMEOUT',
        `${device.id} on ${device.bus}: ${what} did not finish within ${timeoutMs} ms`,
        { device: device.id, port: device.bus },
      );
    let timedOut = false;
    const deadline = this.clock.setTimeout(() => {
      timedOut = true;
      controller.abort(timeoutError());
    }, timeoutMs);
    let abandonTimer: TimerHandle | undefined;
    const abandoned = new Promise<Outcome<T>>((resolve) => {
      abandonTimer = this.clock.setTimeout(
        () => resolve({ ok: false, error: timeoutError(), abandoned: true }),
        timeoutMs + this.options.abandonAfterMs,
      );
    });
    run.driverBusy = true;
    const attempt = Promise.resolve()
      .then(() => call(controller.signal))
      .finally(() => {
        run.driverBusy = false;
      });
    const settled = attempt.then(
      (value): Outcome<T> => ({ ok: true, value }),
      (error: unknown): Outcome<T> => {
        if (timedOut && (isAbort(error) || !(error instanceof MetrogateError))) {
          return { ok: false, error: timeoutError() };
        }
        return {
          ok: false,
          error: toMetrogateError(error, 'MG_ERR_DEVICE_ERROR', { device: device.id, port: device.bus }),
        };
      },
    );
    try {
      const outcome = await Promise.race([settled, abandoned]);
      if (outcome.ok === false && outcome.abandoned) {
        run.log.warn(
          { what, timeoutMs, abandonAfterMs: this.options.abandonAfterMs },
          'driver ignored its deadline; bus given to the next device',
        );
        void settled.then((late) => {
          if (late.ok) run.log.warn('late result of an abandoned call discarded');
        });
      }
      return outcome;
    } finally {
      this.clock.clearTimeout(deadline);
      if (abandonTimer !== undefined) this.clock.clearTimeout(abandonTimer);
    }
  }

  // ---- connect --------------------------------------------------------------------------------

  private async runConnect(run: DeviceRun): Promise<void> {
    if (run.phase !== 'connecting' || this.stopping) {
      run.onBus = false;
      return;
    }
    const controller = new AbortController();
    run.connectAbort = controller;
    const outcome = await this.withDeadline(
      run,
      'connect',
      this.options.connectTimeoutMs,
      controller,
      (signal) => run.device.driver.connect(signal),
    );
    run.connectAbort = undefined;
    run.onBus = false;
    if (this.stopping || run.phase !== 'connecting') return;
    if (outcome.ok) {
      run.log.info({ identity: outcome.value }, 'device connected');
      run.consecutiveFailures = 0;
      run.failedRetries = 0;
      this.enterGrid(run, 'connect');
      return;
    }
    run.consecutiveFailures++;
    run.lastError = outcome.error;
    const wait = backoffDelay(this.options.backoff, run.failedRetries);
    run.failedRetries++;
    run.log.debug({ err: outcome.error, retryInMs: wait }, 'connect failed');
    this.setState(run, 'offline', outcome.error);
    this.setTimer(run, this.clock.now() + wait, () => this.retry(run, 'connect'));
  }

  // ---- poll -----------------------------------------------------------------------------------

  private async runPoll(run: DeviceRun): Promise<void> {
    if ((run.phase !== 'polling' && run.phase !== 'demoted') || this.stopping) {
      run.onBus = false;
      return;
    }
    const outcome = await this.withDeadline(
      run,
      'poll',
      run.device.timeoutMs,
      new AbortController(),
      (signal) => run.device.driver.poll(signal),
    );
    run.onBus = false;
    if (run.silenced) return;
    if (outcome.ok) this.pollSucceeded(run, outcome.value);
    else this.pollFailed(run, outcome.error);
  }

  private pollSucceeded(run: DeviceRun, result: PollResult): void {
    const now = this.clock.now();
    run.polls++;
    run.lane.polls++;
    this.totals.polls++;
    run.lastPollAt = now;
    run.consecutiveFailures = 0;
    run.failedRetries = 0;
    run.lastError = undefined;
    if (run.phase === 'demoted' && !this.stopping) this.enterGrid(run, 'retry');
    this.setState(run, 'online');
    this.emit(run, () => this.listener.readings?.(run.device, result));
  }

  private pollFailed(run: DeviceRun, error: MetrogateError): void {
    run.pollErrors++;
    run.lane.pollErrors++;
    this.totals.pollErrors++;
    run.consecutiveFailures++;
    run.lastError = error;
    run.log.debug({ err: error, consecutiveFailures: run.consecutiveFailures }, 'poll failed');
    this.emit(run, () => this.listener.pollError?.(run.device, error));
    if (this.stopping || run.phase === 'removed') {
      this.setState(
        run,
        run.consecutiveFailures >= this.options.failuresBeforeDemotion ? 'demoted' : 'offline',
        error,
      );
      return;
    }
    if (RECONNECT_CODES.has(error.code)) {
      this.clearTimer(run);
      run.phase = 'connecting';
      this.setState(run, 'offline', error);
      this.enqueue(run, 'connect');
      return;
    }
    if (run.phase === 'demoted') {
      run.failedRetries++;
      this.armRetry(run);
      return;
    }
    if (run.consecutiveFailures >= this.options.failuresBeforeDemotion) {
      this.clearTimer(run);
      run.phase = 'demoted';
      run.failedRetries = 0;
      this.setState(run, 'demoted', error);
      this.armRetry(run);
      return;
    }
    this.setState(run, 'offline', error);
  }

  /** A demoted device's next (single) attempt, one back-off after its last failure. */
  private armRetry(run: DeviceRun): void {
    const wait = backoffDelay(this.options.backoff, run.failedRetries);
    this.setTimer(run, this.clock.now() + wait, () => this.retry(run, 'poll'));
  }

  /** A retry never starts a second driver call beside an abandoned one that is still running. */
  private retry(run: DeviceRun, kind: 'connect' | 'poll'): void {
    if (!run.driverBusy) {
      this.enqueue(run, kind);
      return;
    }
    run.skipped++;
    this.totals.skipped++;
    const wait = backoffDelay(this.options.backoff, run.failedRetries);
    this.setTimer(run, this.clock.now() + wait, () => this.retry(run, kind));
  }

  // ---- events ---------------------------------------------------------------------------------

  private setState(run: DeviceRun, state: DeviceState, error?: MetrogateError): void {
    run.state = state;
    if (run.announced === state) return;
    run.announced = state;
    const fields = error ? { state, err: { code: error.code, message: error.message } } : { state };
    if (state === 'online') run.log.info(fields, 'device online');
    else run.log.warn(fields, `device ${state}`);
    this.emit(run, () => this.listener.deviceState?.(run.device, state, error));
  }

  /** Calls the listener; a listener that throws is logged and does not disturb the schedule. */
  private emit(run: DeviceRun, call: () => void): void {
    if (this.closed || run.silenced) return;
    try {
      call();
    } catch (error) {
      run.log.error({ err: error }, 'scheduler listener threw');
    }
  }

  private async closeDriver(run: DeviceRun): Promise<void> {
    try {
      await run.device.driver.close();
    } catch (error) {
      run.log.warn({ err: error }, 'driver close failed');
    }
  }
}

function isAbort(error: unknown): boolean {
  return (
    (error instanceof MetrogateError && error.code === 'MG_ERR_ABORTED') ||
    (error instanceof Error && error.name === 'AbortError')
  );
}

function validateDevice(device: ScheduledDevice): void {
  const fail = (what: string) => {
    throw new MetrogateError('MG_ERR_CONFIG_INVALID', `device ${device.id}: ${what}`, {
      device: device.id,
    });
  };
  if (!device.id) fail('id is empty');
  if (!device.bus) fail('bus is empty');
  if (!(Number.isFinite(device.intervalMs) && device.intervalMs > 0)) fail('intervalMs must be positive');
  if (!(Number.isFinite(device.timeoutMs) && device.timeoutMs > 0)) fail('timeoutMs must be positive');
}
