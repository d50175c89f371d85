/**
 * A fuel dispenser or flow computer over Modbus, on the shared register-map engine: a poll reads the
 * live registers and the totalizers in as few requests as the map allows; reset, authorize and stop
 * write the command register and are confirmed by reading the pump state back.
 */
import { delay, throwIfAborted } from '../abort.js';
import type {
  ChannelError,
  DispenserDriver,
  DispenserTotals,
  DispenserTransaction,
  DriverDeps,
  PollResult,
  Reading,
} from '../contract.js';
import { MetrogateError } from '../errors.js';
import type { RegisterMap } from '../modbus/config.js';
import { type MapSnapshot, ModbusDriverBase, RegisterMapReader } from '../modbus/driver.js';
import {
  type DispenserMap,
  type DispenserModbusConfig,
  decimalsRoleOf,
  readingEntries,
  resolveDispenserMap,
} from './config.js';
import type { DispenserCommand } from './presets.js';
import {
  commandWrites,
  confirmsCommand,
  type DecodedDispenser,
  decodeDispenserValues,
  stateOf,
  totalizerNozzles,
  totalNozzleOf,
  totalsOf,
  transactionOf,
} from './protocol.js';

/** Pause between two reads of the status register while a command takes effect. */
const CONFIRM_POLL_MS = 50;

interface Readers {
  all: RegisterMapReader;
  /** Transaction registers (everything but the totalizers). */
  live: RegisterMapReader;
  totals: RegisterMapReader | undefined;
  status: RegisterMapReader;
}

