/**
 * One Modbus bus (a TCP connection to a device or gateway, or one RTU serial line) behind one
 * request queue. Several devices (unit ids) on the same bus share one ModbusClient; a
 * ModbusBusPool hands out the shared instance per endpoint.
 */
import modbusSerial from 'modbus-serial';
import type { ModbusRTU as ModbusRTUClient } from 'modbus-serial/ModbusRTU.js';
import { abortError, type ErrorCode, MetrogateError } from '../errors.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { RequestQueue } from './request-queue.js';
import { formatLineSettings, type SerialSettings } from './serial-settings.js';

export type ModbusTable = 'holding' | 'input' | 'coil' | 'discrete';

export interface ModbusRequestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ModbusClient {
  readonly description: string;
  connect(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
  /** Reads registers (holding/input) as a big-endian byte buffer of 2 × count bytes. */
  readRegisters(
    unitId: number,
    table: 'holding' | 'input',
    address: number,
    count: number,
    options: ModbusRequestOptions,
  ): Promise<Buffer>;
  readBits(
    unitId: number,
    table: 'coil' | 'discrete',
    address: number,
    count: number,
    options: ModbusRequestOptions,
  ): Promise<boolean[]>;
  writeRegisters(
    unitId: number,
    address: number,
    values: number[],
    options: ModbusRequestOptions,
  ): Promise<void>;
  writeCoil(unitId: number, address: number, value: boolean, options: ModbusRequestOptions): Promise<void>;
  /** Requests queued or running on this bus. */
  readonly queueDepth: number;
}

export type ModbusEndpoint =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'rtu'; serial: SerialSettings };

export function describeEndpoint(endpoint: ModbusEndpoint): string {
  return endpoint.kind === 'tcp'
    ? `modbus-tcp ${endpoint.host}:${endpoint.port}`
    : `modbus-rtu ${endpoint.serial.path} ${formatLineSettings(endpoint.serial)}`;
}

const EXCEPTION_NAMES: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

export function modbusExceptionName(code: number): string {
  return EXCEPTION_NAMES[code] ?? `exception ${code}`;
}

// modbus-serial is CommonJS whose module.exports is the client class; its typings describe it as a
// default export, which Node's ESM loader does not produce. Name the runtime value once here.
const ModbusRTU = modbusSerial as unknown as typeof ModbusRTUClient;
type ModbusRTU = ModbusRTUClient;

interface ModbusSerialError extends Error {
  errno?: string;
  modbusCode?: number;
}

/** modbus-serial client (TCP or buffered RTU) behind a RequestQueue. */
export class ModbusSerialClient implements ModbusClient {
  readonly description: string;
  private readonly endpoint: ModbusEndpoint;
  private readonly queue: RequestQueue;
  private readonly logger: Logger;
  private client: ModbusRTU | undefined;
  private connecting: Promise<void> | undefined;

  constructor(endpoint: ModbusEndpoint, options: { interFrameDelayMs?: number; logger?: Logger } = {}) {
    this.endpoint = endpoint;
    this.description = describeEndpoint(endpoint);
    // RTU needs a silent gap between frames; modbus-serial's buffered port times replies by length,
    // so only the configured extra delay is added here.
    this.queue = new RequestQueue({ interFrameDelayMs: options.interFrameDelayMs ?? 0 });
    this.logger = options.logger ?? silentLogger();
  }

  get queueDepth(): number {
    return this.queue.depth;
  }

  private details(): Record<string, string> {
    return this.endpoint.kind === 'tcp'
      ? { port: `${this.endpoint.host}:${this.endpoint.port}` }
      : { port: this.endpoint.serial.path, settings: formatLineSettings(this.endpoint.serial) };
  }

