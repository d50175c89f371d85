/**
 * Sartorius SBI balance driver. SBI acknowledges no command; only the print and identification
 * commands produce a line. In autoprint mode the balance prints on its own and every poll takes a
 * line no earlier poll has taken.
 */
import { throwIfAborted } from '../abort.js';
import type { DeviceIdentity, DriverDeps } from '../contract.js';
import { isMetrogateError } from '../errors.js';
import { SerialScaleDriverBase, type WeightSample } from '../scale-common/serial-scale-driver.js';
import type { FrameChannel, ReceivedFrame } from '../transport/frame-channel.js';
import type { Framer } from '../transport/framers.js';
import type { SbiConfig } from './config.js';
import {
  createSbiFramer,
  decodeSbiPrint,
  decodeSbiTextReply,
  encodeSbiCommand,
  isSbiPrintLine,
  parseSbiCommand,
  type SbiFormatSetting,
  type SbiPrint,
} from './protocol.js';

export const SBI_DRIVER_ID = 'scale-sbi';

const IDENTITY_QUERIES = [
  ['model', encodeSbiCommand('model')],
  ['serialNumber', encodeSbiCommand('serialNumber')],
  ['softwareVersion', encodeSbiCommand('softwareVersion')],
] as const;

/**
 * Numbers the frames a channel delivers, so that a wait can tell a line that arrived after a
 * command was sent from one that was already queued: the channel hands queued frames to a new wait
 * first, and an autoprinting balance fills that queue.
 */
export class FrameLedger {
  private readonly numbers = new WeakMap<Buffer, number>();
  private count = 0;
  private newestFrame: ReceivedFrame | undefined;
  private readonly stop: () => void;

  constructor(channel: FrameChannel) {
    this.stop = channel.onFrame((frame) => {
      this.numbers.set(frame.bytes, ++this.count);
      this.newestFrame = frame;
    });
  }

  get newest(): ReceivedFrame | undefined {
    return this.newestFrame;
  }

  mark(): number {
    return this.count;
  }

  /** A frame not numbered yet is being delivered right now (waiters see it before listeners do). */
  isAfter(bytes: Buffer, mark: number): boolean {
    return (this.numbers.get(bytes) ?? Number.POSITIVE_INFINITY) > mark;
  }

  dispose(): void {
    this.stop();
  }
}

/**
 * Accepts an identification reply and leaves print lines alone (an autoprinting balance keeps
 * printing while it answers); bytes that are neither are noted as garbage.
 */
function isIdentityReply(channel: FrameChannel, bytes: Buffer): boolean {
  const print = decodeSbiPrint(bytes, 'auto');
  if (print.ok || print.code !== 'MG_ERR_FRAME_GARBLED') return false;
  if (decodeSbiTextReply(bytes).ok) return true;
  channel.noteRejected(bytes);
  return false;
}

/**
 * Sends the identification commands one after the other and collects the answers. A balance that
 * ignores them (older models, or one busy autoprinting) yields an empty identity, not an error: the
 * first unanswered query ends the questioning so that connect is not delayed three times.
 */
