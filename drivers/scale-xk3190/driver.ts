/**
 * XK3190 driver. In continuous mode the indicator streams and accepts no command: the driver keeps
 * listening, judges stability from runs of equal values and range from the configured Max and e,
 * and a poll takes the newest frame no earlier poll has taken. In instruction mode (RS-485) it asks
 * for the weight itself.
 */
import { delay, throwIfAborted } from '../abort.js';
import type { DeviceIdentity, DriverDeps, Quality } from '../contract.js';
import { Dec } from '../decimal.js';
import type { DecodeResult } from '../decode-result.js';
import { isMetrogateError, MetrogateError } from '../errors.js';
import { SerialScaleDriverBase, type WeightSample } from '../scale-common/serial-scale-driver.js';
import type { ReceivedFrame } from '../transport/frame-channel.js';
import type { Framer } from '../transport/framers.js';
import type { ScaleXk3190Config } from './config.js';
import {
  createXk3190Framer,
  decodeEqFrame,
  decodeInstructionReply,
  decodeTf0Frame,
  encodeInstructionCommand,
  XK3190_COMMANDS,
  type Xk3190Command,
  type Xk3190Reply,
} from './protocol.js';

/** OIML R 76 display limits, in e: overload above Max + 9 e, underload below −20 e. */
const OVERLOAD_MARGIN_E = 9;
const UNDERLOAD_MARGIN_E = 20;

/** The newest good weight heard, with the length of its run of equal values. */
interface Observation {
  /** Arrival number of the frame (every frame counts, good or not). */
  seq: number;
  value: string;
  run: number;
  /** performance.now() of its arrival. */
  at: number;
}

export class ScaleXk3190Driver extends SerialScaleDriverBase<ScaleXk3190Config> {
  /** Arrival number of every frame the listener has seen, to tell new frames from queued old ones. */
  private readonly arrival = new WeakMap<Buffer, number>();
  private arrivals = 0;
  private newest: Observation | undefined;
  /** Arrival number of the frame the last poll returned; a poll never returns a frame twice. */
  private consumed = 0;
  private readonly unsubscribers: (() => void)[] = [];
  private readonly overloadAbove: Dec | undefined;
  private readonly underloadBelow: Dec | undefined;

  constructor(config: ScaleXk3190Config, deps: DriverDeps) {
    super('scale-xk3190', config, deps);
    const e = config.e === undefined ? undefined : new Dec(config.e);
    this.underloadBelow = e?.times(UNDERLOAD_MARGIN_E).negated();
    this.overloadAbove =
      e && config.max !== undefined ? new Dec(config.max).plus(e.times(OVERLOAD_MARGIN_E)) : undefined;
  }

  private get continuous(): boolean {
    return this.config.mode === 'continuous';
  }

  protected createFramer(): Framer {
    return createXk3190Framer(this.continuous ? this.config.format : 'tf0');
  }

  override init(): void {
    super.init();
    if (this.unsubscribers.length > 0 || !this.continuous) return;
    this.unsubscribers.push(
      this.channel.onFrame((frame) => this.observe(frame)),
      // A lost frame may have carried another value: the run of equal values starts again.
      this.channel.onGarbage(() => {
        this.newest = undefined;
      }),
    );
  }

  override async close(): Promise<void> {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    await super.close();
  }

  private decodeWeight(frame: Buffer): DecodeResult<{ value: string }> {
    switch (this.config.format) {
      case 'tf0':
        return decodeTf0Frame(frame);
      case 'eq-reversed':
      case 'eq':
        return decodeEqFrame(frame, this.config.format);
    }
  }

  /** Sees every streamed frame, polled or not: stability is judged on the whole stream. */
  private observe(frame: ReceivedFrame): void {
    const seq = ++this.arrivals;
    this.arrival.set(frame.bytes, seq);
    const result = this.decodeWeight(frame.bytes);
    if (!result.ok) {
      // Makes a poll that times out on bad frames say why (checksum or garbled), not "silent".
      this.channel.noteRejected(frame.bytes, result.code);
      this.newest = undefined;
      return;
    }
    const value = result.value.value;
    const run = this.newest?.value === value ? this.newest.run + 1 : 1;
    this.newest = { seq, value, run, at: frame.at };
  }

  /** Waits for a good frame that arrived after arrival number `after` (the listener records it). */
  private async nextGoodFrame(after: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
    await this.channel.nextFrame({
      timeoutMs: Math.max(1, Math.round(timeoutMs)),
      signal,
      accept: (bytes) =>
        (this.arrival.get(bytes) ?? Number.POSITIVE_INFINITY) > after && this.decodeWeight(bytes).ok,
    });
  }

