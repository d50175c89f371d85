/**
 * The contract between a device driver and everything that uses it (the scheduler, the CLI, the
 * verification bench). A driver speaks one wire protocol of one device family through a transport
 * it is given; it never opens sockets of its own, never schedules itself and never logs to the console.
 */
import type { Logger } from './logger.js';
import type { ByteLink } from './transport/link.js';
import type { ModbusClient } from './transport/modbus-client.js';

export { ERROR_CODES, type ErrorCode, isMetrogateError, MetrogateError } from './errors.js';

/**
 * How far a reading can be trusted. Unstable, overload and underload describe the instrument's own
 * state and are readings, not errors: the verification bench needs to see them.
 */
export type Quality = 'good' | 'unstable' | 'overload' | 'underload' | 'comm-error' | 'stale';

export const QUALITIES: readonly Quality[] = [
  'good',
  'unstable',
  'overload',
  'underload',
  'comm-error',
  'stale',
];

/** What kind of value a channel carries; fixed per channel (InfluxDB field types never change). */
export type ChannelValueType = 'decimal' | 'integer' | 'text' | 'boolean' | 'timestamp';

export interface ChannelSpec {
  name: string;
  valueType: ChannelValueType;
  /** Unit when fixed by the protocol; scales report the unit the device prints. */
  unit?: string;
  description: string;
}

export interface Reading {
  deviceId: string;
  channel: string;
  /**
   * The value as text: decimal channels carry an exact decimal string with the device's own
   * resolution ("100.00", never 100 or 99.99999999), so that a tolerance check is exact.
   * An empty string when the device reports a state without a number (most scales print no
   * weight on overload or underload); the quality says which.
   */
  value: string;
  unit: string;
  quality: Quality;
  /** Time of the poll that produced the reading (not of the write to a sink). */
  ts: Date;
}

/** A failure that concerns one channel only; the other channels of the poll are still good. */
export interface ChannelError {
  channel: string;
  code: string;
  message: string;
}

export interface PollResult {
  readings: Reading[];
  errors: ChannelError[];
}

/** What a device says about itself; every field optional because protocols differ. */
export interface DeviceIdentity {
  manufacturer?: string;
  model?: string;
  serialNumber?: string;
  softwareVersion?: string;
  capacity?: string;
  unit?: string;
  [key: string]: string | undefined;
}

/**
 * Lifecycle, in this order: `init` once, `connect` (retried by the caller until it succeeds),
 * any number of `poll`s, `close` once. A driver instance is not reused after `close`.
 */
export interface Driver {
  /** The driver id of the registry (e.g. `scale-mtsics`). */
  readonly driverId: string;
  /** The device this instance talks to; becomes `Reading.deviceId`. */
  readonly deviceId: string;

  /**
   * Validates the configuration and prepares internal state. Does no I/O and opens nothing.
   * Throws `MG_ERR_CONFIG_INVALID` naming the field at fault.
   */
  init(): void;

  /**
   * Opens the transport and does whatever handshake the protocol needs (identity query, stopping a
   * stream left running). May fail; the caller retries with back-off. Honours `signal`.
   */
  connect(signal: AbortSignal): Promise<DeviceIdentity>;

  /**
   * One poll of every channel. Rejects only when the whole device failed (no answer, transport
   * closed, aborted) with a `MetrogateError`; a bad channel becomes an entry of `errors` while the
   * other channels are still returned.
   */
  poll(signal: AbortSignal): Promise<PollResult>;

  /** Releases the transport. Idempotent. After it resolves the driver emits nothing more. */
  close(): Promise<void>;
}

/** Operations every weighing driver offers, used by `metrogate verify` and the bench. */
export interface ScaleDriver extends Driver {
  readonly kind: 'scale';
  /** Waits for a stable weight (or rejects with MG_ERR_TIMEOUT) and returns it. */
  readStable(signal: AbortSignal, timeoutMs: number): Promise<Reading>;
  zero(signal: AbortSignal): Promise<void>;
  tare(signal: AbortSignal): Promise<void>;
  clearTare(signal: AbortSignal): Promise<void>;
}

export function isScaleDriver(driver: Driver): driver is ScaleDriver {
  return (driver as Partial<ScaleDriver>).kind === 'scale';
}

/** What a driver is given by whoever creates it: its transport, a logger and a clock. */
export interface DriverDeps {
  /** Byte stream for serial (or TCP serial-server) protocols. */
  link?: ByteLink;
  /** Modbus client for the bus the device sits on; shared with other devices of the same bus. */
  modbus?: ModbusClient;
  logger: Logger;
  /** Source of timestamps; tests pass a fixed clock. */
  now: () => Date;
}

/** The current (or last) delivery of a dispenser, as its own display shows it. */
export interface DispenserTransaction {
  /** Pump state in words: reset, authorized, filling, completed, max-reached, switched-off, suspended… */
  status: string;
  /** Selected logical nozzle, 0 = none; and whether it is out of its holster. */
  nozzle: number;
  nozzleOut: boolean;
  /** Decimal text with the pump's own decimal positions. */
  volume: string;
  amount: string;
  unitPrice: string;
}

export interface DispenserTotals {
  nozzle: number;
  volumeTotal: string;
  amountTotal: string;
}

/** What a verification bench needs from a fuel dispenser, beyond polling. */
export interface DispenserDriver extends Driver {
  readonly kind: 'dispenser';
  reset(signal: AbortSignal): Promise<void>;
  authorize(signal: AbortSignal): Promise<void>;
  stop(signal: AbortSignal): Promise<void>;
  readTransaction(signal: AbortSignal): Promise<DispenserTransaction>;
  /** Non-resettable totalizers of every nozzle (or one). */
  readTotals(signal: AbortSignal, nozzle?: number): Promise<DispenserTotals[]>;
}

export function isDispenserDriver(driver: Driver): driver is DispenserDriver {
  return (driver as Partial<DispenserDriver>).kind === 'dispenser';
}

/** A completed trip as the taximeter records it (JT/T 905 0x00E8). */
export interface TaximeterTrip {
  tripNumber: string;
  /** ISO 8601 local times as the meter gives them (no time zone). */
  boardingTime: string;
  alightingTime: string;
  /** Metres. */
  distance: string;
  emptyDistance: string;
  /** Seconds. */
  waitingTime: string;
  fare: string;
  surcharge: string;
  paymentType: string;
}

export interface TaximeterDriver extends Driver {
  readonly kind: 'taximeter';
  /** The last completed trip, or undefined when the meter has none. */
  lastTrip(signal: AbortSignal): Promise<TaximeterTrip | undefined>;
}

export function isTaximeterDriver(driver: Driver): driver is TaximeterDriver {
  return (driver as Partial<TaximeterDriver>).kind === 'taximeter';
}
