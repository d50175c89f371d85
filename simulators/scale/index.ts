/**
 * The scale simulator: one ScaleModel spoken through any scale protocol, on an in-memory link, a
 * socat pseudo-terminal, a Modbus TCP server or a Modbus RTU server on a pty.
 */

import type { Logger } from '../../drivers/logger.js';
import { silentLogger } from '../../drivers/logger.js';
import { createMemoryLinkPair, type MemoryLink } from '../../drivers/transport/link.js';
import { FaultInjector } from '../faults.js';
import type { UartSettings } from '../line-emulation.js';
import { type DeviceSpeaker, SerialDeviceHost, type SpeakerIo } from '../serial-host.js';
import { ScaleModel, type ScaleModelParams } from './model.js';
import { adProtocol } from './protocols/ad.js';
import { MODBUS_SCALE_LINE, type ModbusScaleEndpoint, startModbusScale } from './protocols/modbus.js';
import { mtsicsProtocol } from './protocols/mtsics.js';
import { sbiProtocol } from './protocols/sbi.js';
import { xk3190Protocol } from './protocols/xk3190.js';

/** A serial scale protocol as the simulator speaks it. */
export interface SerialScaleProtocol {
  id: string;
  title: string;
  /** The device's factory line settings. */
  defaultLine: UartSettings;
  /** Protocol options the speaker understands (documented in simulators/README.md). */
  createSpeaker(model: ScaleModel, io: SpeakerIo, options: Record<string, unknown>): DeviceSpeaker;
}

export const SERIAL_SCALE_PROTOCOLS = {
  'mt-sics': mtsicsProtocol,
  ad: adProtocol,
  sbi: sbiProtocol,
  xk3190: xk3190Protocol,
} satisfies Record<string, SerialScaleProtocol>;

export type SerialScaleProtocolId = keyof typeof SERIAL_SCALE_PROTOCOLS;
export type ScaleProtocolId = SerialScaleProtocolId | 'modbus';
export const SCALE_PROTOCOL_IDS: readonly ScaleProtocolId[] = [
  ...Object.keys(SERIAL_SCALE_PROTOCOLS),
  'modbus',
] as ScaleProtocolId[];

export type ScaleSimTransport = 'memory' | 'pty' | 'tcp' | 'rtu-pty';

export interface ScaleSimulatorOptions {
  protocol: ScaleProtocolId;
  transport: ScaleSimTransport;
  params?: Partial<ScaleModelParams>;
  /** Line settings of the simulated device (serial and RTU); defaults to the protocol's. */
  line?: UartSettings;
  protocolOptions?: Record<string, unknown>;
  emulateWireTime?: boolean;
  responseDelayMs?: number;
  /** TCP: port to listen on (0 = any free port) and host. */
  tcpPort?: number;
  host?: string;
  /** pty: fixed link paths instead of temporary ones. */
  gatewayPath?: string;
  devicePath?: string;
  logger?: Logger;
}

export type ScaleSimEndpoint =
  | { kind: 'serial'; path: string }
  | { kind: 'memory'; link: MemoryLink }
  | ModbusScaleEndpoint;

export interface ScaleSimulator {
  readonly protocol: ScaleProtocolId;
  readonly model: ScaleModel;
  readonly faults: FaultInjector;
  readonly line: UartSettings;
  /** Where the gateway connects. */
  readonly endpoint: ScaleSimEndpoint;
  /** Unplugs the device for `durationMs`, then plugs it back. */
  disconnect(durationMs: number): Promise<void>;
  close(): Promise<void>;
}

export function isScaleProtocol(id: string): id is ScaleProtocolId {
  return (SCALE_PROTOCOL_IDS as readonly string[]).includes(id);
}

export async function startScaleSimulator(options: ScaleSimulatorOptions): Promise<ScaleSimulator> {
  const model = new ScaleModel(options.params);
  const faults = new FaultInjector();
  const logger = options.logger ?? silentLogger();
  if (options.protocol === 'modbus') {
    const line = options.line ?? MODBUS_SCALE_LINE;
    const server = await startModbusScale(model, faults, { ...options, line, logger });
    return {
      protocol: 'modbus',
      model,
      faults,
      line,
      endpoint: server.endpoint,
      disconnect: (ms) => server.disconnect(ms),
      close: () => server.close(),
    };
  }
  const protocol = SERIAL_SCALE_PROTOCOLS[options.protocol];
  const line = options.line ?? protocol.defaultLine;
  const host = new SerialDeviceHost({
    line,
    faults,
    logger,
    ...(options.emulateWireTime !== undefined ? { emulateWireTime: options.emulateWireTime } : {}),
    ...(options.responseDelayMs !== undefined ? { responseDelayMs: options.responseDelayMs } : {}),
  });
  host.setSpeaker(protocol.createSpeaker(model, host.io, options.protocolOptions ?? {}));
  let endpoint: ScaleSimEndpoint;
  if (options.transport === 'memory') {
    const [gatewayEnd, deviceEnd] = createMemoryLinkPair(`sim-${options.protocol}`);
    await deviceEnd.open();
    host.serveLink(deviceEnd);
    endpoint = { kind: 'memory', link: gatewayEnd };
  } else if (options.transport === 'pty') {
    const pty = await host.servePty({
      ...(options.gatewayPath ? { gatewayPath: options.gatewayPath } : {}),
      ...(options.devicePath ? { devicePath: options.devicePath } : {}),
    });
    endpoint = { kind: 'serial', path: pty.gatewayPath };
  } else {
    throw new Error(`transport ${options.transport} is only for the modbus protocol`);
  }
  return {
    protocol: options.protocol,
    model,
    faults,
    line,
    endpoint,
    disconnect: (ms) => host.disconnect(ms),
    close: () => host.close(),
  };
}