  protected async handshake(signal: AbortSignal): Promise<DeviceIdentity> {
    if (this.continuous) {
      // Nothing to ask: hearing one good frame proves port, line settings and format.
      await this.nextGoodFrame(this.arrivals, this.timeoutMs, signal);
      return { format: this.config.format, unit: this.config.unit };
    }
    const reply = await this.instruct(XK3190_COMMANDS.handshake, signal);
    return { address: reply.address, unit: this.config.unit };
  }

  protected async sample(signal: AbortSignal): Promise<WeightSample> {
    throwIfAborted(signal);
    return this.continuous ? this.sampleStream(signal) : this.sampleByInstruction(signal);
  }

  /**
   * Takes the newest frame if no poll took it yet and it is younger than the timeout, else waits
   * for the next. A value that has not yet repeated `stableFrames` times is followed through the
   * next frames until one has (good) or the timeout runs out (the newest value, unstable): so a
   * load that has come to rest is reported good by the first poll that sees it, and a poll during
   * motion takes up to `timeoutMs`.
   */
  private async sampleStream(signal: AbortSignal): Promise<WeightSample> {
    const deadline = performance.now() + this.timeoutMs;
    const fresh = this.newest;
    let candidate =
      fresh && fresh.seq > this.consumed && performance.now() - fresh.at <= this.timeoutMs
        ? fresh
        : undefined;
    for (;;) {
      if (candidate && candidate.run >= this.config.stableFrames) return this.take(candidate, true);
      const remaining = deadline - performance.now();
      if (candidate && remaining <= 0) return this.take(candidate, false);
      try {
        await this.nextGoodFrame(this.arrivals, remaining, signal);
      } catch (error) {
        // The value was seen but not confirmed: report it unstable; the next poll reports the line.
        if (candidate && !isMetrogateError(error, 'MG_ERR_ABORTED')) return this.take(candidate, false);
        throw error;
      }
      candidate = this.newest ?? candidate;
    }
  }

  private take(observation: Observation, stable: boolean): WeightSample {
    this.consumed = observation.seq;
    return {
      value: observation.value,
      unit: this.config.unit,
      quality: this.qualityOf(observation.value, stable),
    };
  }

  private qualityOf(value: string, stable: boolean): Quality {
    const weight = new Dec(value);
    if (this.overloadAbove && weight.greaterThan(this.overloadAbove)) return 'overload';
    if (this.underloadBelow && weight.lessThan(this.underloadBelow)) return 'underload';
    return stable ? 'good' : 'unstable';
  }

  /** Instruction mode: one command and its checked reply from our address. */
  private async instruct(command: Xk3190Command, signal: AbortSignal): Promise<Xk3190Reply> {
    const address = this.config.address;
    let reply: Xk3190Reply | undefined;
    await this.channel.request(encodeInstructionCommand(address, command), {
      timeoutMs: this.timeoutMs,
      signal,
      accept: (bytes) => {
        const result = decodeInstructionReply(bytes);
        if (!result.ok) {
          this.channel.noteRejected(bytes, result.code);
          return false;
        }
        // Another indicator on the bus, or a stale reply: not ours.
        if (result.value.address !== address || result.value.command !== command) return false;
        reply = result.value;
        return true;
      },
    });
    return reply!;
  }

  /**
   * Instruction mode: asks for the weight, and until `stableFrames` replies in a row carried the
   * same value asks again every `confirmIntervalMs`, within the timeout, as the stream mode follows
   * frames.
   */
  private async sampleByInstruction(signal: AbortSignal): Promise<WeightSample> {
    const command = this.config.weight === 'gross' ? XK3190_COMMANDS.gross : XK3190_COMMANDS.net;
    const deadline = performance.now() + this.timeoutMs;
    let value: string | undefined;
    let run = 0;
    for (;;) {
      const reply = await this.instruct(command, signal);
      const next = reply.value ?? '';
      run = next === value ? run + 1 : 1;
      value = next;
      const stable = run >= this.config.stableFrames;
      if (stable || performance.now() + this.config.confirmIntervalMs >= deadline) {
        return { value, unit: this.config.unit, quality: this.qualityOf(value, stable) };
      }
      await delay(this.config.confirmIntervalMs, signal);
    }
  }

  private unsupported(what: string): MetrogateError {
    const mode = this.continuous
      ? `continuous output (format ${this.config.format}) accepts no commands`
      : 'the instruction mode only reads weights';
    return new MetrogateError(
      'MG_ERR_COMMAND_UNSUPPORTED',
      `${this.deviceId} (${this.deps.link?.description ?? this.config.port}): cannot ${what}: ${mode}; use the key on the indicator`,
      { device: this.deviceId, port: this.config.port },
    );
  }

  async zero(_signal: AbortSignal): Promise<void> {
    throw this.unsupported('zero');
  }

  async tare(_signal: AbortSignal): Promise<void> {
    throw this.unsupported('tare');
  }

  async clearTare(_signal: AbortSignal): Promise<void> {
    throw this.unsupported('clear the tare');
  }
}
