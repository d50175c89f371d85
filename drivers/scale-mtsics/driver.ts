/**
 * MT-SICS balance driver. Poll mode sends `SI` (or `S`) per poll; stream mode starts `SIR` and takes
 * the newest streamed line. `readStable` uses `S`, for which the balance itself waits for stability.
 */
import { delay, throwIfAborted } from '../abort.js';
import type { DeviceIdentity, DriverDeps, Reading } from '../contract.js';
import type { DecodeResult } from '../decode-result.js';
import { showFrame } from '../decode-result.js';
import { type ErrorCode, isMetrogateError, MetrogateError } from '../errors.js';
import { SerialScaleDriverBase, type WeightSample } from '../scale-common/serial-scale-driver.js';
import type { FrameChannel, ReceivedFrame } from '../transport/frame-channel.js';
import type { Framer } from '../transport/framers.js';
import type { MtsicsConfig } from './config.js';
import {
  createMtsicsFramer,
  decodeMtsicsReply,
  encodeCommand,
  encodePresetTare,
  isGeneralError,
  type MtsicsCommand,
  type MtsicsReply,
  parseBalanceData,
  parseTextReply,
  replyIdOf,
  WEIGHT_REPLY_IDS,
} from './protocol.js';

export const MTSICS_DRIVER_ID = 'scale-mtsics';

/** Pause between two `S` attempts after `S I` or a non-stable answer, so a fast "no" does not spin. */
const STABLE_RETRY_MS = 50;

/** `@` is answered by `I4` (some firmwares echo `@`). */
const RESET_REPLY_IDS = ['I4', '@'];

type WeighReply = Extract<MtsicsReply, { kind: 'weight' }>;

/** Accepts the replies to one command (by reply id), the general errors, and unreadable lines. */
function replyFilter(ids: readonly string[]): (bytes: Buffer) => boolean {
  return (bytes) => {
    const id = replyIdOf(bytes);
    // An unreadable line is taken as the answer, so the command fails at once with the reason.
    if (id === undefined || isGeneralError(id)) return true;
    return ids.includes(id);
  };
}

function isDynamicWeightLine(bytes: Buffer): boolean {
  const result = decodeMtsicsReply(bytes);
  return result.ok && result.value.kind === 'weight' && result.value.status === 'D';
}

export class MtsicsDriver extends SerialScaleDriverBase<MtsicsConfig> {
  /** Stream mode: SIR is believed to be running (false after any other command or a reconnect). */
  private streamRunning = false;
  /** The streamed line the last poll used; a poll never reports the same line twice. */
  private consumed: ReceivedFrame | undefined;
  /** Overload and underload replies carry no unit; the last one the balance printed is used. */
  private lastUnit: string | undefined;
  private unwatchLink: (() => void) | undefined;

  constructor(config: MtsicsConfig, deps: DriverDeps) {
    super(MTSICS_DRIVER_ID, config, deps);
  }

  protected createFramer(): Framer {
    return createMtsicsFramer();
  }

