/**
 * The scheduler's timing rules under vitest's fake timers, with fake drivers whose polls take a
 * chosen time (on the faked clock) and either answer, fail, stay silent until their deadline, or
 * ignore their deadline altogether.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { delay } from '../../drivers/abort.js';
import type { DeviceIdentity, Driver, PollResult } from '../../drivers/contract.js';
import { isMetrogateError, MetrogateError } from '../../drivers/errors.js';
import type { DeviceState, ScheduledDevice } from '../runtime/contracts.js';
import { backoffDelay, parseSchedulerOptions } from './options.js';
import { Scheduler, type SchedulerInit } from './scheduler.js';

type Behaviour = 'answer' | 'silent' | 'fail' | 'hang' | 'not-connected';

interface PollRecord {
  start: number;
  end?: number;
  ok?: boolean;
}

/** Tracks how many polls run at once on each bus: the scheduler must keep it at one. */
class BusMonitor {
  private readonly active = new Map<string, number>();
  readonly maxActive = new Map<string, number>();

  enter(bus: string): void {
    const now = (this.active.get(bus) ?? 0) + 1;
    this.active.set(bus, now);
    this.maxActive.set(bus, Math.max(now, this.maxActive.get(bus) ?? 0));
  }

  leave(bus: string): void {
    this.active.set(bus, (this.active.get(bus) ?? 1) - 1);
  }
}

class FakeDriver implements Driver {
  readonly driverId = 'fake';
  readonly deviceId: string;
  behaviour: Behaviour = 'answer';
  pollMs: number;
  connectMs = 1;
  connectFailures = 0;
  connectAttempts: number[] = [];
  polls: PollRecord[] = [];
  inits = 0;
  closed = 0;
  private readonly bus: string;
  private readonly monitor: BusMonitor;

  constructor(id: string, bus: string, monitor: BusMonitor, pollMs = 10) {
    this.deviceId = id;
    this.bus = bus;
    this.monitor = monitor;
    this.pollMs = pollMs;
  }

  init(): void {
    this.inits++;
  }

  async connect(signal: AbortSignal): Promise<DeviceIdentity> {
    this.connectAttempts.push(Date.now());
    this.monitor.enter(this.bus);
    try {
      await delay(this.connectMs, signal);
    } finally {
      this.monitor.leave(this.bus);
    }
    if (this.connectFailures > 0) {
      this.connectFailures--;
      throw new MetrogateError('MG_ERR_PORT_NOT_FOUND', `${this.deviceId}: no such port`, {
        port: this.bus,
      });
    }
    return { model: 'fake' };
  }

  async poll(signal: AbortSignal): Promise<PollResult> {
    const record: PollRecord = { start: Date.now() };
    this.polls.push(record);
    this.monitor.enter(this.bus);
    try {
      switch (this.behaviour) {
        case 'silent':
          // A dead slave: nothing comes back, the deadline ends the wait.
          await new Promise<never>((_, reject) => {
            signal.addEventListener('abort', () => reject(signal.reason), { once: true });
          });
          break;
        case 'hang':
          // A broken driver that ignores its signal.
          await delay(60_000);
          break;
        case 'fail':
          await delay(this.pollMs, signal);
          throw new MetrogateError('MG_ERR_FRAME_CHECKSUM', `${this.deviceId}: bad checksum`, {
            port: this.bus,
          });
        case 'not-connected':
          this.behaviour = 'answer';
          throw new MetrogateError('MG_ERR_NOT_CONNECTED', `${this.deviceId}: not connected`, {});
        default:
          await delay(this.pollMs, signal);
      }
      record.ok = true;
      return {
        readings: [
          {
            deviceId: this.deviceId,
            channel: 'weight',
            value: '1.00',
            unit: 'kg',
            quality: 'good',
            ts: new Date(),
          },
        ],
        errors: [{ channel: 'gross', code: 'MG_ERR_MODBUS_EXCEPTION', message: 'no gross register' }],
      };
    } catch (error) {
      record.ok = false;
      throw error;
    } finally {
      record.end = Date.now();
      this.monitor.leave(this.bus);
    }
  }

