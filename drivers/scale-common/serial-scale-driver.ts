/**
 * The part every serial weighing driver shares: the lifecycle of the contract, the frame channel,
 * the device id, turning a decoded weight into a Reading, and waiting for a stable weight. Each
 * protocol supplies its framer, its handshake, how to get one weight, and its zero/tare commands.
 */
import { delay, throwIfAborted } from '../abort.js';
import type { DeviceIdentity, DriverDeps, PollResult, Quality, Reading, ScaleDriver } from '../contract.js';
import { defaultDeviceId, type SerialDeviceConfig } from '../definition.js';
import { MetrogateError } from '../errors.js';
import { FrameChannel } from '../transport/frame-channel.js';
import type { Framer } from '../transport/framers.js';

/** One weight as the device reported it. `value` keeps the device's own decimals. */
export interface WeightSample {
  value: string;
  unit: string;
  quality: Quality;
}

type Lifecycle = 'created' | 'initialised' | 'connected' | 'closed';

/** Pause between two weighings while waiting for stability. */
const STABILITY_POLL_MS = 50;

export abstract class SerialScaleDriverBase<Config extends SerialDeviceConfig> implements ScaleDriver {
  readonly kind = 'scale' as const;
  readonly driverId: string;
  readonly deviceId: string;
  protected readonly config: Config;
  protected readonly deps: DriverDeps;
  protected identity: DeviceIdentity = {};
  private lifecycle: Lifecycle = 'created';
  private frameChannel: FrameChannel | undefined;

  constructor(driverId: string, config: Config, deps: DriverDeps) {
    this.driverId = driverId;
    this.config = config;
    this.deps = deps;
    this.deviceId = config.id ?? defaultDeviceId(driverId, config.port);
  }

  /** The framer for this protocol's replies. */
  protected abstract createFramer(): Framer;
  /** Protocol handshake after the port opened: stop a running stream, ask for identity. */
  protected abstract handshake(signal: AbortSignal): Promise<DeviceIdentity>;
  /** One weight, stable or not; rejects only when the device gave no usable answer. */
  protected abstract sample(signal: AbortSignal): Promise<WeightSample>;
  abstract zero(signal: AbortSignal): Promise<void>;
  abstract tare(signal: AbortSignal): Promise<void>;
  abstract clearTare(signal: AbortSignal): Promise<void>;

  protected get channel(): FrameChannel {
    if (!this.frameChannel || this.lifecycle === 'created') {
      throw new MetrogateError('MG_ERR_NOT_CONNECTED', `${this.deviceId}: init() was not called`, {
        device: this.deviceId,
      });
    }
    return this.frameChannel;
  }

  protected get timeoutMs(): number {
    return this.config.timeoutMs;
  }

  init(): void {
    if (this.lifecycle !== 'created') return;
    if (!this.deps.link) {
      throw new MetrogateError('MG_ERR_CONFIG_INVALID', `${this.deviceId}: a serial link is required`, {
        device: this.deviceId,
        path: 'port',
      });
    }
    this.frameChannel = new FrameChannel(this.deps.link, this.createFramer());
    this.lifecycle = 'initialised';
  }

  async connect(signal: AbortSignal): Promise<DeviceIdentity> {
    if (this.lifecycle === 'created') this.init();
    if (this.lifecycle === 'closed') {
      throw new MetrogateError('MG_ERR_PORT_CLOSED', `${this.deviceId}: driver already closed`, {
        device: this.deviceId,
      });
    }
    await this.channel.open(signal);
    this.identity = await this.handshake(signal);
    this.lifecycle = 'connected';
    return this.identity;
  }

  protected assertConnected(): void {
    if (this.lifecycle !== 'connected') {
      throw new MetrogateError(
        this.lifecycle === 'closed' ? 'MG_ERR_PORT_CLOSED' : 'MG_ERR_NOT_CONNECTED',
        `${this.deviceId}: ${this.lifecycle === 'closed' ? 'driver closed' : 'connect() has not succeeded'}`,
        { device: this.deviceId, port: this.config.port },
      );
    }
  }

  async poll(signal: AbortSignal): Promise<PollResult> {
    this.assertConnected();
    const ts = this.deps.now();
    const weight = await this.sample(signal);
    return { readings: [this.toReading('weight', weight, ts)], errors: [] };
  }

  /**
   * Weighs until the device reports a stable weight, or rejects with MG_ERR_TIMEOUT. Protocols with
   * a "send when stable" command override this.
   */
  async readStable(signal: AbortSignal, timeoutMs: number): Promise<Reading> {
    this.assertConnected();
    const deadline = performance.now() + timeoutMs;
    let last: WeightSample | undefined;
    while (performance.now() < deadline) {
      throwIfAborted(signal);
      const ts = this.deps.now();
      last = await this.sample(signal);
      if (last.quality === 'good') return this.toReading('weight', last, ts);
      await delay(STABILITY_POLL_MS, signal);
    }
    throw new MetrogateError(
      'MG_ERR_TIMEOUT',
      `${this.deviceId}: no stable weight within ${timeoutMs} ms (last: ${last ? `${last.value} ${last.unit} ${last.quality}` : 'none'})`,
      { device: this.deviceId, port: this.config.port },
    );
  }

  async close(): Promise<void> {
    if (this.lifecycle === 'closed') return;
    const wasOpen = this.frameChannel !== undefined;
    this.lifecycle = 'closed';
    if (wasOpen) await this.frameChannel!.close();
  }

  protected toReading(channel: string, sample: WeightSample, ts: Date): Reading {
    return {
      deviceId: this.deviceId,
      channel,
      value: sample.value,
      unit: sample.unit,
      quality: sample.quality,
      ts,
    };
  }

  /** Error for a device answer that says "cannot do that now". */
  protected deviceError(
    code: 'MG_ERR_DEVICE_BUSY' | 'MG_ERR_DEVICE_ERROR' | 'MG_ERR_COMMAND_UNSUPPORTED',
    what: string,
  ) {
    return new MetrogateError(code, `${this.deviceId} (${this.channel.link.description}): ${what}`, {
      device: this.deviceId,
      port: this.config.port,
    });
  }
}
