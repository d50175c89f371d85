/**
 * The dispenser simulator: one or more DispenserModels (one per pump address on a DART bus) spoken
 * through DART on a pty or in memory, or one through Modbus TCP / RTU.
 */
import type { Logger } from '../../drivers/logger.js';
import { silentLogger } from '../../drivers/logger.js';
import type { MemoryLink } from '../../drivers/transport/link.js';
import type { ModbusRegisterSource } from '../../drivers/transport/modbus-client.js';
import type { FaultInjector } from '../faults.js';
import type { UartSettings } from '../line-emulation.js';
import { startDartBus } from './dart.js';
import { startModbusDispenser } from './modbus.js';
import { DispenserModel, type DispenserModelParams } from './model.js';

export const DISPENSER_PROTOCOL_IDS = ['dart', 'modbus'] as const;
export type DispenserProtocolId = (typeof DISPENSER_PROTOCOL_IDS)[number];
export type DispenserSimTransport = 'memory' | 'pty' | 'tcp' | 'rtu-pty';

export interface DispenserPumpOptions {
  /** DART address 0x50–0x6F, or Modbus unit id. */
  address: number;
  params?: Partial<DispenserModelParams>;
}

export interface DispenserSimulatorOptions {
  protocol: DispenserProtocolId;
  transport: DispenserSimTransport;
  /** Pumps on the bus (DART: several; Modbus: the first is served). Default one pump at 0x50 / unit 1. */
  pumps?: DispenserPumpOptions[];
  line?: UartSettings;
  protocolOptions?: Record<string, unknown>;
  emulateWireTime?: boolean;
  tcpPort?: number;
  host?: string;
  gatewayPath?: string;
  logger?: Logger;
}

export type DispenserSimEndpoint =
  | { kind: 'serial'; path: string }
  | { kind: 'memory'; link: MemoryLink }
  | { kind: 'modbus-tcp'; host: string; port: number }
  | { kind: 'modbus-rtu'; path: string }
  | { kind: 'modbus-memory'; source: ModbusRegisterSource };

export interface DispenserSimulator {
  readonly protocol: DispenserProtocolId;
  /** Models by address. */
  readonly pumps: ReadonlyMap<number, DispenserModel>;
  readonly faults: FaultInjector;
  readonly line: UartSettings;
  readonly endpoint: DispenserSimEndpoint;
  disconnect(durationMs: number): Promise<void>;
  close(): Promise<void>;
}

/** What each protocol's host returns; index.ts adds the common fields. */
export interface DispenserServer {
  faults: FaultInjector;
  line: UartSettings;
  endpoint: DispenserSimEndpoint;
  disconnect(durationMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startDispenserSimulator(
  options: DispenserSimulatorOptions,
): Promise<DispenserSimulator> {
  const logger = options.logger ?? silentLogger();
  const pumpOptions = options.pumps ?? [{ address: options.protocol === 'dart' ? 0x50 : 1 }];
  const pumps = new Map<number, DispenserModel>();
  for (const pump of pumpOptions) pumps.set(pump.address, new DispenserModel(pump.params));
  const server =
    options.protocol === 'dart'
      ? await startDartBus(pumps, { ...options, logger })
      : await startModbusDispenser(pumps, { ...options, logger });
  return { protocol: options.protocol, pumps, ...server };
}
