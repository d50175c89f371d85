/**
 * The seams of the gateway service (ARCHITECTURE.md "The data path"): the scheduler polls devices
 * and hands their readings on; the outbox (SQLite) takes points before they count as taken; the
 * sinks (InfluxDB, MQTT) drain it. Each part is built against these types, so that `metrogate start`
 * only wires them together.
 */
import type { Driver, PollResult } from '../../drivers/contract.js';
import type { MetrogateError } from '../../drivers/errors.js';

/** A device as the scheduler runs it. */
export interface ScheduledDevice {
  id: string;
  driver: Driver;
  /**
   * The physical bus: devices with the same key share one line or connection and are polled one
   * after the other (an RS-485 port path, `tcp:host:port` for a Modbus TCP connection).
   */
  bus: string;
  intervalMs: number;
  /** Per-poll deadline; a poll still running at the next tick is skipped, not stacked. */
  timeoutMs: number;
  /** For tags and topics: instrument kind, region, register id. */
  meta: { kind: string; region?: string; instrumentId?: string };
}

export type DeviceState = 'online' | 'offline' | 'demoted';

export interface SchedulerListener {
  readings?(device: ScheduledDevice, result: PollResult): void;
  /** Called on every change: first success (online), first failure after success (offline), demotion. */
  deviceState?(device: ScheduledDevice, state: DeviceState, error?: MetrogateError): void;
  pollError?(device: ScheduledDevice, error: MetrogateError): void;
}

export interface BusStats {
  bus: string;
  polls: number;
  pollErrors: number;
  /** Time the bus spent in polls since start, ms (utilisation = busyMs / elapsed). */
  busyMs: number;
}

export interface SchedulerStats {
  polls: number;
  pollErrors: number;
  /** Ticks skipped because the previous poll of the device was still running. */
  skipped: number;
  devices: { id: string; state: DeviceState; consecutiveFailures: number; lastPollAt?: string }[];
  buses: BusStats[];
}

/** A field value with its InfluxDB type made explicit (types never change once written). */
export type FieldValue = { float: number } | { integer: number } | { boolean: boolean } | { string: string };

/** One point for InfluxDB, as the outbox keeps it. */
export interface OutboxPoint {
  measurement: 'reading' | 'verification' | 'coverage' | 'gateway';
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  /** Nanoseconds since the epoch, as decimal text (exceeds 2^53). */
  timestamp: string;
}

export interface OutboxEntry {
  id: number;
  point: OutboxPoint;
}

/** An outbox row as a sink reads it ahead: the InfluxDB line when one was stored, else the point. */
export type OutboxRow =
  | { id: number; line: string; point?: undefined }
  | { id: number; line?: undefined; point: OutboxPoint };

/**
 * Durable queue of points in the gateway's SQLite database. `append` commits before it returns:
 * a point returned from `append` survives a crash. Oldest first; a size cap drops the oldest and
 * counts them.
 */
export interface Outbox {
  append(points: readonly OutboxPoint[]): void;
  /** The oldest `limit` entries, in order. */
  peek(limit: number): OutboxEntry[];
  /**
   * The oldest `limit` rows with an id above `id` (0: from the oldest), in order, each with its
   * line protocol when the outbox stored it at append time and its point otherwise: what follows a
   * batch still in flight, so that a sink can prepare it meanwhile. Optional: without it a sink
   * reads one batch at a time with `peek`.
   */
  peekAfter?(id: number, limit: number): OutboxRow[];
  /** Removes every entry with id ≤ `id` (they were delivered, or dropped as undeliverable). */
  ackThrough(id: number): void;
  depth(): number;
  /** Points dropped because the cap was reached, since the outbox was created (persisted). */
  dropped(): number;
}

/** A consumer of the outbox or the live bus (InfluxDB writer, MQTT publisher). */
export interface Sink {
  readonly name: string;
  start(): Promise<void>;
  /** Stops; with `flush`, first delivers what it can within `deadlineMs`. What is left stays in the outbox. */
  stop(options?: { flush?: boolean; deadlineMs?: number }): Promise<void>;
  stats(): Record<string, number | string | boolean>;
}
