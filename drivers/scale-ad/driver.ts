/**
 * The A&D driver: poll mode sends `Q` and reads the answer; stream mode takes the frames the device
 * sends on its own. Control commands (zero, tare, clear tare) are confirmed by a weighing that
 * follows them: the device handles commands in order, so once that answer is in, the command has
 * been carried out (or its `EC,Exx` error has arrived), whether or not the device sends `<AK>`.
 */
import { delay, throwIfAborted } from '../abort.js';
import type { DeviceIdentity, DriverDeps, Reading } from '../contract.js';
import type { ScanSupport } from '../definition.js';
import { isMetrogateError, MetrogateError } from '../errors.js';
import { SerialScaleDriverBase, type WeightSample } from '../scale-common/serial-scale-driver.js';
import type { FrameChannel, ReceivedFrame } from '../transport/frame-channel.js';
import type { Framer } from '../transport/framers.js';
import type { AdConfig } from './config.js';
import {
  AD_COMMANDS,
  type AdErrorReply,
  type AdFrame,
  type AdIdentityCommand,
  type AdWeight,
  createAdFramer,
  decodeAdFrame,
  encodeAdCommand,
  isAdWeightFrame,
} from './protocol.js';

export const AD_DRIVER_ID = 'scale-ad';

/** Pause between two `S` requests when the device answered with an unstable or out-of-range weight. */
const STABLE_RETRY_MS = 50;

const IDENTITY_FIELDS = { '?ID': 'ID', '?SN': 'SN', '?TN': 'TN' } as const;
const IDENTITY_KEYS = { ID: 'idNumber', SN: 'serialNumber', TN: 'model' } as const;

function decodedFrame(bytes: Buffer): AdFrame | undefined {
  const result = decodeAdFrame(bytes);
  return result.ok ? result.value : undefined;
}

/** Replies a weighing command can get: a weight, an error, or something undecodable to report. */
function isWeighingReply(bytes: Buffer): boolean {
  const frame = decodedFrame(bytes);
  // A late <AK> or identity answer belongs to an earlier command: not this reply.
  return frame === undefined || frame.kind === 'weight' || frame.kind === 'error';
}

function isAckOrError(bytes: Buffer): boolean {
  const frame = decodedFrame(bytes);
  return frame?.kind === 'ack' || frame?.kind === 'error';
}

function sampleOf(weight: AdWeight): WeightSample {
  return { value: weight.value, unit: weight.unit, quality: weight.quality };
}

export class AdScaleDriver extends SerialScaleDriverBase<AdConfig> {
  /** Arrival number of every frame, so that stream mode can tell frames that came before a wait. */
  private readonly arrival = new WeakMap<Buffer, number>();
  private arrivals = 0;
  private listening = false;
  private lastStreamFrame: ReceivedFrame | undefined;

  constructor(config: AdConfig, deps: DriverDeps) {
    super(AD_DRIVER_ID, config, deps);
  }

  protected createFramer(): Framer {
    return createAdFramer();
  }

  override init(): void {
    super.init();
    if (this.listening) return;
    this.listening = true;
    this.channel.onFrame((frame) => {
      this.arrival.set(frame.bytes, ++this.arrivals);
    });
  }

  private get port(): string {
    return this.channel.link.description;
  }

  protected async handshake(signal: AbortSignal): Promise<DeviceIdentity> {
    if (this.config.mode === 'poll') {
      // A stream started by SIR (or an S still waiting for stability) would answer in place of Q.
      await this.channel.send(encodeAdCommand(AD_COMMANDS.cancel), signal);
      await this.pause(signal);
    }
    const identity: DeviceIdentity = {};
    for (const command of this.config.identityCommands) {
      const answer = await this.queryIdentity(command, signal);
      if (answer === 'silent') break;
      if (answer !== undefined) identity[IDENTITY_KEYS[IDENTITY_FIELDS[command]]] = answer;
      await this.pause(signal);
    }
    // The device must weigh before the connection counts: a silent or garbled line fails here.
    const first = await this.sample(signal);
    identity.unit = first.unit;
    return identity;
  }

  /** The answer text, undefined when the device refused the query, 'silent' when nothing came. */
  private async queryIdentity(
    command: AdIdentityCommand,
    signal: AbortSignal,
  ): Promise<string | undefined | 'silent'> {
    const field = IDENTITY_FIELDS[command];
    let reply: ReceivedFrame;
    try {
      reply = await this.channel.request(encodeAdCommand(command), {
        timeoutMs: this.timeoutMs,
        signal,
        accept: (bytes) => {
          const frame = decodedFrame(bytes);
          return frame?.kind === 'error' || (frame?.kind === 'identity' && frame.field === field);
        },
      });
    } catch (error) {
      if (isMetrogateError(error, 'MG_ERR_TIMEOUT') || isMetrogateError(error, 'MG_ERR_FRAME_GARBLED')) {
        this.deps.logger.debug({ device: this.deviceId, command }, 'no answer to identity query');
        return 'silent';
      }
      throw error;
    }
    const frame = decodedFrame(reply.bytes);
    return frame?.kind === 'identity' ? frame.text : undefined;
  }