export async function querySbiIdentity(
  channel: FrameChannel,
  options: {
    timeoutMs: number;
    signal?: AbortSignal;
    /** performance.now() by which the questioning must be over (scan probes). */
    deadline?: number;
  },
): Promise<DeviceIdentity> {
  const identity: DeviceIdentity = {};
  const ledger = new FrameLedger(channel);
  try {
    for (const [field, command] of IDENTITY_QUERIES) {
      const timeoutMs = Math.min(
        options.timeoutMs,
        (options.deadline ?? Number.POSITIVE_INFINITY) - performance.now(),
      );
      if (timeoutMs < 1) break;
      const mark = ledger.mark();
      try {
        // send + nextFrame rather than request: request resets the framer, and the rest of a line
        // being autoprinted would then arrive as a fragment that looks like a text reply.
        await channel.send(command, options.signal);
        const reply = await channel.nextFrame({
          timeoutMs,
          accept: (bytes) => ledger.isAfter(bytes, mark) && isIdentityReply(channel, bytes),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        const text = decodeSbiTextReply(reply.bytes);
        if (text.ok) identity[field] = text.value.text;
      } catch (error) {
        if (isMetrogateError(error, 'MG_ERR_TIMEOUT') || isMetrogateError(error, 'MG_ERR_FRAME_GARBLED'))
          break;
        throw error;
      }
    }
  } finally {
    ledger.dispose();
  }
  return identity;
}

export class SbiScaleDriver extends SerialScaleDriverBase<SbiConfig> {
  private readonly printCommand: Buffer;
  private readonly tareCommand: Buffer;
  private readonly zeroCommand: Buffer;
  private readonly clearTareCommand: Buffer | undefined;
  private readonly format: SbiFormatSetting;
  /** Unit of the last stable line, reported while the balance prints none. */
  private lastUnit = '';
  /** Autoprint lines as they arrive; a poll takes only lines newer than the last one taken. */
  private ledger: FrameLedger | undefined;
  private takenFrame: Buffer | undefined;

  constructor(config: SbiConfig, deps: DriverDeps) {
    super(SBI_DRIVER_ID, config, deps);
    // The schema has validated every command, so parsing cannot fail here.
    this.printCommand = parseSbiCommand(config.printCommand)!;
    this.tareCommand = parseSbiCommand(config.tareCommand)!;
    this.zeroCommand = parseSbiCommand(config.zeroCommand)!;
    this.clearTareCommand =
      config.clearTareCommand === null ? undefined : parseSbiCommand(config.clearTareCommand);
    this.format = config.format;
  }

  protected createFramer(): Framer {
    return createSbiFramer();
  }

  protected async handshake(signal: AbortSignal): Promise<DeviceIdentity> {
    this.ledger ??= new FrameLedger(this.channel);
    // SBI has no command that stops autoprint (it is a menu setting), so nothing is stopped here:
    // in poll mode the print request discards whatever was printed before it.
    if (!this.config.identify) return {};
    return querySbiIdentity(this.channel, { timeoutMs: this.timeoutMs, signal });
  }

  /**
   * Accepts print lines and device answers; garbage is noted so that a timeout reports
   * MG_ERR_FRAME_GARBLED instead of silence.
   */
  private acceptPrint(bytes: Buffer): boolean {
    const result = decodeSbiPrint(bytes, this.format);
    if (result.ok || result.code !== 'MG_ERR_FRAME_GARBLED') return true;
    this.channel.noteRejected(bytes);
    return false;
  }

  protected async sample(signal: AbortSignal): Promise<WeightSample> {
    throwIfAborted(signal);
    const frame =
      this.config.mode === 'autoprint' ? await this.nextPrinted(signal) : await this.requestPrint(signal);
    return this.toSample(frame);
  }

  private async requestPrint(signal: AbortSignal): Promise<Buffer> {
    const reply = await this.channel.request(this.printCommand, {
      timeoutMs: this.timeoutMs,
      signal,
      accept: (bytes) => this.acceptPrint(bytes),
    });
    return reply.bytes;
  }

  private async nextPrinted(signal: AbortSignal): Promise<Buffer> {
    const ledger = this.ledger!;
    const mark = ledger.mark();
    const newest = ledger.newest;
    if (
      newest &&
      newest.bytes !== this.takenFrame &&
      performance.now() - newest.at <= this.config.autoprintMaxAgeMs &&
      this.acceptPrint(newest.bytes)
    ) {
      this.takenFrame = newest.bytes;
      return newest.bytes;
    }
    const frame = await this.channel.nextFrame({
      timeoutMs: this.timeoutMs,
      signal,
      accept: (bytes) => ledger.isAfter(bytes, mark) && this.acceptPrint(bytes),
    });
    this.takenFrame = frame.bytes;
    return frame.bytes;
  }

  private toSample(frame: Buffer): WeightSample {
    const result = decodeSbiPrint(frame, this.format);
    if (!result.ok) {
      const code =
        result.code === 'MG_ERR_DEVICE_BUSY' || result.code === 'MG_ERR_DEVICE_ERROR'
          ? result.code
          : 'MG_ERR_DEVICE_ERROR';
      throw this.deviceError(code, result.reason);
    }
    return this.sampleOf(result.value);
  }

  private sampleOf(print: SbiPrint): WeightSample {
    if (print.quality === 'good') this.lastUnit = print.unit;
    return {
      value: print.value,
      unit: print.unit !== '' ? print.unit : (this.config.unit ?? this.lastUnit),
      quality: print.quality,
    };
  }

  private async sendCommand(command: Buffer, signal: AbortSignal): Promise<void> {
    this.assertConnected();
    throwIfAborted(signal);
    await this.channel.send(command, signal);
    if (this.config.confirmCommands) await this.awaitReceipt(signal);
  }

  /**
   * SBI acknowledges nothing, but a balance handles its input in order: the line printed in answer
   * to a print request sent after a command proves that the command has been read. An autoprinting
   * balance may have a line in flight already, so there the second line counts.
   */
  private async awaitReceipt(signal: AbortSignal): Promise<void> {
    const needed = this.config.mode === 'autoprint' ? 2 : 1;
    let lines = 0;
    await this.channel.request(this.printCommand, {
      timeoutMs: this.timeoutMs,
      signal,
      accept: (bytes) => isSbiPrintLine(bytes) && ++lines >= needed,
    });
  }

  async zero(signal: AbortSignal): Promise<void> {
    await this.sendCommand(this.zeroCommand, signal);
  }

  async tare(signal: AbortSignal): Promise<void> {
    await this.sendCommand(this.tareCommand, signal);
  }

  async clearTare(signal: AbortSignal): Promise<void> {
    if (!this.clearTareCommand) {
      this.assertConnected();
      throw this.deviceError(
        'MG_ERR_COMMAND_UNSUPPORTED',
        'SBI has no clear-tare command; set clearTareCommand to the key command your model uses (e.g. "ESC s3_")',
      );
    }
    await this.sendCommand(this.clearTareCommand, signal);
  }

  override async close(): Promise<void> {
    this.ledger?.dispose();
    this.ledger = undefined;
    await super.close();
  }
}
