// STUB: to be replaced by the Modbus scale server.

import type { Logger } from '../../../drivers/logger.js';
import type { ModbusRegisterSource } from '../../../drivers/transport/modbus-client.js';
import type { FaultInjector } from '../../faults.js';
import type { UartSettings } from '../../line-emulation.js';
import type { ScaleModel } from '../model.js';

export const MODBUS_SCALE_LINE: UartSettings = { baudRate: 19200, dataBits: 8, parity: 'even', stopBits: 1 };

export type ModbusScaleEndpoint =
  | { kind: 'modbus-tcp'; host: string; port: number }
  | { kind: 'modbus-rtu'; path: string }
  | { kind: 'modbus-memory'; source: ModbusRegisterSource };

export interface ModbusScaleServer {
  endpoint: ModbusScaleEndpoint;
  disconnect(durationMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startModbusScale(
  _model: ScaleModel,
  _faults: FaultInjector,
  _options: {
    transport: string;
    line: UartSettings;
    logger: Logger;
    protocolOptions?: Record<string, unknown>;
  },
): Promise<ModbusScaleServer> {
  throw new Error('not implemented');
}
