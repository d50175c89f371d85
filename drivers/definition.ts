/**
 * What the registry knows about each driver: its id, config schema, channels, how to create it
 * and, for serial protocols, how `metrogate scan` recognises it. One `index.ts` per driver folder
 * exports one `DriverDefinition`.
 */
import { z } from 'zod';
import type { ChannelSpec, DeviceIdentity, Driver, DriverDeps } from './contract.js';
import type { DecodeResult } from './decode-result.js';
import type { FrameChannel } from './transport/frame-channel.js';
import type { Framer } from './transport/framers.js';
import type { ModbusEndpoint } from './transport/modbus-client.js';
import { PARITIES, type SerialSettings } from './transport/serial-settings.js';

export type InstrumentKind = 'scale' | 'dispenser' | 'taximeter' | 'generic';
export type LineSettings = Pick<SerialSettings, 'baudRate' | 'dataBits' | 'parity' | 'stopBits'>;

/** Settings every device has, whatever its transport. */
export const deviceBaseSchema = z.object({
  /** Device id used in readings; defaults to `<driver>@<port or host>`. */
  id: z.string().min(1).optional(),
  /** How long one transaction may take before the device counts as silent. */
  timeoutMs: z.number().int().positive().max(60_000).default(1000),
});

/** Serial transport settings shared by every serial driver (defaults come from the driver). */
export const serialDeviceSchema = deviceBaseSchema.extend({
  port: z.string().min(1, 'port is required (e.g. /dev/ttyUSB0)'),
  baudRate: z.number().int().min(50).max(4_000_000).optional(),
  dataBits: z.union([z.literal(7), z.literal(8)]).optional(),
  parity: z.enum(PARITIES).optional(),
  stopBits: z.union([z.literal(1), z.literal(2)]).optional(),
  rs485Rts: z.boolean().optional(),
});
export type SerialDeviceConfig = z.infer<typeof serialDeviceSchema>;

/** Resolves a serial device's line settings: the config where given, else the driver's default. */
export function lineSettingsOf(config: SerialDeviceConfig, defaults: LineSettings): SerialSettings {
  return {
    path: config.port,
    baudRate: config.baudRate ?? defaults.baudRate,
    dataBits: config.dataBits ?? defaults.dataBits,
    parity: config.parity ?? defaults.parity,
    stopBits: config.stopBits ?? defaults.stopBits,
    ...(config.rs485Rts !== undefined ? { rs485Rts: config.rs485Rts } : {}),
  };
}

/**
 * Modbus transport settings: `host` (+ `tcpPort`) for Modbus TCP, or `port` (+ line settings) for
 * Modbus RTU. Check the either/or with `checkModbusEndpoint` after extending.
 */
export const modbusDeviceSchema = deviceBaseSchema.extend({
  host: z.string().min(1).optional(),
  tcpPort: z.number().int().min(1).max(65535).default(502),
  port: z.string().min(1).optional(),
  baudRate: z.number().int().min(50).max(4_000_000).default(19200),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  parity: z.enum(PARITIES).default('even'),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  unitId: z.number().int().min(0).max(255).default(1),
  /** Extra silence between two requests on the bus (slow RS-485 devices). */
  interFrameDelayMs: z.number().int().min(0).max(10_000).default(0),
});
export type ModbusDeviceConfig = z.infer<typeof modbusDeviceSchema>;

/** Refinement: exactly one of host (TCP) and port (RTU). */
export function checkModbusEndpoint(
  config: { host?: string | undefined; port?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if ((config.host === undefined) === (config.port === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['host'],
      message: 'give either host (Modbus TCP) or port (Modbus RTU serial path), not both and not neither',
    });
  }
}

export function modbusEndpointOf(config: ModbusDeviceConfig): ModbusEndpoint {
  if (config.host !== undefined) return { kind: 'tcp', host: config.host, port: config.tcpPort };
  return {
    kind: 'rtu',
    serial: {
      path: config.port ?? '',
      baudRate: config.baudRate,
      dataBits: config.dataBits,
      parity: config.parity,
      stopBits: config.stopBits,
    },
  };
}

/** How `metrogate scan` recognises a serial protocol on an unknown port. */
export interface ScanSupport {
  /** A fresh framer for this protocol's frames. */
  createFramer(): Framer;
  /** True when a frame the device sent unasked (continuous output) is one of this protocol's. */
  isOwnFrame(frame: Buffer): boolean;
  /**
   * Sends this protocol's identification commands and returns what the device said about itself,
   * or undefined when nothing came back that this protocol would send. Must honour the deadline.
   */
  probe(
    channel: FrameChannel,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<DeviceIdentity | undefined>;
}

export interface DriverDefinition<Config = unknown> {
  id: string;
  title: string;
  kind: InstrumentKind;
  transport: 'serial' | 'modbus';
  /** zod schema of one device's configuration (transport settings included). */
  configSchema: z.ZodType<Config>;
  channels: readonly ChannelSpec[];
  /** Factory line settings of the device family (serial drivers). */
  defaultLineSettings?: LineSettings;
  /**
   * Several devices share one serial port (an addressed RS-485 bus such as DART): given a
   * SharedLinkPool, the transport factory hands them one link, on which the driver keeps its
   * per-port request queue.
   */
  multiDrop?: boolean;
  /** Simulator protocol that speaks to this driver (`metrogate sim scale --protocol …`). */
  simulatorProtocol?: string;
  scan?: ScanSupport;
  /**
   * Decodes one frame as the device sends it (for Modbus drivers: the register bytes of one read,
   * with the register map in `options`). Never throws. The golden-frame runner and the fuzz tests
   * call it; the driver itself uses the same functions of its protocol.ts.
   */
  decodeFrame(frame: Buffer, options?: unknown): DecodeResult<unknown>;
  /** Modbus drivers: the bus a configured device sits on. */
  modbusEndpoint?(config: Config): ModbusEndpoint;
  create(config: Config, deps: DriverDeps): Driver;
}

/** Default device id: driver and where it is attached. */
export function defaultDeviceId(driverId: string, where: string): string {
  return `${driverId}@${where}`;
}

/** Helper so each driver's index.ts keeps its config type while the registry stores them together. */
export function defineDriver<Config>(definition: DriverDefinition<Config>): DriverDefinition<Config> {
  return definition;
}

export type { DeviceIdentity };