export class DispenserModbusDriver
  extends ModbusDriverBase<DispenserModbusConfig>
  implements DispenserDriver
{
  readonly kind = 'dispenser' as const;
  private map: DispenserMap | undefined;
  private readers: Readers | undefined;

  constructor(config: DispenserModbusConfig, deps: DriverDeps) {
    super('dispenser-modbus', config, deps);
  }

  protected prepare(): void {
    const resolved = resolveDispenserMap(this.config);
    if (!resolved.ok) {
      throw new MetrogateError(
        'MG_ERR_CONFIG_INVALID',
        `${this.deviceId}: ${resolved.path.join('.')}: ${resolved.message}`,
        { device: this.deviceId, path: resolved.path.join('.') },
      );
    }
    const map = resolved.map;
    this.map = map;
    const options = { unitId: this.config.unitId, timeoutMs: this.config.timeoutMs };
    const subset = (keep: (name: string) => boolean): RegisterMap => ({
      ...map,
      registers: map.registers.filter((entry) => keep(entry.name)),
    });
    const isTotal = (name: string) => totalNozzleOf(name) !== undefined;
    // Totals need the decimals registers their values take their places from.
    const totalRoles = new Set(
      map.registers.filter((e) => isTotal(e.name)).map((e) => decimalsRoleOf(e.name) as string),
    );
    const totals = subset((name) => isTotal(name) || totalRoles.has(name));
    this.readers = {
      all: new RegisterMapReader(map, options),
      live: new RegisterMapReader(
        subset((name) => !isTotal(name)),
        options,
      ),
      totals: totals.registers.some((e) => isTotal(e.name))
        ? new RegisterMapReader(totals, options)
        : undefined,
      status: new RegisterMapReader(
        subset((name) => name === 'status'),
        options,
      ),
    };
  }

  private fail(error: MetrogateError | undefined, fallback: string): MetrogateError {
    return (
      error ??
      new MetrogateError(
        'MG_ERR_DEVICE_ERROR',
        `${this.deviceId} (${this.client.description}): ${fallback}`,
        {
          device: this.deviceId,
          port: this.client.description,
        },
      )
    );
  }

  /** One pass of a reader, decoded; rejects when every request failed. */
  private async read(
    reader: RegisterMapReader,
    signal: AbortSignal,
  ): Promise<{ snapshot: MapSnapshot; decoded: DecodedDispenser }> {
    this.assertConnected();
    throwIfAborted(signal);
    const snapshot = await reader.read(this.client, signal);
    if (snapshot.requestCount > 0 && snapshot.failedRequests === snapshot.requestCount) {
      throw this.fail(snapshot.firstFailure, 'no register could be read');
    }
    const decoded = decodeDispenserValues(this.map!, snapshot.values, snapshot.errors);
    return { snapshot, decoded };
  }

  /** The error of one channel: its own request's, or the decoder's. */
  private channelError(
    name: string,
    snapshot: MapSnapshot,
    decoded: DecodedDispenser,
  ): MetrogateError | undefined {
    const readError = snapshot.errors.get(name);
    if (readError) return readError;
    const failure = decoded.failures.find((f) => f.channel === name);
    if (!failure) return undefined;
    return new MetrogateError(
      failure.code,
      `${this.client.description} unit ${this.config.unitId}: ${name}: ${failure.reason}`,
      { device: this.deviceId, port: this.client.description, channel: name },
    );
  }

  async poll(signal: AbortSignal): Promise<PollResult> {
    const ts = this.deps.now();
    const { snapshot, decoded } = await this.read(this.readers!.all, signal);
    const readings: Reading[] = decoded.channels.map((channel) => ({
      deviceId: this.deviceId,
      channel: channel.channel,
      value: channel.value,
      unit: channel.unit,
      quality: channel.quality,
      ts,
    }));
    const errors: ChannelError[] = [];
    for (const entry of readingEntries(this.map!)) {
      if (decoded.channels.some((c) => c.channel === entry.name)) continue;
      const error = this.channelError(entry.name, snapshot, decoded);
      errors.push({
        channel: entry.name,
        code: error?.code ?? 'MG_ERR_DEVICE_ERROR',
        message: error?.message ?? `${entry.name}: no value`,
      });
    }
    return { readings, errors };
  }

  async readTransaction(signal: AbortSignal): Promise<DispenserTransaction> {
    const { snapshot, decoded } = await this.read(this.readers!.live, signal);
    for (const name of ['status', 'volume']) {
      const error = this.channelError(name, snapshot, decoded);
      if (error) throw error;
    }
    return transactionOf(decoded.channels);
  }

  async readTotals(signal: AbortSignal, nozzle?: number): Promise<DispenserTotals[]> {
    const reader = this.readers!.totals;
    if (!reader) {
      throw new MetrogateError(
        'MG_ERR_COMMAND_UNSUPPORTED',
        `${this.deviceId}: the register map has no totalizers; configure overrides.totals or volumeTotal entries`,
        { device: this.deviceId, path: 'overrides.totals' },
      );
    }
    const nozzles = totalizerNozzles(this.map!);
    if (nozzle !== undefined && !nozzles.includes(nozzle)) {
      throw new MetrogateError(
        'MG_ERR_CONFIG_INVALID',
        `${this.deviceId}: no totalizers configured for nozzle ${nozzle} (nozzles: ${nozzles.join(', ')})`,
        { device: this.deviceId, path: 'nozzles' },
      );
    }
    const { snapshot, decoded } = await this.read(reader, signal);
    for (const entry of reader.map.registers) {
      const total = totalNozzleOf(entry.name);
      if (!total || (nozzle !== undefined && total.nozzle !== nozzle)) continue;
      const error = this.channelError(entry.name, snapshot, decoded);
      if (error) throw error;
    }
    return totalsOf(decoded.channels, nozzle);
  }

  /** The pump state now, read from the status register alone. */
  private async state(signal: AbortSignal): Promise<string> {
    const { snapshot } = await this.read(this.readers!.status, signal);
    const raw = snapshot.values.get('status');
    if (raw === undefined) throw this.fail(snapshot.errors.get('status'), 'status register unreadable');
    return stateOf(raw, this.map!.statusCodes);
  }

  private async command(name: DispenserCommand, signal: AbortSignal): Promise<void> {
    this.assertConnected();
    throwIfAborted(signal);
    const command = this.map!.commands[name];
    if (!command) {
      throw new MetrogateError(
        'MG_ERR_COMMAND_UNSUPPORTED',
        `${this.deviceId}: the register map has no ${name} command; configure overrides.commands.${name} (or map.commands.${name})`,
        { device: this.deviceId, path: `overrides.commands.${name}` },
      );
    }
    const options = { timeoutMs: this.config.timeoutMs, signal };
    for (const write of commandWrites(command)) {
      if (write.kind === 'coil')
        await this.client.writeCoil(this.config.unitId, write.address, write.value, options);
      else await this.client.writeRegisters(this.config.unitId, write.address, [write.value], options);
    }
    const deadline = performance.now() + this.config.commandTimeoutMs;
    let state = await this.state(signal);
    while (!confirmsCommand(name, state)) {
      if (performance.now() >= deadline) {
        throw new MetrogateError(
          'MG_ERR_DEVICE_BUSY',
          `${this.deviceId} (${this.client.description} unit ${this.config.unitId}): ${name} not confirmed: the pump stays ${state} after ${this.config.commandTimeoutMs} ms`,
          { device: this.deviceId, port: this.client.description, state },
        );
      }
      await delay(CONFIRM_POLL_MS, signal);
      state = await this.state(signal);
    }
  }

  reset(signal: AbortSignal): Promise<void> {
    return this.command('reset', signal);
  }

  authorize(signal: AbortSignal): Promise<void> {
    return this.command('authorize', signal);
  }

  stop(signal: AbortSignal): Promise<void> {
    return this.command('stop', signal);
  }
}
