/**
 * Executes one Modbus request PDU (function code + data) against a register source and builds the
 * reply PDU, as Modbus Application Protocol V1.1b3 §6 describes for FC 1, 2, 3, 4, 5, 6, 15, 16:
 * function code check (exception 1), quantity check (3), address check (2), execution (4 on any
 * other failure). Shared by the TCP and RTU servers; pure apart from the source it calls.
 */
import type { ModbusRegisterSource } from '../../drivers/transport/modbus-client.js';
import {
  isModbusExceptionSignal,
  READ_BITS_MAX,
  READ_REGISTERS_MAX,
  WRITE_BITS_MAX,
  WRITE_REGISTERS_MAX,
} from './register-bank.js';

export const SUPPORTED_FUNCTIONS = [1, 2, 3, 4, 5, 6, 15, 16] as const;

export function exceptionPdu(functionCode: number, exception: number): Buffer {
  return Buffer.from([(functionCode | 0x80) & 0xff, exception & 0xff]);
}

/** Packs bits LSB first into bytes, as FC 1/2 replies and FC 15 requests carry them. */
export function packBits(bits: readonly boolean[]): Buffer {
  const out = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((bit, i) => {
    if (bit) out[i >> 3] = out[i >> 3]! | (1 << (i & 7));
  });
  return out;
}

export function unpackBits(bytes: Uint8Array, count: number): boolean[] {
  const bits: boolean[] = [];
  for (let i = 0; i < count; i++) bits.push((((bytes[i >> 3] ?? 0) >> (i & 7)) & 1) === 1);
  return bits;
}

class PduException {
  constructor(readonly code: number) {}
}

function requireQuantity(quantity: number, max: number): void {
  if (quantity < 1 || quantity > max) throw new PduException(3);
}

function requireAddressRange(address: number, quantity: number): void {
  if (address + quantity > 0x10000) throw new PduException(2);
}

/**
 * Returns the reply PDU for `pdu` addressed to `unitId`. For a broadcast (unit 0) the caller
 * executes writes and discards the reply.
 */
export function handleRequestPdu(source: ModbusRegisterSource, unitId: number, pdu: Uint8Array): Buffer {
  const request = Buffer.from(pdu);
  const functionCode = request[0] ?? 0;
  try {
    if (!(SUPPORTED_FUNCTIONS as readonly number[]).includes(functionCode)) throw new PduException(1);
    const need = (bytes: number) => {
      if (request.length < bytes) throw new PduException(3);
    };
    switch (functionCode) {
      case 1:
      case 2: {
        need(5);
        const address = request.readUInt16BE(1);
        const quantity = request.readUInt16BE(3);
        requireQuantity(quantity, READ_BITS_MAX);
        requireAddressRange(address, quantity);
        const bits = source.readBits(unitId, functionCode === 1 ? 'coil' : 'discrete', address, quantity);
        const packed = packBits(bits.slice(0, quantity));
        return Buffer.concat([Buffer.from([functionCode, packed.length]), packed]);
      }
      case 3:
      case 4: {
        need(5);
        const address = request.readUInt16BE(1);
        const quantity = request.readUInt16BE(3);
        requireQuantity(quantity, READ_REGISTERS_MAX);
        requireAddressRange(address, quantity);
        const words = source.readWords(unitId, functionCode === 3 ? 'holding' : 'input', address, quantity);
        const reply = Buffer.alloc(2 + quantity * 2);
        reply[0] = functionCode;
        reply[1] = quantity * 2;
        for (let i = 0; i < quantity; i++) reply.writeUInt16BE((words[i] ?? 0) & 0xffff, 2 + i * 2);
        return reply;
      }
      case 5: {
        need(5);
        const address = request.readUInt16BE(1);
        const value = request.readUInt16BE(3);
        if (value !== 0xff00 && value !== 0x0000) throw new PduException(3);
        source.writeBit(unitId, address, value === 0xff00);
        return request.subarray(0, 5);
      }
      case 6: {
        need(5);
        const address = request.readUInt16BE(1);
        source.writeWords(unitId, address, [request.readUInt16BE(3)]);
        return request.subarray(0, 5);
      }
      case 15: {
        need(6);
        const address = request.readUInt16BE(1);
        const quantity = request.readUInt16BE(3);
        const byteCount = request[5]!;
        requireQuantity(quantity, WRITE_BITS_MAX);
        if (byteCount !== Math.ceil(quantity / 8) || request.length < 6 + byteCount)
          throw new PduException(3);
        requireAddressRange(address, quantity);
        const bits = unpackBits(request.subarray(6, 6 + byteCount), quantity);
        // Coils are written one by one: a source exposes single-bit writes, as FC 5 does.
        bits.forEach((bit, i) => {
          source.writeBit(unitId, address + i, bit);
        });
        return request.subarray(0, 5);
      }
      case 16: {
        need(6);
        const address = request.readUInt16BE(1);
        const quantity = request.readUInt16BE(3);
        const byteCount = request[5]!;
        requireQuantity(quantity, WRITE_REGISTERS_MAX);
        if (byteCount !== quantity * 2 || request.length < 6 + byteCount) throw new PduException(3);
        requireAddressRange(address, quantity);
        const values: number[] = [];
        for (let i = 0; i < quantity; i++) values.push(request.readUInt16BE(6 + i * 2));
        source.writeWords(unitId, address, values);
        return request.subarray(0, 5);
      }
    }
    throw new PduException(1);
  } catch (error) {
    if (error instanceof PduException) return exceptionPdu(functionCode, error.code);
    if (isModbusExceptionSignal(error)) return exceptionPdu(functionCode, error.modbusException);
    // Anything else the device model throws is a device failure (exception 4), as a real slave says.
    return exceptionPdu(functionCode, 4);
  }
}

/** True for function codes that change state (executed for broadcasts). */
export function isWriteFunction(functionCode: number): boolean {
  return functionCode === 5 || functionCode === 6 || functionCode === 15 || functionCode === 16;
}