  protected async sample(signal: AbortSignal): Promise<WeightSample> {
    throwIfAborted(signal);
    if (this.config.mode === 'stream') return this.streamSample(signal);
    const reply = await this.channel.request(encodeAdCommand(AD_COMMANDS.weightNow), {
      timeoutMs: this.timeoutMs,
      signal,
      accept: isWeighingReply,
    });
    return sampleOf(this.weightOf(reply.bytes, AD_COMMANDS.weightNow));
  }

  /** The weight in a reply; throws the device's error or a garbled-frame error. */
  private weightOf(bytes: Buffer, command: string): AdWeight {
    const result = decodeAdFrame(bytes);
    if (!result.ok) {
      this.channel.noteRejected(bytes);
      throw new MetrogateError(result.code, `port ${this.port}: reply to ${command}: ${result.reason}`, {
        device: this.deviceId,
        port: this.config.port,
      });
    }
    const frame = result.value;
    if (frame.kind === 'error') throw this.replyError(frame, command);
    if (frame.kind !== 'weight') {
      throw new MetrogateError('MG_ERR_FRAME_GARBLED', `port ${this.port}: unexpected reply to ${command}`, {
        device: this.deviceId,
        port: this.config.port,
      });
    }
    return frame;
  }

  private replyError(error: AdErrorReply, command: string): MetrogateError {
    return this.deviceError(
      error.errorCode,
      `command "${command}" answered EC,E${error.code} (${error.description})`,
    );
  }

  private async streamSample(signal: AbortSignal): Promise<WeightSample> {
    const latest = this.channel.latest;
    if (
      latest !== undefined &&
      latest !== this.lastStreamFrame &&
      performance.now() - latest.at <= this.config.maxFrameAgeMs
    ) {
      const frame = decodedFrame(latest.bytes);
      if (frame?.kind === 'weight') {
        this.lastStreamFrame = latest;
        return sampleOf(frame);
      }
    }
    return sampleOf(await this.nextStreamWeight(signal));
  }

  /** Waits for a weight frame that arrives after this call; undecodable ones count as garbage. */
  private async nextStreamWeight(signal: AbortSignal): Promise<AdWeight> {
    const arrivedBefore = this.arrivals;
    const frame = await this.channel.nextFrame({
      timeoutMs: this.timeoutMs,
      signal,
      accept: (bytes) => {
        const arrival = this.arrival.get(bytes);
        if (arrival !== undefined && arrival <= arrivedBefore) return false;
        const result = decodeAdFrame(bytes);
        if (!result.ok) {
          this.channel.noteRejected(bytes);
          return false;
        }
        return result.value.kind === 'weight';
      },
    });
    this.lastStreamFrame = frame;
    return this.weightOf(frame.bytes, 'stream output');
  }

