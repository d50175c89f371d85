/**
 * The register-map engine every Modbus driver shares (generic `modbus`, `scale-modbus`, later the
 * dispenser maps), and the generic driver built on it: one reading per map entry, a failed request
 * costing only the channels it carries.
 */
import { throwIfAborted } from '../abort.js';
import type { ChannelError, DeviceIdentity, Driver, DriverDeps, PollResult, Reading } from '../contract.js';
import { defaultDeviceId } from '../definition.js';
import { isMetrogateError, MetrogateError, toMetrogateError } from '../errors.js';
import type { ModbusClient } from '../transport/modbus-client.js';
import { type ModbusConfig, type RegisterMap, registerMapOf } from './config.js';
import { decodeRequest, planMap, qualityOf, type ReadRequest } from './protocol.js';

/** What one pass over a map produced: decoded text or the error, per entry name. */
export interface MapSnapshot {
  values: Map<string, string>;
  errors: Map<string, MetrogateError>;
  /** Requests that failed as a whole (exception, timeout) and how many were sent. */
  failedRequests: number;
  requestCount: number;
  /** The first request failure, which becomes the poll's rejection when every request failed. */
  firstFailure: MetrogateError | undefined;
}

export interface MapReaderOptions {
  unitId: number;
  timeoutMs: number;
}

/** Executes a map's read plan on a Modbus client and decodes the replies. */
export class RegisterMapReader {
  readonly map: RegisterMap;
  readonly plan: readonly ReadRequest[];
  private readonly options: MapReaderOptions;

  constructor(map: RegisterMap, options: MapReaderOptions) {
    this.map = map;
    this.plan = planMap(map);
    this.options = options;
  }

  async read(client: ModbusClient, signal: AbortSignal): Promise<MapSnapshot> {
    const snapshot: MapSnapshot = {
      values: new Map(),
      errors: new Map(),
      failedRequests: 0,
      requestCount: this.plan.length,
      firstFailure: undefined,
    };
    const { unitId, timeoutMs } = this.options;
    for (const request of this.plan) {
      throwIfAborted(signal);
      let results: ReturnType<typeof decodeRequest>;
      try {
        const data =
          request.table === 'holding' || request.table === 'input'
            ? {
                registers: await client.readRegisters(unitId, request.table, request.address, request.count, {
                  timeoutMs,
                  signal,
                }),
              }
            : {
                bits: await client.readBits(unitId, request.table, request.address, request.count, {
                  timeoutMs,
                  signal,
                }),
              };
        results = decodeRequest(this.map, request, data);
      } catch (error) {
        if (isMetrogateError(error, 'MG_ERR_ABORTED')) throw error;
        const failure = toMetrogateError(error, 'MG_ERR_DEVICE_ERROR', { port: client.description, unitId });
        snapshot.failedRequests++;
        snapshot.firstFailure ??= failure;
        for (const index of request.entries) snapshot.errors.set(this.map.registers[index]!.name, failure);
        continue;
      }
      for (const [index, result] of results) {
        const name = this.map.registers[index]!.name;
        if (result.ok) snapshot.values.set(name, result.value);
        else {
          snapshot.errors.set(
            name,
            new MetrogateError(
              result.code,
              `${client.description} unit ${unitId}: ${name}: ${result.reason}`,
              {
                port: client.description,
                unitId,
                channel: name,
              },
            ),
          );
        }
      }
    }
    return snapshot;
  }
}

type Lifecycle = 'created' | 'initialised' | 'connected' | 'closed';

/**
 * Lifecycle shared by the Modbus drivers: the bus client comes from deps (shared with the other
 * devices on the same line, owned by whoever created it, so `close` does not close it).
 */
export abstract class ModbusDriverBase<Config extends ModbusConfigLike> implements Driver {
  readonly driverId: string;
  readonly deviceId: string;
  protected readonly config: Config;
  protected readonly deps: DriverDeps;
  private lifecycle: Lifecycle = 'created';