  async close(): Promise<void> {
    this.closed++;
  }

  starts(): number[] {
    return this.polls.map((poll) => poll.start);
  }
}

interface EventLog {
  readings: { device: string; at: number; result: PollResult }[];
  states: { device: string; state: DeviceState; at: number; code?: string }[];
  errors: { device: string; code: string; at: number }[];
}

function harness() {
  const monitor = new BusMonitor();
  const events: EventLog = { readings: [], states: [], errors: [] };
  const listener: NonNullable<SchedulerInit['listener']> = {
    readings: (device, result) => events.readings.push({ device: device.id, at: Date.now(), result }),
    deviceState: (device, state, error) =>
      events.states.push({
        device: device.id,
        state,
        at: Date.now(),
        ...(error ? { code: error.code } : {}),
      }),
    pollError: (device, error) => events.errors.push({ device: device.id, code: error.code, at: Date.now() }),
  };
  const drivers = new Map<string, FakeDriver>();
  const device = (
    id: string,
    bus: string,
    options: { intervalMs?: number; timeoutMs?: number; pollMs?: number } = {},
  ): ScheduledDevice => {
    const driver = new FakeDriver(id, bus, monitor, options.pollMs ?? 10);
    drivers.set(id, driver);
    return {
      id,
      driver,
      bus,
      intervalMs: options.intervalMs ?? 100,
      timeoutMs: options.timeoutMs ?? 50,
      meta: { kind: 'scale' },
    };
  };
  const driver = (id: string) => drivers.get(id)!;
  return { monitor, events, listener, device, driver };
}

let scheduler: Scheduler | undefined;

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});

afterEach(async () => {
  const running = scheduler;
  scheduler = undefined;
  if (running) {
    const stopped = running.stop();
    await vi.runOnlyPendingTimersAsync();
    await stopped;
  }
  vi.useRealTimers();
});

function startScheduler(init: SchedulerInit): Scheduler {
  scheduler = new Scheduler(init);
  scheduler.start();
  return scheduler;
}

describe('options', () => {
  it('applies the documented defaults', () => {
    const options = parseSchedulerOptions({});
    expect(options.failuresBeforeDemotion).toBe(3);
    expect(options.backoff).toEqual({ initialMs: 1000, maxMs: 30_000, factor: 2 });
    expect(options.jitterMs).toBe(0);
    expect(options.interFrameDelayMs).toBe(0);
    expect(options.connectTimeoutMs).toBe(5000);
  });

  it('rejects a bad option with MG_ERR_CONFIG_INVALID naming it', () => {
    const attempt = (input: Parameters<typeof parseSchedulerOptions>[0]) => {
      try {
        parseSchedulerOptions(input);
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const negative = attempt({ jitterMs: -1 });
    expect(isMetrogateError(negative, 'MG_ERR_CONFIG_INVALID')).toBe(true);
    expect((negative as MetrogateError).details.path).toBe('scheduler.jitterMs');
    const inverted = attempt({ backoff: { initialMs: 5000, maxMs: 1000 } });
    expect((inverted as MetrogateError).details.path).toBe('scheduler.backoff.maxMs');
    expect(attempt({ failuresBeforeDemotion: 0 })).toBeInstanceOf(MetrogateError);
  });

  it('computes the back-off: initial × factor^n up to max', () => {
    const backoff = { initialMs: 200, maxMs: 1000, factor: 2 };
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(backoff, n))).toEqual([200, 400, 800, 1000, 1000]);
  });

  it('refuses duplicate device ids and impossible intervals', () => {
    const h = harness();
    expect(() => new Scheduler({ devices: [h.device('a', 'x'), h.device('a', 'y')] })).toThrow(
      /scheduled twice/,
    );
    expect(() => new Scheduler({ devices: [h.device('b', 'x', { intervalMs: 0 })] })).toThrow(/intervalMs/);
  });
});