  protected async handshake(signal: AbortSignal): Promise<DeviceIdentity> {
    this.watchLink();
    this.streamRunning = false;
    const identity: DeviceIdentity = {};
    await flushDeviceInput(this.channel, Math.min(FLUSH_WAIT_MS, this.timeoutMs), signal);
    // `@` stops a stream left running and cancels pending commands; its answer is the serial number.
    const reset = await this.exchange('@', RESET_REPLY_IDS, signal, this.timeoutMs);
    const resetReply = decodeMtsicsReply(reset.bytes);
    if (resetReply.ok && resetReply.value.kind === 'reply') {
      const serial = parseTextReply(resetReply.value.params);
      if (serial !== undefined) identity.serialNumber = serial;
    } else if (!resetReply.ok) {
      const id = replyIdOf(reset.bytes);
      // ES/EL/`I4 I` still prove an MT-SICS device; garbage or ET mean the line settings are wrong.
      if (id === undefined || id === 'ET' || resetReply.code === 'MG_ERR_FRAME_GARBLED') {
        throw this.rejection(reset.bytes, resetReply, 'reset (@)');
      }
    }
    const balanceData = await this.askIdentity('I2', signal);
    if (balanceData) Object.assign(identity, parseBalanceData(balanceData));
    const software = await this.askIdentity('I3', signal);
    const version = software && parseTextReply(software);
    if (version !== undefined) identity.softwareVersion = version;
    // MT-SICS level and the versions of levels 0–3: tells which commands the balance implements.
    const levels = await this.askIdentity('I1', signal);
    if (levels && levels.length > 0) {
      identity.mtsicsLevel = levels[0]!.replace(/"/g, '');
      if (levels.length > 1)
        identity.mtsicsVersions = levels
          .slice(1)
          .map((v) => v.replace(/"/g, ''))
          .join(' ');
    }
    if (identity.serialNumber === undefined) {
      const serial = await this.askIdentity('I4', signal);
      const text = serial && parseTextReply(serial);
      if (text !== undefined) identity.serialNumber = text;
    }
    if (identity.unit !== undefined) this.lastUnit = identity.unit;
    if (this.config.mode === 'stream') {
      await this.startStream(signal).catch((error) => {
        // A busy balance still streams; the next poll reports what it says then.
        if (!isMetrogateError(error, 'MG_ERR_DEVICE_BUSY')) throw error;
      });
    }
    return identity;
  }

  protected async sample(signal: AbortSignal): Promise<WeightSample> {
    throwIfAborted(signal);
    if (this.config.mode === 'stream') return this.streamSample(signal);
    const command = this.config.weighCommand;
    // With S the balance holds its answer until the weight is stable.
    const timeoutMs = command === 'S' ? this.stabilityTimeoutMs : this.timeoutMs;
    const frame = await this.exchange(command, WEIGHT_REPLY_IDS, signal, timeoutMs);
    return this.weightOf(frame.bytes, `weighing (${command})`);
  }

  /** Waits for a stable weight with `S`, retrying after `S I` (no stability within the balance's timeout). */
  override async readStable(signal: AbortSignal, timeoutMs: number): Promise<Reading> {
    this.assertConnected();
    // S ends a running SIR; the next poll starts the stream again.
    this.streamRunning = false;
    const deadline = performance.now() + timeoutMs;
    let last: string | undefined;
    for (;;) {
      throwIfAborted(signal);
      const remaining = deadline - performance.now();
      if (remaining <= 0) break;
      const ts = this.deps.now();
      let frame: ReceivedFrame;
      try {
        frame = await this.channel.request(encodeCommand('S'), {
          timeoutMs: remaining,
          signal,
          // A dynamic line still in flight from a stream is not the answer to S.
          accept: (bytes) => replyFilter(WEIGHT_REPLY_IDS)(bytes) && !isDynamicWeightLine(bytes),
        });
      } catch (error) {
        if (isMetrogateError(error, 'MG_ERR_TIMEOUT')) break;
        throw error;
      }
      const result = decodeMtsicsReply(frame.bytes);
      if (result.ok && result.value.kind === 'weight') {
        const sample = this.sampleOf(result.value);
        if (sample.quality === 'good') return this.toReading('weight', sample, ts);
        last = `${sample.value} ${sample.unit} ${sample.quality}`.replace(/\s+/g, ' ').trim();
      } else if (!result.ok && result.code === 'MG_ERR_DEVICE_BUSY') {
        last = "S I: no stability within the balance's own timeout";
      } else {
        throw this.rejection(frame.bytes, result, 'stable weighing (S)');
      }
      await delay(Math.max(0, Math.min(STABLE_RETRY_MS, deadline - performance.now())), signal);
    }
    throw this.failure(
      'MG_ERR_TIMEOUT',
      `no stable weight within ${timeoutMs} ms (last: ${last ?? 'no answer to S; the load is still moving or the device is silent'})`,
    );
  }

  /** `Z`: zero once the weight is stable. */
  async zero(signal: AbortSignal): Promise<void> {
    await this.command('Z', ['Z'], 'zero (Z)', signal, true);
  }

  /** `ZI`: zero at once, stable or not. Returns whether the balance was stable when it zeroed. */
  async zeroImmediately(signal: AbortSignal): Promise<{ stable: boolean }> {
    // Some firmwares answer ZI with the Z error replies (reference §1.1, UNCONFIRMED).
    const reply = await this.command('ZI', ['ZI', 'Z'], 'zero immediately (ZI)', signal, false);
    return { stable: reply.status !== 'D' };
  }

  /** `T`: tare once the weight is stable. */
  async tare(signal: AbortSignal): Promise<void> {
    await this.tareWith('T', signal);
  }

  /** `TI`: tare at once. Returns the tare value the balance stored. */
  async tareImmediately(signal: AbortSignal): Promise<{ value: string; unit: string; stable: boolean }> {
    return this.tareWith('TI', signal);
  }

  /** `TA`: the tare value stored in the balance. */
  async queryTare(signal: AbortSignal): Promise<{ value: string; unit: string }> {
    const reply = await this.command('TA', ['TA'], 'tare query (TA)', signal, false);
    if (reply.kind !== 'tare') {
      throw this.failure('MG_ERR_FRAME_GARBLED', 'tare query (TA): the answer carries no tare value');
    }
    return { value: reply.value, unit: reply.unit };
  }

  /** `TA <value> <unit>`: presets the tare. Returns the tare value the balance stored. */
  async presetTare(
    signal: AbortSignal,
    value: string,
    unit: string,
  ): Promise<{ value: string; unit: string }> {
    const reply = await this.command(
      encodePresetTare(value, unit),
      ['TA'],
      'preset tare (TA)',
      signal,
      false,
    );
    return reply.kind === 'tare' ? { value: reply.value, unit: reply.unit } : { value: value.trim(), unit };
  }

  /** `TAC`: clears the tare. */
  async clearTare(signal: AbortSignal): Promise<void> {
    await this.command('TAC', ['TAC'], 'clear tare (TAC)', signal, false);
  }

  override async close(): Promise<void> {
    if (this.streamRunning) {
      // Leave the balance quiet for whoever opens the port next.
      this.streamRunning = false;
      await this.channel.send(encodeCommand('@')).catch(() => undefined);
    }
    this.unwatchLink?.();
    this.unwatchLink = undefined;
    await super.close();
  }

  private get stabilityTimeoutMs(): number {
    return Math.max(this.timeoutMs, this.config.stabilityWaitMs);
  }

  /** A reconnected port means a balance that may have restarted: its stream must be started again. */
  private watchLink(): void {
    if (this.unwatchLink) return;
    this.unwatchLink = this.channel.link.onStateChange((state) => {
      if (state !== 'open') this.streamRunning = false;
    });
  }

  private async tareWith(
    command: 'T' | 'TI',
    signal: AbortSignal,
  ): Promise<{ value: string; unit: string; stable: boolean }> {
    const what = command === 'T' ? 'tare (T)' : 'tare immediately (TI)';
    const reply = await this.command(command, [command], what, signal, command === 'T');
    if (reply.kind !== 'tare') return { value: '', unit: this.lastUnit ?? '', stable: reply.status !== 'D' };
    return { value: reply.value, unit: reply.unit, stable: reply.status !== 'D' };
  }

  /** Sends a command and returns its successful reply, or throws what the balance said. */
  private async command(
    command: MtsicsCommand | Buffer,
    replyIds: readonly string[],
    what: string,
    signal: AbortSignal,
    waitsForStability: boolean,
  ): Promise<MtsicsReply> {
    this.assertConnected();
    // On some balances any command ends SIR; the next poll starts it again (SIR over SIR is harmless).
    this.streamRunning = false;
    const timeoutMs = waitsForStability ? this.stabilityTimeoutMs : this.timeoutMs;
    const frame = await this.exchange(command, replyIds, signal, timeoutMs);
    const result = decodeMtsicsReply(frame.bytes);
    if (!result.ok) throw this.rejection(frame.bytes, result, what);
    return result.value;
  }

  private async askIdentity(
    command: 'I1' | 'I2' | 'I3' | 'I4',
    signal: AbortSignal,
  ): Promise<string[] | undefined> {
    try {
      const frame = await this.exchange(command, [command], signal, this.timeoutMs);
      const result = decodeMtsicsReply(frame.bytes);
      if (result.ok && result.value.kind === 'reply') return result.value.params;
      this.deps.logger.debug(
        { device: this.deviceId, command, reply: showFrame(frame.bytes) },
        'identity query not answered',
      );
    } catch (error) {
      // Identification is a courtesy: a balance that ignores it can still weigh.
      if (!isMetrogateError(error, 'MG_ERR_TIMEOUT') && !isMetrogateError(error, 'MG_ERR_FRAME_GARBLED')) {
        throw error;
      }
      this.deps.logger.debug({ device: this.deviceId, command, err: error }, 'identity query failed');
    }
    return undefined;
  }

  private exchange(
    command: MtsicsCommand | Buffer,
    replyIds: readonly string[],
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<ReceivedFrame> {
    const bytes = typeof command === 'string' ? encodeCommand(command) : command;
    return this.channel.request(bytes, { timeoutMs, signal, accept: replyFilter(replyIds) });
  }

  private async startStream(signal: AbortSignal): Promise<WeightSample> {
    const frame = await this.exchange('SIR', WEIGHT_REPLY_IDS, signal, this.timeoutMs);
    this.streamRunning = true;
    this.consumed = frame;
    return this.weightOf(frame.bytes, 'streamed weighing (SIR)');
  }

  private async streamSample(signal: AbortSignal): Promise<WeightSample> {
    if (!this.streamRunning) return this.startStream(signal);
    const latest = this.channel.latest;
    if (
      latest !== undefined &&
      latest !== this.consumed &&
      performance.now() - latest.at <= this.config.streamMaxAgeMs &&
      this.isWeightLine(latest.bytes)
    ) {
      this.consumed = latest;
      return this.weightOf(latest.bytes, 'streamed weighing (SIR)');
    }
    const waitFrom = performance.now();
    try {
      const frame = await this.channel.nextFrame({
        timeoutMs: this.timeoutMs,
        signal,
        accept: (bytes) => this.acceptStreamed(bytes, waitFrom),
      });
      this.consumed = frame;
      return this.weightOf(frame.bytes, 'streamed weighing (SIR)');
    } catch (error) {
      // A silent line may be a balance that restarted and forgot SIR: ask again next time.
      if (isMetrogateError(error, 'MG_ERR_TIMEOUT') || isMetrogateError(error, 'MG_ERR_FRAME_GARBLED')) {
        this.streamRunning = false;
      }
      throw error;
    }
  }

  /** Only lines that arrive while this poll waits; garbled ones are noted so a timeout says so. */
  private acceptStreamed(bytes: Buffer, waitFrom: number): boolean {
    const newest = this.channel.latest;
    if (newest === undefined || newest.bytes !== bytes || newest.at < waitFrom) return false;
    const result = decodeMtsicsReply(bytes);
    if (!result.ok && result.code === 'MG_ERR_FRAME_GARBLED') {
      this.channel.noteRejected(bytes);
      return false;
    }
    const id = replyIdOf(bytes);
    return id !== undefined && WEIGHT_REPLY_IDS.includes(id);
  }

  private isWeightLine(bytes: Buffer): boolean {
    const result = decodeMtsicsReply(bytes);
    return result.ok && result.value.kind === 'weight';
  }

  private weightOf(bytes: Buffer, what: string): WeightSample {
    const result = decodeMtsicsReply(bytes);
    if (!result.ok) throw this.rejection(bytes, result, what);
    if (result.value.kind !== 'weight') {
      throw this.failure('MG_ERR_FRAME_GARBLED', `${what}: "${showFrame(bytes)}" is not a weight reply`);
    }
    return this.sampleOf(result.value);
  }

  private sampleOf(reply: WeighReply): WeightSample {
    if (reply.unit !== undefined) this.lastUnit = reply.unit;
    // `S +` / `S -` carry no number: the reading says overload/underload with an empty value.
    return { value: reply.value ?? '', unit: reply.unit ?? this.lastUnit ?? '', quality: reply.quality };
  }

  /** Turns a rejected reply into the error the caller sees, naming the device, port and settings. */
  private rejection(bytes: Buffer, result: DecodeResult<unknown>, what: string): MetrogateError {
    if (result.ok)
      return this.failure('MG_ERR_FRAME_GARBLED', `${what}: unexpected reply "${showFrame(bytes)}"`);
    if (result.code === 'MG_ERR_FRAME_GARBLED') {
      this.channel.noteRejected(bytes);
      return this.failure(
        'MG_ERR_FRAME_GARBLED',
        `${what}: ${result.reason}; check the baud rate, parity and that the device speaks MT-SICS`,
      );
    }
    return this.failure(result.code, `${what}: ${result.reason}`);
  }

  private failure(code: ErrorCode, message: string): MetrogateError {
    return new MetrogateError(code, `${this.deviceId} (${this.channel.link.description}): ${message}`, {
      device: this.deviceId,
      port: this.config.port,
    });
  }
}

/**
 * `metrogate scan`: asks `I4` (read-only, level 0; `@` is avoided because it resets the balance) and,
 * when the deadline allows, `I2`. A device that answers `ES`/`EL` is an MT-SICS device without those
 * queries; `ET` means our bytes arrived corrupted, so these are not the device's line settings.
 */
/** How long to wait for the balance's answer to the empty line that clears its input buffer. */
const FLUSH_WAIT_MS = 100;

/**
 * Sends an empty command line and waits briefly for whatever comes back. Noise, or bytes received
 * at another baud rate (a scan, a cable plugged in live), leave a partial line in the balance's
 * input buffer; the next command would be appended to it and answered ES or ET. The balance answers
 * the empty line (ES) and starts the next command clean.
 */
async function flushDeviceInput(channel: FrameChannel, waitMs: number, signal?: AbortSignal): Promise<void> {
  try {
    await channel.request(Buffer.from('\r\n', 'latin1'), {
      timeoutMs: waitMs,
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (isMetrogateError(error, 'MG_ERR_ABORTED')) throw error;
  }
}

export async function probeMtsics(
  channel: FrameChannel,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<DeviceIdentity | undefined> {
  const deadline = performance.now() + options.timeoutMs;
  const ask = async (command: 'I4' | 'I2'): Promise<ReceivedFrame | undefined> => {
    const remaining = deadline - performance.now();
    if (remaining <= 0) return undefined;
    try {
      return await channel.request(encodeCommand(command), {
        timeoutMs: remaining,
        ...(options.signal ? { signal: options.signal } : {}),
        accept: (bytes) => {
          const id = replyIdOf(bytes);
          return id === command || isGeneralError(id);
        },
      });
    } catch (error) {
      if (isMetrogateError(error, 'MG_ERR_ABORTED')) throw error;
      return undefined;
    }
  };
  await flushDeviceInput(channel, Math.min(FLUSH_WAIT_MS, options.timeoutMs / 3), options.signal);
  const serialFrame = await ask('I4');
  if (!serialFrame) return undefined;
  const id = replyIdOf(serialFrame.bytes);
  const serialReply = decodeMtsicsReply(serialFrame.bytes);
  const identity: DeviceIdentity = {};
  if (serialReply.ok && serialReply.value.kind === 'reply') {
    const serial = parseTextReply(serialReply.value.params);
    if (serial !== undefined) identity.serialNumber = serial;
  } else if (id === 'ET' || (!serialReply.ok && serialReply.code === 'MG_ERR_FRAME_GARBLED')) {
    return undefined;
  }
  const dataFrame = await ask('I2');
  if (dataFrame) {
    const data = decodeMtsicsReply(dataFrame.bytes);
    if (data.ok && data.value.kind === 'reply') Object.assign(identity, parseBalanceData(data.value.params));
  }
  return identity;
}
