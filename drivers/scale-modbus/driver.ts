/**
 * A weighing transmitter over Modbus, on the shared register-map engine: the preset's registers are
 * read in as few requests as the layout allows, the status word sets the weight's quality, and
 * zero/tare/clear-tare are register (or coil) writes.
 */
import { delay, throwIfAborted } from '../abort.js';
import type { ChannelError, DriverDeps, PollResult, Reading, ScaleDriver } from '../contract.js';
import { MetrogateError } from '../errors.js';
import { ModbusDriverBase, RegisterMapReader } from '../modbus/driver.js';
import { resolvePreset, type ScaleModbusConfig } from './config.js';
import type { ScaleCommand, ScalePreset } from './presets.js';
import {
  commandWrites,
  decodeScaleValues,
  SCALE_REGISTERS,
  type ScaleSample,
  scaleRegisterMap,
} from './protocol.js';

/** Pause between two weighings while waiting for stability. */
const STABILITY_POLL_MS = 50;

export class ScaleModbusDriver extends ModbusDriverBase<ScaleModbusConfig> implements ScaleDriver {
  readonly kind = 'scale' as const;
  private preset: ScalePreset | undefined;
  private reader: RegisterMapReader | undefined;

  constructor(config: ScaleModbusConfig, deps: DriverDeps) {
    super('scale-modbus', config, deps);
  }

  protected prepare(): void {
    this.preset = resolvePreset(this.config.preset, this.config.overrides);
    this.reader = new RegisterMapReader(
      scaleRegisterMap(this.preset, { gross: this.config.channels.includes('gross') }),
      { unitId: this.config.unitId, timeoutMs: this.config.timeoutMs },
    );
  }

  /** One weighing: rejects when the weight or the status word could not be read. */
  private async sample(signal: AbortSignal): Promise<{ sample: ScaleSample; errors: ChannelError[] }> {
    this.assertConnected();
    throwIfAborted(signal);
    const snapshot = await this.reader!.read(this.client, signal);
    for (const name of [SCALE_REGISTERS.weight, SCALE_REGISTERS.status, SCALE_REGISTERS.decimals]) {
      const error = snapshot.errors.get(name);
      if (error) throw error;
    }
    const result = decodeScaleValues(this.preset!, snapshot.values, {
      unit: this.config.unit,
      decimals: this.config.decimals,
      scale: this.config.scale,
    });
    if (!result.ok) {
      throw new MetrogateError(
        result.code,
        `${this.deviceId} (${this.client.description}): ${result.reason}`,
        {
          device: this.deviceId,
          port: this.client.description,
        },
      );
    }
    const grossError = snapshot.errors.get(SCALE_REGISTERS.gross);
    const errors: ChannelError[] = grossError
      ? [{ channel: 'gross', code: grossError.code, message: grossError.message }]
      : [];
    return { sample: result.value, errors };
  }

  private reading(
    channel: string,
    value: string,
    sample: ScaleSample,
    ts: Date,
    unit = sample.unit,
  ): Reading {
    return { deviceId: this.deviceId, channel, value, unit, quality: sample.quality, ts };
  }

  async poll(signal: AbortSignal): Promise<PollResult> {
    this.assertConnected();
    throwIfAborted(signal);
    const ts = this.deps.now();
    const { sample, errors } = await this.sample(signal);
    const readings = [this.reading('weight', sample.weight, sample, ts)];
    if (sample.gross !== undefined) readings.push(this.reading('gross', sample.gross, sample, ts));
    if (this.config.channels.includes('zero') && sample.zero !== undefined) {
      readings.push({ ...this.reading('zero', sample.zero ? '1' : '0', sample, ts, ''), quality: 'good' });
    }
    if (this.config.channels.includes('status') && sample.status !== undefined) {
      readings.push({ ...this.reading('status', String(sample.status), sample, ts, ''), quality: 'good' });
    }
    return { readings, errors };
  }

  async readStable(signal: AbortSignal, timeoutMs: number): Promise<Reading> {
    this.assertConnected();
    const deadline = performance.now() + timeoutMs;
    let last: ScaleSample | undefined;
    while (performance.now() < deadline) {
      throwIfAborted(signal);
      const ts = this.deps.now();
      last = (await this.sample(signal)).sample;
      if (last.quality === 'good') return this.reading('weight', last.weight, last, ts);
      await delay(STABILITY_POLL_MS, signal);
    }
    throw new MetrogateError(
      'MG_ERR_TIMEOUT',
      `${this.deviceId} (${this.client.description}): no stable weight within ${timeoutMs} ms (last: ${last ? `${last.weight} ${last.unit} ${last.quality}` : 'none'})`,
      { device: this.deviceId, port: this.client.description },
    );
  }

  private async command(name: ScaleCommand, signal: AbortSignal): Promise<void> {
    this.assertConnected();
    throwIfAborted(signal);
    const command = this.preset!.commands[name];
    if (!command) {
      throw new MetrogateError(
        'MG_ERR_COMMAND_UNSUPPORTED',
        `${this.deviceId}: preset ${this.preset!.id} has no ${name} command; configure overrides.commands.${name}`,
        { device: this.deviceId, path: `overrides.commands.${name}` },
      );
    }
    const options = { timeoutMs: this.config.timeoutMs, signal };
    for (const write of commandWrites(command)) {
      if (write.kind === 'coil')
        await this.client.writeCoil(this.config.unitId, write.address, write.value, options);
      else await this.client.writeRegisters(this.config.unitId, write.address, [write.value], options);
    }
  }

  zero(signal: AbortSignal): Promise<void> {
    return this.command('zero', signal);
  }

  tare(signal: AbortSignal): Promise<void> {
    return this.command('tare', signal);
  }

  clearTare(signal: AbortSignal): Promise<void> {
    return this.command('clearTare', signal);
  }
}
