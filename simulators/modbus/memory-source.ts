/**
 * The in-memory face of a simulated Modbus device, for `MemoryModbusClient`: the same register
 * source, with the FaultInjector's faults turned into the errors a real bus would cause (silence
 * and a cut reply time out, noise fails the CRC) and unit ids other than the device's unanswered.
 */
import { MetrogateError } from '../../drivers/errors.js';
import type { ModbusRegisterSource } from '../../drivers/transport/modbus-client.js';
import type { FaultInjector } from '../faults.js';
import { answersUnit, type UnitSelector } from './register-bank.js';

export interface FaultingSourceOptions {
  faults: FaultInjector;
  units?: UnitSelector;
  description?: string;
}

export class FaultingRegisterSource implements ModbusRegisterSource {
  private readonly inner: ModbusRegisterSource;
  private readonly options: FaultingSourceOptions;
  private unpluggedUntil = 0;

  constructor(inner: ModbusRegisterSource, options: FaultingSourceOptions) {
    this.inner = inner;
    this.options = options;
  }

  private get description(): string {
    return this.options.description ?? 'modbus-memory';
  }

  /** Makes every request fail as a pulled cable would, for `durationMs`. */
  unplug(durationMs: number): void {
    this.unpluggedUntil = Date.now() + durationMs;
  }

  /** Runs the request, then lets the active fault decide what the client sees of the reply. */
  private transact<T>(unitId: number, request: () => T): T {
    const details = { port: this.description, unitId };
    const pending = this.options.faults.takeDisconnect();
    if (pending !== undefined) this.unplug(pending);
    if (Date.now() < this.unpluggedUntil) {
      throw new MetrogateError('MG_ERR_PORT_DISCONNECTED', `${this.description}: disconnected`, details);
    }
    if (!answersUnit(this.options.units ?? 'any', unitId)) {
      throw new MetrogateError(
        'MG_ERR_TIMEOUT',
        `${this.description} unit ${unitId}: no answer (no such unit)`,
        details,
      );
    }
    const result = request();
    const kind = this.options.faults.current?.kind;
    if (kind === undefined) return result;
    const out = this.options.faults.apply(Buffer.from([0, 0]));
    switch (kind) {
      case 'silence':
      case 'partial':
        throw new MetrogateError(
          'MG_ERR_TIMEOUT',
          `${this.description} unit ${unitId}: no ${out ? 'complete ' : ''}answer (simulated ${kind})`,
          details,
        );
      case 'garble':
        throw new MetrogateError(
          'MG_ERR_FRAME_GARBLED',
          `${this.description} unit ${unitId}: garbled reply`,
          details,
        );
      case 'bad-checksum':
        throw new MetrogateError(
          'MG_ERR_FRAME_CHECKSUM',
          `${this.description} unit ${unitId}: reply with a bad CRC`,
          details,
        );
      default:
        return result;
    }
  }

  readWords(unitId: number, table: 'holding' | 'input', address: number, count: number): number[] {
    return this.transact(unitId, () => this.inner.readWords(unitId, table, address, count));
  }

  readBits(unitId: number, table: 'coil' | 'discrete', address: number, count: number): boolean[] {
    return this.transact(unitId, () => this.inner.readBits(unitId, table, address, count));
  }

  writeWords(unitId: number, address: number, values: number[]): void {
    this.transact(unitId, () => this.inner.writeWords(unitId, address, values));
  }

  writeBit(unitId: number, address: number, value: boolean): void {
    this.transact(unitId, () => this.inner.writeBit(unitId, address, value));
  }
}
