/**
 * Simulated Modbus devices: a register bank, a Modbus TCP server, a Modbus RTU server on a pty (or
 * any byte link), and the in-memory face for MemoryModbusClient.
 */
export * from './encode.js';
export { FaultingRegisterSource } from './memory-source.js';
export { exceptionPdu, handleRequestPdu, packBits, SUPPORTED_FUNCTIONS, unpackBits } from './pdu.js';
export {
  answersUnit,
  type BankWrite,
  modbusException,
  RegisterBank,
  type RegisterBankOptions,
  UnitRouter,
  type UnitSelector,
} from './register-bank.js';
export {
  crc16Modbus,
  hasValidCrc,
  RtuRequestParser,
  requestLength,
  rtuFrame,
  withCrc,
} from './rtu-framing.js';
export { ModbusRtuServer, type ModbusRtuServerOptions, silentIntervalMs } from './rtu-server.js';
export { ModbusTcpServer, type ModbusTcpServerOptions } from './tcp-server.js';