  override async readStable(signal: AbortSignal, timeoutMs: number): Promise<Reading> {
    const command = this.config.stableCommand;
    if (this.config.mode === 'stream' || command === null) return super.readStable(signal, timeoutMs);
    this.assertConnected();
    const deadline = performance.now() + timeoutMs;
    let last: AdWeight | undefined;
    for (;;) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) break;
      throwIfAborted(signal);
      const ts = this.deps.now();
      let reply: ReceivedFrame;
      try {
        reply = await this.channel.request(encodeAdCommand(command), {
          timeoutMs: remaining,
          signal,
          accept: isWeighingReply,
        });
      } catch (error) {
        if (isMetrogateError(error, 'MG_ERR_TIMEOUT') || isMetrogateError(error, 'MG_ERR_ABORTED')) {
          // The device still waits for stability; without C its late answer would meet the next request.
          await this.channel.send(encodeAdCommand(AD_COMMANDS.cancel)).catch(() => undefined);
        }
        if (isMetrogateError(error, 'MG_ERR_TIMEOUT')) break;
        throw error;
      }
      const frame = decodedFrame(reply.bytes);
      if (frame?.kind === 'error' && frame.errorCode === 'MG_ERR_COMMAND_UNSUPPORTED') {
        this.deps.logger.debug({ device: this.deviceId, command }, 'stable-weight command refused; polling');
        return super.readStable(signal, deadline - performance.now());
      }
      last = this.weightOf(reply.bytes, command);
      if (last.quality === 'good') return this.toReading('weight', sampleOf(last), ts);
      await delay(STABLE_RETRY_MS, signal);
    }
    throw new MetrogateError(
      'MG_ERR_TIMEOUT',
      `port ${this.port}: no stable weight within ${timeoutMs} ms after "${command}"` +
        ` (last: ${last ? `${last.value} ${last.unit} ${last.quality}` : 'no answer'})`,
      { device: this.deviceId, port: this.config.port },
    );
  }

  async zero(signal: AbortSignal): Promise<void> {
    await this.control(this.config.zeroCommand, signal);
  }

  async tare(signal: AbortSignal): Promise<void> {
    await this.control(this.config.tareCommand, signal);
  }

  async clearTare(signal: AbortSignal): Promise<void> {
    if (this.config.clearTareCommand === null) {
      this.assertConnected();
      throw this.deviceError(
        'MG_ERR_COMMAND_UNSUPPORTED',
        'no clear-tare command is configured (clearTareCommand: null)',
      );
    }
    await this.control(this.config.clearTareCommand, signal);
  }

  private async control(command: string, signal: AbortSignal): Promise<void> {
    this.assertConnected();
    throwIfAborted(signal);
    const errors: AdErrorReply[] = [];
    // An EC reply may arrive between two requests, where no request would see it.
    const stopWatching = this.channel.onFrame((frame) => {
      const decoded = decodedFrame(frame.bytes);
      if (decoded?.kind === 'error') errors.push(decoded);
    });
    try {
      if (this.config.acknowledge === 'ak') {
        const reply = await this.channel
          .request(encodeAdCommand(command), { timeoutMs: this.timeoutMs, signal, accept: isAckOrError })
          .catch((error: unknown) => {
            if (!isMetrogateError(error, 'MG_ERR_TIMEOUT')) throw error;
            throw new MetrogateError(
              'MG_ERR_TIMEOUT',
              `port ${this.port}: no <AK> to "${command}" within ${this.timeoutMs} ms; ` +
                'if the AK/error-code output of the device is off, set acknowledge: none',
              { device: this.deviceId, port: this.config.port },
            );
          });
        const frame = decodedFrame(reply.bytes);
        if (frame?.kind === 'error') throw this.replyError(frame, command);
      } else {
        await this.channel.send(encodeAdCommand(command), signal);
      }
      await this.pause(signal);
      await this.awaitCarriedOut(signal).catch((error: unknown) => {
        if (errors.length === 0) throw error;
      });
      if (errors.length > 0) throw this.replyError(errors[0]!, command);
    } finally {
      stopWatching();
    }
  }

  /**
   * Resolves once the device has handled every command sent before: in poll mode a `Q` answered
   * after them; in stream mode the second frame after them (the first may have left before).
   */
  private async awaitCarriedOut(signal: AbortSignal): Promise<void> {
    if (this.config.mode === 'poll') {
      await this.sample(signal);
      return;
    }
    await this.nextStreamWeight(signal);
    await this.nextStreamWeight(signal);
  }

  private async pause(signal: AbortSignal): Promise<void> {
    if (this.config.commandGapMs > 0) await delay(this.config.commandGapMs, signal);
  }
}

/**
 * `metrogate scan`: asks for a weight (every A&D device answers `Q`, or `EC,Exx` which only A&D
 * sends), then for the model name within what is left of the deadline.
 */
export const adScanSupport: ScanSupport = {
  createFramer: () => createAdFramer(),
  isOwnFrame: (frame) => isAdWeightFrame(frame),
  async probe(channel: FrameChannel, options) {
    const deadline = performance.now() + options.timeoutMs;
    const remaining = () => Math.max(1, Math.floor(deadline - performance.now()));
    const ask = async (command: string, accept: (bytes: Buffer) => boolean) => {
      try {
        const reply = await channel.request(encodeAdCommand(command), {
          timeoutMs: remaining(),
          accept,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        return decodedFrame(reply.bytes);
      } catch (error) {
        if (isMetrogateError(error, 'MG_ERR_ABORTED')) throw error;
        return undefined;
      }
    };
    const answer = await ask(AD_COMMANDS.weightNow, isWeighingReply);
    if (answer?.kind !== 'weight' && answer?.kind !== 'error') return undefined;
    const identity: DeviceIdentity = answer.kind === 'weight' ? { unit: answer.unit } : {};
    if (deadline - performance.now() < 1) return identity;
    const model = await ask(AD_COMMANDS.modelName, (bytes) => {
      const frame = decodedFrame(bytes);
      return frame?.kind === 'error' || (frame?.kind === 'identity' && frame.field === 'TN');
    });
    if (model?.kind === 'identity' && model.text !== '') identity.model = model.text;
    return identity;
  },
};