describe('timing', () => {
  it('polls every intervalMs, each poll one interval after the last', async () => {
    const h = harness();
    startScheduler({ devices: [h.device('a', 'bus-1', { intervalMs: 100 })], listener: h.listener });
    await vi.advanceTimersByTimeAsync(1000);
    // Connect takes 1 ms; slot 0 is due at 0, so the first poll starts right after the connect.
    expect(h.driver('a').starts()).toEqual([1, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(h.events.readings).toHaveLength(10);
    expect(h.driver('a').inits).toBe(1);
  });

  it('keeps every tick within [slot, slot + jitterMs] and does spread them', async () => {
    const h = harness();
    const devices = [
      h.device('a', 'bus-1', { intervalMs: 100 }),
      h.device('b', 'bus-2', { intervalMs: 100 }),
    ];
    startScheduler({ devices, listener: h.listener, options: { jitterMs: 30 } });
    await vi.advanceTimersByTimeAsync(5000);
    for (const id of ['a', 'b']) {
      const starts = h.driver(id).starts().slice(1);
      expect(starts.length).toBeGreaterThanOrEqual(45);
      const offsets = starts.map((start) => start - Math.floor(start / 100) * 100);
      for (const offset of offsets) {
        expect(offset).toBeGreaterThanOrEqual(0);
        expect(offset).toBeLessThanOrEqual(30);
      }
      // Math.random over ~50 ticks: the offsets are not all the same.
      expect(new Set(offsets).size).toBeGreaterThan(5);
    }
  });

  it('uses the injected random source for jitter', async () => {
    const h = harness();
    startScheduler({
      devices: [h.device('a', 'bus-1', { intervalMs: 100 })],
      listener: h.listener,
      options: { jitterMs: 40 },
      random: () => 0.5,
    });
    await vi.advanceTimersByTimeAsync(500);
    expect(h.driver('a').starts()).toEqual([20, 120, 220, 320, 420]);
  });

  it('spreads the devices of one bus over their interval', async () => {
    const h = harness();
    const devices = ['a', 'b', 'c', 'd'].map((id) => h.device(id, 'line', { intervalMs: 100, pollMs: 2 }));
    startScheduler({ devices, listener: h.listener });
    await vi.advanceTimersByTimeAsync(99);
    // Connects are serialised on the line (1 ms each), then slot 0 of each device: 0, 25, 50, 75.
    expect(['a', 'b', 'c', 'd'].map((id) => h.driver(id).starts()[0])).toEqual([4, 25, 50, 75]);
  });

  it('skips (and counts) the ticks that come while the previous poll still runs', async () => {
    const h = harness();
    const s = startScheduler({
      devices: [h.device('slow', 'bus-1', { intervalMs: 100, timeoutMs: 1000, pollMs: 250 })],
      listener: h.listener,
    });
    await vi.advanceTimersByTimeAsync(950);
    // Ticks 100, 200 fall inside the first poll (1–251), 400, 500 inside the second, 700, 800 the third.
    expect(h.driver('slow').starts()).toEqual([1, 300, 600, 900]);
    expect(s.stats().skipped).toBe(6);
    expect(s.stats().devices[0]!.skipped).toBe(6);
    expect(h.monitor.maxActive.get('bus-1')).toBe(1);
  });

  it('keeps the silence configured for a bus between two polls on it', async () => {
    const h = harness();
    const devices = [
      ...['a', 'b', 'c'].map((id) => h.device(id, 'slow-line', { intervalMs: 50, pollMs: 20 })),
      ...['d', 'e', 'f'].map((id) => h.device(id, 'fast-line', { intervalMs: 50, pollMs: 20 })),
    ];
    startScheduler({
      devices,
      listener: h.listener,
      options: { interFrameDelayMs: { default: 0, buses: { 'slow-line': 20 } } },
    });
    await vi.advanceTimersByTimeAsync(2000);
    const gaps = (ids: string[]) => {
      const polls = ids.flatMap((id) => h.driver(id).polls).sort((x, y) => x.start - y.start);
      return polls.slice(1).map((poll, i) => poll.start - polls[i]!.end!);
    };
    const slow = gaps(['a', 'b', 'c']);
    expect(Math.min(...slow)).toBeGreaterThanOrEqual(20);
    // The other bus is saturated too and runs polls back to back.
    expect(Math.min(...gaps(['d', 'e', 'f']))).toBe(0);
  });
});

describe('fairness and independence', () => {
  it('gives ten unit ids on one saturated line equal shares, one poll at a time', async () => {
    const h = harness();
    // Ten 10 ms polls every 50 ms ask for twice what the line can carry.
    const ids = Array.from({ length: 10 }, (_, i) => `unit-${i + 1}`);
    const devices = ids.map((id) => h.device(id, 'rtu-line', { intervalMs: 50, pollMs: 10 }));
    const s = startScheduler({ devices, listener: h.listener });
    await vi.advanceTimersByTimeAsync(5000);
    const counts = ids.map((id) => h.driver(id).polls.length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    // The line is the limit: about 5000 ms / 10 ms polls in all, shared out.
    expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(480);
    expect(h.monitor.maxActive.get('rtu-line')).toBe(1);
    const bus = s.stats().buses.find((b) => b.bus === 'rtu-line')!;
    expect(bus.utilisation).toBeGreaterThan(0.95);
    expect(s.stats().skipped).toBeGreaterThan(0);
  });

  it('serves a device that falls due while the line is busy within one round', async () => {
    const h = harness();
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const devices = ids.map((id) => h.device(id, 'line', { intervalMs: 100, pollMs: 15 }));
    startScheduler({ devices, listener: h.listener });
    await vi.advanceTimersByTimeAsync(3000);
    // 5 × 15 ms in a 100 ms interval fits, so every device gets every slot.
    for (const id of ids) expect(h.driver(id).polls.length).toBeGreaterThanOrEqual(29);
  });

  it('lets a device on another bus keep its rate while one bus is stuck with a silent device', async () => {
    const h = harness();
    const devices = [
      h.device('dead', 'bus-a', { intervalMs: 100, timeoutMs: 400 }),
      h.device('neighbour', 'bus-a', { intervalMs: 100 }),
      h.device('other', 'bus-b', { intervalMs: 100 }),
    ];
    h.driver('dead').behaviour = 'silent';
    startScheduler({ devices, listener: h.listener, options: { failuresBeforeDemotion: 1000 } });
    await vi.advanceTimersByTimeAsync(2000);
    expect(h.driver('other').polls.length).toBe(21);
    // The neighbour shares the dead device's bus and loses most of its slots (no demotion here).
    expect(h.driver('neighbour').polls.length).toBeLessThanOrEqual(6);
    // Polls on different buses do overlap in time.
    const deadPoll = h.driver('dead').polls[0]!;
    expect(
      h
        .driver('other')
        .starts()
        .some((t) => t > deadPoll.start && t < deadPoll.end!),
    ).toBe(true);
  });
});

describe('demotion and recovery', () => {
  const options = { failuresBeforeDemotion: 3, backoff: { initialMs: 200, maxMs: 800, factor: 2 } };

  it('demotes after N consecutive failures and retries on the back-off schedule, one timeout each', async () => {
    const h = harness();
    const s = startScheduler({
      devices: [h.device('dead', 'line', { intervalMs: 100, timeoutMs: 50 })],
      listener: h.listener,
      options,
    });
    h.driver('dead').behaviour = 'silent';
    await vi.advanceTimersByTimeAsync(2700);
    const polls = h.driver('dead').polls;
    // Slots 0, 100, 200 fail (ending at 51, 150, 250); then retries 200, 400, 800, 800 ms after each
    // failure: 450 → 500, 900 → 950, 1750 → 1800, 2600.
    expect(polls.map((p) => p.start)).toEqual([1, 100, 200, 450, 900, 1750, 2600]);
    for (const poll of polls.slice(0, -1)) expect(poll.end! - poll.start).toBe(50);
    expect(h.events.states.map((e) => [e.state, e.at, e.code])).toEqual([
      ['offline', 51, 'MG_ERR_TIMEOUT'],
      ['demoted', 250, 'MG_ERR_TIMEOUT'],
    ]);
    expect(h.events.errors.every((e) => e.code === 'MG_ERR_TIMEOUT')).toBe(true);
    const device = s.stats().devices[0]!;
    expect(device.state).toBe('demoted');
    expect(device.phase).toBe('demoted');
    expect(device.consecutiveFailures).toBe(7);
    expect(device.lastError?.code).toBe('MG_ERR_TIMEOUT');
    expect(device.nextAttemptAt).toBe(new Date(2650 + 800).toISOString());
  });

  it('comes back online on the first successful retry, back-off reset, back on its tick grid', async () => {
    const h = harness();
    startScheduler({
      devices: [h.device('flaky', 'line', { intervalMs: 100, timeoutMs: 50 })],
      listener: h.listener,
      options,
    });
    h.driver('flaky').behaviour = 'silent';
    await vi.advanceTimersByTimeAsync(1000);
    h.driver('flaky').behaviour = 'answer';
    await vi.advanceTimersByTimeAsync(1000);
    // Failures at 1, 100, 200 (demoted), retries at 450 and 900 fail; 950 + 800 = 1750 answers.
    const starts = h.driver('flaky').starts();
    expect(starts.slice(0, 6)).toEqual([1, 100, 200, 450, 900, 1750]);
    // After recovery: the grid's next slots (1800, 1900, 2000), not the back-off.
    expect(starts.slice(6)).toEqual([1800, 1900, 2000]);
    expect(h.events.states.map((e) => e.state)).toEqual(['offline', 'demoted', 'online']);
    expect(h.events.states[2]!.at).toBe(1760);
    h.driver('flaky').behaviour = 'silent';
    await vi.advanceTimersByTimeAsync(600);
    // Failing again: slots 2100, 2200, 2300 fail → demoted at 2350, and the back-off starts over
    // from its initial 200 ms.
    expect(h.driver('flaky').starts().slice(9)).toEqual([2100, 2200, 2300, 2550]);
    expect(h.events.states.map((e) => e.state)).toEqual([
      'offline',
      'demoted',
      'online',
      'offline',
      'demoted',
    ]);
  });

  it('reports offline on the first failure after success, and online again without demotion', async () => {
    const h = harness();
    startScheduler({
      devices: [h.device('a', 'line', { intervalMs: 100 })],
      listener: h.listener,
      options,
    });
    await vi.advanceTimersByTimeAsync(250);
    h.driver('a').behaviour = 'fail';
    await vi.advanceTimersByTimeAsync(200);
    h.driver('a').behaviour = 'answer';
    await vi.advanceTimersByTimeAsync(200);
    expect(h.events.states.map((e) => [e.state, e.code])).toEqual([
      ['online', undefined],
      ['offline', 'MG_ERR_FRAME_CHECKSUM'],
      ['online', undefined],
    ]);
    expect(h.events.errors.map((e) => e.code)).toEqual(['MG_ERR_FRAME_CHECKSUM', 'MG_ERR_FRAME_CHECKSUM']);
    // Readings carry the per-channel errors of the poll.
    expect(h.events.readings[0]!.result.errors[0]!.channel).toBe('gross');
  });

  it('costs its neighbours on the bus one timeout per retry once demoted', async () => {
    const run = async (failuresBeforeDemotion: number) => {
      const h = harness();
      const live = ['u1', 'u2', 'u3'];
      const devices = [
        ...live.map((id) => h.device(id, 'line', { intervalMs: 100, pollMs: 20 })),
        h.device('dead', 'line', { intervalMs: 100, timeoutMs: 100 }),
      ];
      h.driver('dead').behaviour = 'silent';
      const s = startScheduler({
        devices,
        listener: h.listener,
        options: { failuresBeforeDemotion, backoff: { initialMs: 800, maxMs: 800, factor: 2 } },
      });
      await vi.advanceTimersByTimeAsync(10_000);
      const livePolls = live.map((id) => h.driver(id).polls.length);
      const deadPolls = h.driver('dead').polls.length;
      const stopped = s.stop();
      await vi.advanceTimersByTimeAsync(200);
      await stopped;
      scheduler = undefined;
      return { livePolls, deadPolls };
    };
    const demoting = await run(3);
    const never = await run(1_000_000);
    // Demoted: 3 failures, then one retry every ~900 ms; each takes 100 ms of the line.
    expect(demoting.deadPolls).toBeLessThanOrEqual(3 + 11);
    // 3 × 20 ms + one 100 ms retry now and then: the live units lose at most the slot a retry overlaps.
    for (const polls of demoting.livePolls) expect(polls).toBeGreaterThanOrEqual(100 - 14);
    // Without demotion the dead unit takes 100 ms of every round and the others lose half their slots.
    for (const polls of never.livePolls) expect(polls).toBeLessThan(70);
  });

  it('retries a failing connect with back-off while the device is offline', async () => {
    const h = harness();
    const s = startScheduler({
      devices: [h.device('a', 'line', { intervalMs: 100 })],
      listener: h.listener,
      options,
    });
    h.driver('a').connectFailures = 3;
    await vi.advanceTimersByTimeAsync(0);
    expect(s.stats().devices[0]!.state).toBe('offline');
    await vi.advanceTimersByTimeAsync(2000);
    // Attempts at 0, then 200, 400, 800 ms after each failure (each takes 1 ms).
    expect(h.driver('a').connectAttempts).toEqual([0, 201, 602, 1403]);
    expect(h.events.states.map((e) => [e.state, e.code])).toEqual([
      ['offline', 'MG_ERR_PORT_NOT_FOUND'],
      ['online', undefined],
    ]);
    // Connected at 1404, it polls at once (10 ms).
    expect(h.events.states[1]!.at).toBe(1414);
    expect(h.events.errors).toHaveLength(0);
  });

  it('connects again when a poll finds the driver not connected', async () => {
    const h = harness();
    startScheduler({ devices: [h.device('a', 'line', { intervalMs: 100 })], listener: h.listener, options });
    await vi.advanceTimersByTimeAsync(150);
    h.driver('a').behaviour = 'not-connected';
    await vi.advanceTimersByTimeAsync(300);
    expect(h.driver('a').connectAttempts).toEqual([0, 200]);
    expect(h.events.states.map((e) => e.state)).toEqual(['online', 'offline', 'online']);
  });

  it('gives the bus away when a driver ignores its deadline, and does not poll it again meanwhile', async () => {
    const h = harness();
    const s = startScheduler({
      devices: [
        h.device('stuck', 'line', { intervalMs: 100, timeoutMs: 50 }),
        h.device('ok', 'line', { intervalMs: 100 }),
      ],
      listener: h.listener,
      options: { abandonAfterMs: 100 },
    });
    h.driver('stuck').behaviour = 'hang';
    await vi.advanceTimersByTimeAsync(1000);
    // The hung poll (from 2) is given up at 152; the other device polls after that.
    expect(h.driver('stuck').polls).toHaveLength(1);
    expect(h.events.errors[0]).toMatchObject({ device: 'stuck', code: 'MG_ERR_TIMEOUT', at: 152 });
    expect(h.driver('ok').polls.length).toBeGreaterThanOrEqual(8);
    expect(s.stats().devices.find((d) => d.id === 'stuck')!.skipped).toBeGreaterThanOrEqual(8);
  });
});

describe('lifecycle', () => {
  it('stop() waits for the poll in flight, delivers it, drops queued polls and then is silent', async () => {
    const h = harness();
    const s = new Scheduler({
      devices: [
        h.device('long', 'line', { intervalMs: 1000, timeoutMs: 1000, pollMs: 300 }),
        h.device('queued', 'line', { intervalMs: 1000, pollMs: 10 }),
      ],
      listener: h.listener,
    });
    s.start();
    // 'long' connects at 0, 'queued' at 1; 'long' polls 2–302; 'queued' is due at 500.
    await vi.advanceTimersByTimeAsync(100);
    let resolved = false;
    const stopped = s.stop().then(() => {
      resolved = true;
    });
    await vi.advanceTimersByTimeAsync(150);
    expect(resolved).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    await stopped;
    expect(resolved).toBe(true);
    expect(h.events.readings.map((r) => [r.device, r.at])).toEqual([['long', 302]]);
    expect(h.driver('long').closed).toBe(1);
    expect(h.driver('queued').closed).toBe(1);
    const before = { ...h.events, polls: s.stats().polls };
    await vi.advanceTimersByTimeAsync(5000);
    expect(h.driver('queued').polls).toHaveLength(0);
    expect(h.events.readings).toHaveLength(before.readings.length);
    expect(h.events.states).toHaveLength(before.states.length);
    expect(s.stats().polls).toBe(before.polls);
    expect(() => s.start()).toThrow(/stopped/);
  });

  it('stop() aborts a connect in flight', async () => {
    const h = harness();
    const dev = h.device('slow-connect', 'line');
    h.driver('slow-connect').connectMs = 10_000;
    const s = new Scheduler({ devices: [dev], listener: h.listener, options: { connectTimeoutMs: 20_000 } });
    s.start();
    await vi.advanceTimersByTimeAsync(100);
    await s.stop();
    expect(h.driver('slow-connect').polls).toHaveLength(0);
    expect(h.events.states).toHaveLength(0);
  });

  it('adds and removes devices while running', async () => {
    const h = harness();
    const s = startScheduler({ devices: [h.device('a', 'line')], listener: h.listener, random: () => 0 });
    await vi.advanceTimersByTimeAsync(250);
    s.addDevice(h.device('b', 'line'));
    expect(h.driver('b').inits).toBe(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(h.driver('b').polls.length).toBeGreaterThanOrEqual(4);
    expect(s.stats().devices.map((d) => d.id)).toEqual(['a', 'b']);
    const removed = s.removeDevice('a');
    await vi.advanceTimersByTimeAsync(20);
    await removed;
    const pollsOfA = h.driver('a').polls.length;
    await vi.advanceTimersByTimeAsync(500);
    expect(h.driver('a').polls).toHaveLength(pollsOfA);
    expect(h.driver('a').closed).toBe(1);
    expect(s.stats().devices.map((d) => d.id)).toEqual(['b']);
    expect(() => s.addDevice(h.device('b', 'line'))).toThrow(/twice/);
  });

  it('survives a listener that throws', async () => {
    const h = harness();
    let calls = 0;
    startScheduler({
      devices: [h.device('a', 'line')],
      listener: {
        readings: () => {
          calls++;
          throw new Error('listener bug');
        },
      },
    });
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toBe(5);
  });

  it('reports per-device and per-bus stats', async () => {
    const h = harness();
    const s = startScheduler({
      devices: [
        h.device('a', 'line', { intervalMs: 100, pollMs: 20 }),
        h.device('b', 'line', { intervalMs: 100, pollMs: 20 }),
        h.device('c', 'other', { intervalMs: 100, pollMs: 20 }),
      ],
      listener: h.listener,
    });
    h.driver('c').behaviour = 'fail';
    await vi.advanceTimersByTimeAsync(1000);
    const stats = s.stats();
    expect(stats.elapsedMs).toBe(1000);
    expect(stats.startedAt).toBe(new Date(0).toISOString());
    const line = stats.buses.find((b) => b.bus === 'line')!;
    expect(line.polls).toBe(20);
    expect(line.devices).toBe(2);
    // 20 polls × 20 ms + 2 connects × 1 ms in 1000 ms.
    expect(line.busyMs).toBe(402);
    expect(line.utilisation).toBeCloseTo(0.402, 3);
    const other = stats.buses.find((b) => b.bus === 'other')!;
    expect(other.pollErrors).toBe(3);
    expect(stats.pollErrors).toBe(3);
    expect(stats.polls).toBe(20);
    const a = stats.devices.find((d) => d.id === 'a')!;
    expect(a).toMatchObject({ state: 'online', consecutiveFailures: 0, polls: 10, bus: 'line' });
    expect(a.lastPollAt).toBe(new Date(920).toISOString());
    expect(stats.devices.find((d) => d.id === 'c')).toMatchObject({
      state: 'demoted',
      consecutiveFailures: 3,
    });
  });
});