  constructor(driverId: string, config: Config, deps: DriverDeps) {
    this.driverId = driverId;
    this.config = config;
    this.deps = deps;
    const where = config.host !== undefined ? `${config.host}:${config.tcpPort}` : (config.port ?? 'modbus');
    this.deviceId = config.id ?? defaultDeviceId(driverId, `${where}#${config.unitId}`);
  }

  /** Prepares decoding state from the config; no I/O. */
  protected abstract prepare(): void;

  protected get client(): ModbusClient {
    return this.requireClient();
  }

  /** The bus client, or MG_ERR_CONFIG_INVALID when the driver was created without one. */
  private requireClient(): ModbusClient {
    const client = this.deps.modbus;
    if (!client) {
      throw new MetrogateError('MG_ERR_CONFIG_INVALID', `${this.deviceId}: a Modbus client is required`, {
        device: this.deviceId,
      });
    }
    return client;
  }

  init(): void {
    if (this.lifecycle !== 'created') return;
    this.requireClient();
    this.prepare();
    this.lifecycle = 'initialised';
  }

  async connect(signal: AbortSignal): Promise<DeviceIdentity> {
    if (this.lifecycle === 'closed') {
      throw new MetrogateError('MG_ERR_PORT_CLOSED', `${this.deviceId}: driver already closed`, {
        device: this.deviceId,
      });
    }
    this.init();
    throwIfAborted(signal);
    await this.client.connect(signal);
    this.lifecycle = 'connected';
    return { model: `Modbus unit ${this.config.unitId}`, bus: this.client.description };
  }

  protected assertConnected(): void {
    if (this.lifecycle !== 'connected') {
      const closed = this.lifecycle === 'closed';
      throw new MetrogateError(
        closed ? 'MG_ERR_PORT_CLOSED' : 'MG_ERR_NOT_CONNECTED',
        `${this.deviceId}: ${closed ? 'driver closed' : 'connect() has not succeeded'}`,
        { device: this.deviceId, port: this.deps.modbus?.description },
      );
    }
  }

  abstract poll(signal: AbortSignal): Promise<PollResult>;

  async close(): Promise<void> {
    this.lifecycle = 'closed';
  }
}

/** The transport part of a Modbus driver config. */
export interface ModbusConfigLike {
  id?: string | undefined;
  host?: string | undefined;
  tcpPort: number;
  port?: string | undefined;
  unitId: number;
  timeoutMs: number;
}

/** The generic driver: the configured register map, one reading per entry. */
export class ModbusMapDriver extends ModbusDriverBase<ModbusConfig> {
  private reader: RegisterMapReader | undefined;

  constructor(config: ModbusConfig, deps: DriverDeps) {
    super('modbus', config, deps);
  }

  protected prepare(): void {
    this.reader = new RegisterMapReader(registerMapOf(this.config), {
      unitId: this.config.unitId,
      timeoutMs: this.config.timeoutMs,
    });
  }

  async poll(signal: AbortSignal): Promise<PollResult> {
    this.assertConnected();
    throwIfAborted(signal);
    const ts = this.deps.now();
    const reader = this.reader!;
    const snapshot = await reader.read(this.client, signal);
    if (snapshot.requestCount > 0 && snapshot.failedRequests === snapshot.requestCount) {
      throw snapshot.firstFailure!;
    }
    const readings: Reading[] = [];
    const errors: ChannelError[] = [];
    for (const entry of reader.map.registers) {
      const value = snapshot.values.get(entry.name);
      if (value === undefined) {
        const error = snapshot.errors.get(entry.name);
        errors.push({
          channel: entry.name,
          code: error?.code ?? 'MG_ERR_DEVICE_ERROR',
          message: error?.message ?? `${entry.name}: no value`,
        });
        continue;
      }
      readings.push({
        deviceId: this.deviceId,
        channel: entry.name,
        value,
        unit: entry.unit,
        quality: qualityOf(entry.name, reader.map.quality, snapshot.values),
        ts,
      });
    }
    return { readings, errors };
  }
}
