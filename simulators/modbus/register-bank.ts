/**
 * The data model of a simulated Modbus device: four tables, with the exceptions a real device
 * answers (1 for a table it does not have, 2 for an address outside it, 3 for a bad quantity), and
 * hooks so a device model can react to writes (a command register) or fail on demand.
 *
 * Written from the Modbus Application Protocol Specification V1.1b3 (§6, §7), not from any client.
 */
import type { ModbusRegisterSource } from '../../drivers/transport/modbus-client.js';

export type BankTable = 'holding' | 'input' | 'coil' | 'discrete';

/** What a source throws so that the server answers with a Modbus exception. */
export interface ModbusExceptionSignal {
  modbusException: number;
}

export function modbusException(code: number): ModbusExceptionSignal {
  return { modbusException: code };
}

export function isModbusExceptionSignal(value: unknown): value is ModbusExceptionSignal {
  return typeof (value as { modbusException?: unknown } | null)?.modbusException === 'number';
}

/** Per-request limits of the specification. */
export const READ_REGISTERS_MAX = 125;
export const READ_BITS_MAX = 2000;
export const WRITE_REGISTERS_MAX = 123;
export const WRITE_BITS_MAX = 1968;

export interface RegisterBankOptions {
  /** Size of each table from address 0; 0 means the device has no such table (exception 1). */
  sizes?: Partial<Record<BankTable, number>>;
}

export interface BankWrite {
  unitId: number;
  table: 'holding' | 'coil';
  address: number;
  /** Register words, or 1/0 for coils. */
  values: number[];
  /** The words (or bits) held before the write, for edge-triggered command registers. */
  previous: number[];
}

/** Checks a request against a table's size and the per-request limit; throws the exception. */
export function checkRange(size: number, address: number, count: number, max: number): void {
  if (size <= 0) throw modbusException(1);
  if (!Number.isInteger(count) || count < 1 || count > max) throw modbusException(3);
  if (!Number.isInteger(address) || address < 0 || address + count > size) throw modbusException(2);
}

export class RegisterBank implements ModbusRegisterSource {
  private readonly words: Record<'holding' | 'input', Uint16Array>;
  private readonly bits: Record<'coil' | 'discrete', Uint8Array>;
  private readonly writeListeners = new Set<(write: BankWrite) => void>();
  private forced: { code: number; remaining: number } | undefined;

  constructor(options: RegisterBankOptions = {}) {
    const size = (table: BankTable) => options.sizes?.[table] ?? 0x10000;
    this.words = { holding: new Uint16Array(size('holding')), input: new Uint16Array(size('input')) };
    this.bits = { coil: new Uint8Array(size('coil')), discrete: new Uint8Array(size('discrete')) };
  }

  /** Makes the next `count` requests (0 = all until cleared) answer with exception `code`. */
  forceException(code: number, count = 1): void {
    this.forced = { code, remaining: count };
  }

  clearForcedException(): void {
    this.forced = undefined;
  }

  private takeForced(): void {
    const forced = this.forced;
    if (!forced) return;
    if (forced.remaining > 0 && --forced.remaining === 0) this.forced = undefined;
    throw modbusException(forced.code);
  }

  onWrite(listener: (write: BankWrite) => void): () => void {
    this.writeListeners.add(listener);
    return () => this.writeListeners.delete(listener);
  }

  readWords(_unitId: number, table: 'holding' | 'input', address: number, count: number): number[] {
    checkRange(this.words[table].length, address, count, READ_REGISTERS_MAX);
    this.takeForced();
    return Array.from(this.words[table].subarray(address, address + count));
  }

  readBits(_unitId: number, table: 'coil' | 'discrete', address: number, count: number): boolean[] {
    checkRange(this.bits[table].length, address, count, READ_BITS_MAX);
    this.takeForced();
    return Array.from(this.bits[table].subarray(address, address + count), (bit) => bit === 1);
  }

  writeWords(unitId: number, address: number, values: number[]): void {
    checkRange(this.words.holding.length, address, values.length, WRITE_REGISTERS_MAX);
    this.takeForced();
    const previous = Array.from(this.words.holding.subarray(address, address + values.length));
    values.forEach((value, i) => {
      this.words.holding[address + i] = value & 0xffff;
    });
    for (const listener of this.writeListeners) {
      listener({ unitId, table: 'holding', address, values: values.map((v) => v & 0xffff), previous });
    }
  }

  writeBit(unitId: number, address: number, value: boolean): void {
    checkRange(this.bits.coil.length, address, 1, 1);
    this.takeForced();
    const previous = [this.bits.coil[address]!];
    this.bits.coil[address] = value ? 1 : 0;
    for (const listener of this.writeListeners) {
      listener({ unitId, table: 'coil', address, values: [value ? 1 : 0], previous });
    }
  }

  /** Sets words directly (the device's own update, not a Modbus write: no listeners). */
  setWords(table: 'holding' | 'input', address: number, values: readonly number[]): void {
    values.forEach((value, i) => {
      this.words[table][address + i] = value & 0xffff;
    });
  }

  getWords(table: 'holding' | 'input', address: number, count: number): number[] {
    return Array.from(this.words[table].subarray(address, address + count));
  }

  setBits(table: 'coil' | 'discrete', address: number, values: readonly boolean[]): void {
    values.forEach((value, i) => {
      this.bits[table][address + i] = value ? 1 : 0;
    });
  }

  getBits(table: 'coil' | 'discrete', address: number, count: number): boolean[] {
    return Array.from(this.bits[table].subarray(address, address + count), (bit) => bit === 1);
  }
}

/** Which unit ids a server answers: every id, or a fixed set (several devices on one line). */
export type UnitSelector = 'any' | readonly number[];

export function answersUnit(units: UnitSelector, unitId: number): boolean {
  return units === 'any' || units.includes(unitId);
}

/**
 * Several simulated devices behind one server (one RS-485 line, one TCP gateway): each unit id has
 * its own register source.
 */
export class UnitRouter implements ModbusRegisterSource {
  private readonly units = new Map<number, ModbusRegisterSource>();

  add(unitId: number, source: ModbusRegisterSource): this {
    this.units.set(unitId, source);
    return this;
  }

  get unitIds(): number[] {
    return [...this.units.keys()].sort((a, b) => a - b);
  }

  private source(unitId: number): ModbusRegisterSource {
    const source = this.units.get(unitId);
    // 11: gateway target device failed to respond (what a TCP gateway says for an absent unit).
    if (!source) throw modbusException(11);
    return source;
  }

  readWords(unitId: number, table: 'holding' | 'input', address: number, count: number): number[] {
    return this.source(unitId).readWords(unitId, table, address, count);
  }

  readBits(unitId: number, table: 'coil' | 'discrete', address: number, count: number): boolean[] {
    return this.source(unitId).readBits(unitId, table, address, count);
  }

  /** Unit 0 is a broadcast: every device on the line executes the write. */
  private targets(unitId: number): Array<[number, ModbusRegisterSource]> {
    return unitId === 0 ? [...this.units.entries()] : [[unitId, this.source(unitId)]];
  }

  writeWords(unitId: number, address: number, values: number[]): void {
    for (const [id, source] of this.targets(unitId)) source.writeWords(id, address, values);
  }

  writeBit(unitId: number, address: number, value: boolean): void {
    for (const [id, source] of this.targets(unitId)) source.writeBit(id, address, value);
  }
}
