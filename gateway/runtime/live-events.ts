/**
 * The live side of the data path for the HTTP API (ARCHITECTURE.md: "live bus ---> MQTT, SSE to the
 * UI"): readings, device states and poll errors as they happen, handed to whoever listens (each SSE
 * client), plus the last reading of every channel and a short history per device for the fleet page's
 * sparklines. Fed by the service's scheduler listener; nothing here is durable (the outbox is).
 */
import type { PollResult, Reading } from '../../drivers/contract.js';
import type { MetrogateError } from '../../drivers/errors.js';
import type { DeviceState, ScheduledDevice } from './contracts.js';

/** A reading as the API and MQTT show it (contracts.md §3). */
export interface LiveReading {
  device: string;
  channel: string;
  value: string;
  unit: string;
  quality: string;
  ts: string;
}

export type LiveEvent =
  | { type: 'reading'; reading: LiveReading }
  | {
      type: 'device-state';
      device: string;
      state: DeviceState;
      ts: string;
      error?: { code: string; message: string };
    }
  | { type: 'poll-error'; device: string; ts: string; error: { code: string; message: string } };

export type LiveListener = (event: LiveEvent) => void;

export interface LiveEventsOptions {
  /** Readings kept per device and channel for the history (default 120). */
  historyLength?: number;
  now?: () => Date;
}

/**
 * The history of one channel as a ring: times as numbers, value strings as the driver made them (a
 * repeated value keeps the string already held), and unit and quality as one byte each, an index
 * into the few pairs the channel has shown. With 1000 devices × 4 channels × 120 readings this is
 * what the gateway holds most of, so no object per reading is kept: a LiveReading is built only
 * when the API asks.
 */
class ChannelHistory {
  private readonly times: Float64Array;
  private readonly values: string[];
  /** Per slot, an index into `labels`: a byte when the ring is shorter than 256. */
  private readonly labelOf: Uint8Array | Uint32Array;
  /** Most distinct pairs `labelOf` can index; always more than `capacity`. */
  private readonly maxLabels: number;
  /** The distinct [unit, quality] pairs seen, at most maxLabels (compacted when full). */
  private labels: (readonly [unit: string, quality: string])[] = [];
  private next = 0;
  private size = 0;

  constructor(
    private readonly device: string,
    private readonly channel: string,
    private readonly capacity: number,
  ) {
    this.times = new Float64Array(capacity);
    this.values = new Array<string>(capacity);
    this.labelOf = capacity < 256 ? new Uint8Array(capacity) : new Uint32Array(capacity);
    this.maxLabels = capacity < 256 ? 256 : 2 ** 32;
  }

  push(reading: Reading): void {
    const last = (this.next + this.capacity - 1) % this.capacity;
    const same = this.size > 0 && this.values[last] === reading.value;
    this.times[this.next] = reading.ts.getTime();
    this.values[this.next] = same ? this.values[last]! : reading.value;
    this.labelOf[this.next] = this.labelFor(reading.unit, reading.quality);
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.capacity, this.size + 1);
  }

  private labelFor(unit: string, quality: string): number {
    const known = this.labels.findIndex(([u, q]) => u === unit && q === quality);
    if (known >= 0) return known;
    if (this.labels.length === this.maxLabels) this.compactLabels();
    this.labels.push([unit, quality]);
    return this.labels.length - 1;
  }

  /** Keeps only the pairs slots still use (at most `capacity`, so room is left afterwards). */
  private compactLabels(): void {
    const used = new Map<number, number>();
    const kept: (readonly [string, string])[] = [];
    const first = (this.next + this.capacity - this.size) % this.capacity;
    for (let i = 0; i < this.size; i++) {
      const slot = (first + i) % this.capacity;
      const old = this.labelOf[slot]!;
      let index = used.get(old);
      if (index === undefined) {
        index = kept.length;
        used.set(old, index);
        kept.push(this.labels[old]!);
      }
      this.labelOf[slot] = index;
    }
    this.labels = kept;
  }

  latest(): LiveReading | undefined {
    return this.size === 0 ? undefined : this.at((this.next + this.capacity - 1) % this.capacity);
  }

  /** Oldest first. */
  list(): LiveReading[] {
    const first = (this.next + this.capacity - this.size) % this.capacity;
    return Array.from({ length: this.size }, (_, i) => this.at((first + i) % this.capacity));
  }

  private at(slot: number): LiveReading {
    return {
      device: this.device,
      channel: this.channel,
      value: this.values[slot]!,
      unit: this.labels[this.labelOf[slot]!]![0],
      quality: this.labels[this.labelOf[slot]!]![1],
      ts: new Date(this.times[slot]!).toISOString(),
    };
  }
}

export class LiveEvents {
  private readonly listeners = new Set<LiveListener>();
  private readonly history = new Map<string, Map<string, ChannelHistory>>();
  private readonly historyLength: number;
  private readonly now: () => Date;

  constructor(options: LiveEventsOptions = {}) {
    this.historyLength = Math.max(1, options.historyLength ?? 120);
    this.now = options.now ?? (() => new Date());
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  readings(device: ScheduledDevice, result: PollResult): void {
    for (const reading of result.readings) {
      this.remember(device.id, reading);
      // Built only for someone listening: at 10 000 readings/s nobody may be.
      if (this.listeners.size > 0) {
        this.emit({
          type: 'reading',
          reading: {
            device: reading.deviceId,
            channel: reading.channel,
            value: reading.value,
            unit: reading.unit,
            quality: reading.quality,
            ts: reading.ts.toISOString(),
          },
        });
      }
    }
  }

  deviceState(device: ScheduledDevice, state: DeviceState, error?: MetrogateError): void {
    this.emit({
      type: 'device-state',
      device: device.id,
      state,
      ts: this.now().toISOString(),
      ...(error ? { error: { code: error.code, message: error.message } } : {}),
    });
  }

  pollError(device: ScheduledDevice, error: MetrogateError): void {
    this.emit({
      type: 'poll-error',
      device: device.id,
      ts: this.now().toISOString(),
      error: { code: error.code, message: error.message },
    });
  }

  /** The last reading of each channel of a device (empty before its first poll). */
  latestOf(deviceId: string): LiveReading[] {
    return [...(this.history.get(deviceId)?.values() ?? [])].flatMap((channel) => channel.latest() ?? []);
  }

  /** The newest readings of a device, oldest first, per channel. */
  historyOf(deviceId: string): Record<string, LiveReading[]> {
    return Object.fromEntries(
      [...(this.history.get(deviceId) ?? new Map<string, ChannelHistory>()).entries()].map(([c, h]) => [
        c,
        h.list(),
      ]),
    );
  }

  private remember(deviceId: string, reading: Reading): void {
    let channels = this.history.get(deviceId);
    if (!channels) {
      channels = new Map();
      this.history.set(deviceId, channels);
    }
    let channel = channels.get(reading.channel);
    if (!channel) {
      channel = new ChannelHistory(reading.deviceId, reading.channel, this.historyLength);
      channels.set(reading.channel, channel);
    }
    channel.push(reading);
  }

  private emit(event: LiveEvent): void {
    for (const listener of this.listeners) {
      // One broken listener (a client that went away mid-write) must not stop the others or the poll.
      try {
        listener(event);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }
}