  connect(signal?: AbortSignal): Promise<void> {
    if (this.client?.isOpen) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(abortError(signal.reason));
    this.connecting ??= this.openClient().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async openClient(): Promise<void> {
    const client = new ModbusRTU();
    client.on('error', (err: unknown) =>
      this.logger.warn({ err, bus: this.description }, 'modbus bus error'),
    );
    client.on('close', () => {
      if (this.client === client) this.client = undefined;
    });
    try {
      if (this.endpoint.kind === 'tcp') {
        await client.connectTCP(this.endpoint.host, { port: this.endpoint.port });
      } else {
        const { path, baudRate, dataBits, parity, stopBits } = this.endpoint.serial;
        await client.connectRTUBuffered(path, { baudRate, dataBits, parity, stopBits });
      }
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      const code: ErrorCode =
        this.endpoint.kind === 'tcp'
          ? 'MG_ERR_CONNECT_FAILED'
          : /No such file|ENOENT/i.test(message)
            ? 'MG_ERR_PORT_NOT_FOUND'
            : /lock/i.test(message)
              ? 'MG_ERR_PORT_BUSY'
              : 'MG_ERR_PORT_OPEN_FAILED';
      throw new MetrogateError(code, `${this.description}: cannot connect (${message})`, this.details(), {
        cause: error,
      });
    }
    this.client = client;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    await new Promise<void>((resolve) => {
      try {
        client.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }

  private transact<T>(
    unitId: number,
    what: string,
    options: ModbusRequestOptions,
    call: (client: ModbusRTU) => Promise<T>,
  ): Promise<T> {
    return this.queue.run(async () => {
      if (!this.client?.isOpen) await this.connect(options.signal);
      const client = this.client;
      if (!client) {
        throw new MetrogateError(
          'MG_ERR_NOT_CONNECTED',
          `${this.description}: not connected`,
          this.details(),
        );
      }
      if (client.getID() !== unitId) client.setID(unitId);
      if (client.getTimeout() !== options.timeoutMs) client.setTimeout(options.timeoutMs);
      try {
        return await call(client);
      } catch (error) {
        const mapped = this.mapError(error as ModbusSerialError, unitId, what, options.timeoutMs);
        // A late reply to a timed-out TCP request is otherwise matched to a later request
        // (modbus-serial #573); a fresh connection is the only clean state.
        if (mapped.code === 'MG_ERR_TIMEOUT' && this.endpoint.kind === 'tcp') await this.close();
        throw mapped;
      }
    }, options.signal);
  }

  private mapError(
    error: ModbusSerialError,
    unitId: number,
    what: string,
    timeoutMs: number,
  ): MetrogateError {
    const details = { ...this.details(), unitId };
    const prefix = `${this.description} unit ${unitId}: ${what}`;
    if (typeof error.modbusCode === 'number') {
      return new MetrogateError(
        'MG_ERR_MODBUS_EXCEPTION',
        `${prefix}: device answered exception ${error.modbusCode} (${modbusExceptionName(error.modbusCode)})`,
        { ...details, exception: error.modbusCode },
        { cause: error },
      );
    }
    if (error.errno === 'ETIMEDOUT' || /timed out/i.test(error.message ?? '')) {
      return new MetrogateError('MG_ERR_TIMEOUT', `${prefix}: no answer within ${timeoutMs} ms`, details, {
        cause: error,
      });
    }
    if (/CRC/i.test(error.message ?? '')) {
      return new MetrogateError('MG_ERR_FRAME_CHECKSUM', `${prefix}: reply with a bad CRC`, details, {
        cause: error,
      });
    }
    if (error.errno === 'ECONNREFUSED' || /not open/i.test(error.message ?? '')) {
      return new MetrogateError('MG_ERR_PORT_CLOSED', `${prefix}: connection closed`, details, {
        cause: error,
      });
    }
    return new MetrogateError('MG_ERR_FRAME_GARBLED', `${prefix}: ${error.message}`, details, {
      cause: error,
    });
  }

  readRegisters(
    unitId: number,
    table: 'holding' | 'input',
    address: number,
    count: number,
    options: ModbusRequestOptions,
  ): Promise<Buffer> {
    return this.transact(
      unitId,
      `read ${count} ${table} registers at ${address}`,
      options,
      async (client) => {
        const result =
          table === 'holding'
            ? await client.readHoldingRegisters(address, count)
            : await client.readInputRegisters(address, count);
        return Buffer.from(result.buffer);
      },
    );
  }

  readBits(
    unitId: number,
    table: 'coil' | 'discrete',
    address: number,
    count: number,
    options: ModbusRequestOptions,
  ): Promise<boolean[]> {
    return this.transact(unitId, `read ${count} ${table}s at ${address}`, options, async (client) => {
      const result =
        table === 'coil'
          ? await client.readCoils(address, count)
          : await client.readDiscreteInputs(address, count);
      return result.data.slice(0, count);
    });
  }

  writeRegisters(
    unitId: number,
    address: number,
    values: number[],
    options: ModbusRequestOptions,
  ): Promise<void> {
    return this.transact(
      unitId,
      `write ${values.length} registers at ${address}`,
      options,
      async (client) => {
        if (values.length === 1) await client.writeRegister(address, values[0]!);
        else await client.writeRegisters(address, values);
      },
    );
  }

  writeCoil(unitId: number, address: number, value: boolean, options: ModbusRequestOptions): Promise<void> {
    return this.transact(unitId, `write coil ${address}`, options, async (client) => {
      await client.writeCoil(address, value);
    });
  }
}

/**
 * Hands out one ModbusClient per physical bus, so that every device on an RTU line or behind one
 * TCP gateway shares the same queue. Owned by whoever runs the devices (no module state).
 */
export class ModbusBusPool {
  private readonly clients = new Map<string, ModbusClient>();
  private readonly create: (endpoint: ModbusEndpoint) => ModbusClient;

  constructor(
    create: (endpoint: ModbusEndpoint) => ModbusClient = (endpoint) => new ModbusSerialClient(endpoint),
  ) {
    this.create = create;
  }

  get(endpoint: ModbusEndpoint): ModbusClient {
    const key =
      endpoint.kind === 'tcp' ? `tcp:${endpoint.host}:${endpoint.port}` : `rtu:${endpoint.serial.path}`;
    let client = this.clients.get(key);
    if (!client) {
      client = this.create(endpoint);
      this.clients.set(key, client);
    }
    return client;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.clients.values()].map((client) => client.close()));
    this.clients.clear();
  }
}

/** What a memory-backed Modbus client reads from: a simulator's register bank, for unit tests. */
export interface ModbusRegisterSource {
  /** Returns register words or bits, or throws `{ modbusException: n }`. */
  readWords(unitId: number, table: 'holding' | 'input', address: number, count: number): number[];
  readBits(unitId: number, table: 'coil' | 'discrete', address: number, count: number): boolean[];
  writeWords(unitId: number, address: number, values: number[]): void;
  writeBit(unitId: number, address: number, value: boolean): void;
}

/** An in-process ModbusClient over a register source: no sockets, same queue and error codes. */
export class MemoryModbusClient implements ModbusClient {
  readonly description: string;
  private readonly source: ModbusRegisterSource;
  private readonly queue = new RequestQueue();
  private open = false;
  /** Set to make the next requests time out, as a silent device would. */
  silent = false;

  constructor(source: ModbusRegisterSource, description = 'modbus-memory') {
    this.source = source;
    this.description = description;
  }

  get queueDepth(): number {
    return this.queue.depth;
  }

  async connect(): Promise<void> {
    this.open = true;
  }

  async close(): Promise<void> {
    this.open = false;
  }

  private run<T>(unitId: number, options: ModbusRequestOptions, fn: () => T): Promise<T> {
    return this.queue.run(async () => {
      if (!this.open) {
        throw new MetrogateError('MG_ERR_NOT_CONNECTED', `${this.description}: not connected`, {
          port: this.description,
        });
      }
      if (this.silent) {
        throw new MetrogateError(
          'MG_ERR_TIMEOUT',
          `${this.description} unit ${unitId}: no answer within ${options.timeoutMs} ms`,
          { port: this.description, unitId },
        );
      }
      try {
        return fn();
      } catch (error) {
        const exception = (error as { modbusException?: number }).modbusException;
        if (exception === undefined) throw error;
        throw new MetrogateError(
          'MG_ERR_MODBUS_EXCEPTION',
          `${this.description} unit ${unitId}: device answered exception ${exception} (${modbusExceptionName(exception)})`,
          { port: this.description, unitId, exception },
        );
      }
    }, options.signal);
  }

  readRegisters(
    unitId: number,
    table: 'holding' | 'input',
    address: number,
    count: number,
    options: ModbusRequestOptions,
  ) {
    return this.run(unitId, options, () => {
      const words = this.source.readWords(unitId, table, address, count);
      const buffer = Buffer.alloc(count * 2);
      words.forEach((word, i) => {
        buffer.writeUInt16BE(word & 0xffff, i * 2);
      });
      return buffer;
    });
  }

  readBits(
    unitId: number,
    table: 'coil' | 'discrete',
    address: number,
    count: number,
    options: ModbusRequestOptions,
  ) {
    return this.run(unitId, options, () => this.source.readBits(unitId, table, address, count));
  }

  writeRegisters(unitId: number, address: number, values: number[], options: ModbusRequestOptions) {
    return this.run(unitId, options, () => this.source.writeWords(unitId, address, values));
  }

  writeCoil(unitId: number, address: number, value: boolean, options: ModbusRequestOptions) {
    return this.run(unitId, options, () => this.source.writeBit(unitId, address, value));
  }
}
