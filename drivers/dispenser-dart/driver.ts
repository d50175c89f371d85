/**
 * DART driver: one instance per pump address; every pump on one serial port talks through one
 * DartBus (one link, one framer, one request queue), so that a controller's POLL to one pump and the
 * answer of another never cross.
 *
 * A level 3 exchange (a command and the pump's answer) holds the bus from start to end:
 * DATA(command) → ACK, then POLL → DATA(answer) → ACK (POLL → EOT while the pump has nothing yet),
 * until the expected DC transaction arrived or `timeoutMs` ran out. Every frame is sent again on NAK,
 * on a bad CRC (answered with NAK) and on silence (after `responseTimeoutMs`), `retries` times.
 * Every DC transaction the pump sends, asked for or not, updates the pump's last known state.
 */
import { delay, throwIfAborted } from '../abort.js';
import type {
  ChannelError,
  DeviceIdentity,
  DispenserDriver,
  DispenserTotals,
  DispenserTransaction,
  DriverDeps,
  PollResult,
  Quality,
  Reading,
} from '../contract.js';
import { defaultDeviceId } from '../definition.js';
import { isMetrogateError, MetrogateError } from '../errors.js';
import { FrameChannel } from '../transport/frame-channel.js';
import type { ByteLink } from '../transport/link.js';
import { RequestQueue } from '../transport/request-queue.js';
import { isSharedLink } from '../transport/shared-link.js';
import type { DispenserDartConfig } from './config.js';
import {
  CD1,
  createDartFramer,
  type DartLineFrame,
  type Decimals,
  decodeLineFrame,
  decodePumpPayload,
  encodeCd1,
  encodeCd101,
  encodeControlFrame,
  encodeDataFrame,
  encodePoll,
  NO_DECIMALS,
  nextSeq,
  type PumpMessage,
  totalsCounter,
} from './protocol.js';

/** A partial frame left this long on the line is reported as garbage (a cut frame never completes). */
const FRAME_IDLE_MS = 20;
/** Pause between two POLLs that the pump answered with EOT while an answer is awaited. */
const EOT_PAUSE_MS = 2;
/** POLLs spent collecting what an interrupted exchange left pending at the pump. */
const DRAIN_POLLS = 4;

const hex = (address: number) => `0x${address.toString(16).toUpperCase()}`;

/**
 * One DART line: the framing channel and the single request queue of a serial port. Drivers get
 * it with `DartBus.of(link)`: on a shared link (several devices on the port, SharedLinkPool) all
 * get the same bus; on a link of their own, a bus of their own.
 */
export class DartBus {
  readonly link: ByteLink;
  readonly channel: FrameChannel;
  /** The one queue of the port; the channel's own queue is never contended behind it. */
  private readonly queue = new RequestQueue();
  private users = 0;
  private opening: Promise<void> | undefined;
  private readonly claimed = new Map<number, string>();

  static of(link: ByteLink): DartBus {
    return isSharedLink(link) ? link.attachment('dart-bus', () => new DartBus(link)) : new DartBus(link);
  }

  constructor(link: ByteLink) {
    this.link = link;
    this.channel = new FrameChannel(link, createDartFramer({ idleFlushMs: FRAME_IDLE_MS }));
  }

  /** Level 3 exchanges queued or running on the line. */
  get queueDepth(): number {
    return this.queue.depth;
  }

  /** Busy time of the line, ms. */
  get busyTimeMs(): number {
    return this.queue.busyTimeMs;
  }

  /** Reserves a pump address for one device: two drivers polling one pump would steal its answers. */
  claim(address: number, deviceId: string): void {
    const holder = this.claimed.get(address);
    if (holder !== undefined && holder !== deviceId) {
      throw new MetrogateError(
        'MG_ERR_CONFIG_INVALID',
        `port ${this.link.description}: pump address ${hex(address)} is configured for both ${holder} and ${deviceId}`,
        { port: this.link.description, path: 'address', device: deviceId },
      );
    }
    this.claimed.set(address, deviceId);
  }

  release(address: number, deviceId: string): void {
    if (this.claimed.get(address) === deviceId) this.claimed.delete(address);
  }

  /** Opens the line for the first user. */
  async acquire(signal?: AbortSignal): Promise<void> {
    if (this.users === 0) {
      this.opening ??= this.channel.open(signal).finally(() => {
        this.opening = undefined;
      });
      await this.opening;
    }
    this.users++;
  }

  /** Closes the line after the last user. */
  async unacquire(): Promise<void> {
    if (this.users === 0) return;
    this.users--;
    if (this.users === 0) await this.channel.close();
  }

  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.queue.run(task, signal);
  }
}

/** What the driver last heard from its pump. */
interface PumpState {
  statusCode?: number;
  status?: string;
  nozzle?: number;
  nozzleOut?: boolean;
  unitPrice?: string;
  volume?: string;
  amount?: string;
  identity?: string;
  totals: Map<number, { volume?: string; amount?: string }>;
}

type Reply = { line: DartLineFrame } | { badCrc: number; error: MetrogateError };

function retryable(error: unknown): error is MetrogateError {
  return (
    isMetrogateError(error, 'MG_ERR_TIMEOUT') ||
    isMetrogateError(error, 'MG_ERR_FRAME_GARBLED') ||
    isMetrogateError(error, 'MG_ERR_FRAME_CHECKSUM')
  );
}

export class DispenserDartDriver implements DispenserDriver {
  readonly kind = 'dispenser' as const;
  readonly driverId = 'dispenser-dart';
  readonly deviceId: string;
  private readonly config: DispenserDartConfig;
  private readonly deps: DriverDeps;
  private bus: DartBus | undefined;
  private acquired = false;
  private connected = false;
  private closed = false;
  /** Our TX# toward this pump, and the pump's last TX# we took (for repeats). */
  private seq = 0;
  private pumpSeq: number | undefined;
  /** An exchange was cut short: the pump may still hold a block from it. */
  private interrupted = false;
  private decimals: Decimals | undefined;
  private state: PumpState = { totals: new Map() };

  constructor(config: DispenserDartConfig, deps: DriverDeps) {
    this.config = config;
    this.deps = deps;
    this.deviceId = config.id ?? defaultDeviceId('dispenser-dart', `${config.port}:${hex(config.address)}`);
    this.decimals = config.decimals;
  }

  private get address(): number {
    return this.config.address;
  }

  private get where(): string {
    return `pump ${hex(this.address)} on port ${this.bus?.link.description ?? this.config.port}`;
  }

  init(): void {
    if (this.bus || this.closed) return;
    if (!this.deps.link) {
      throw new MetrogateError(
        'MG_ERR_CONFIG_INVALID',
        `${this.deviceId}: the DART driver needs a serial link`,
        {
          device: this.deviceId,
        },
      );
    }
    this.bus = DartBus.of(this.deps.link);
  }

  async connect(signal: AbortSignal): Promise<DeviceIdentity> {
    if (this.closed) {
      throw new MetrogateError('MG_ERR_PORT_CLOSED', `${this.where}: the driver is closed`, {
        port: this.config.port,
        device: this.deviceId,
      });
    }
    throwIfAborted(signal);
    this.init();
    const bus = this.bus!;
    bus.claim(this.address, this.deviceId);
    if (!this.acquired) {
      try {
        await bus.acquire(signal);
      } catch (error) {
        bus.release(this.address, this.deviceId);
        throw error;
      }
      this.acquired = true;
    }
    // A (re)connect is a protocol restart: TX# 0 tells the pump so.
    this.seq = 0;
    this.pumpSeq = undefined;
    this.interrupted = true;
    await this.exchange(signal, async () => {
      if (!this.config.decimals) {
        const reply = await this.ask(
          encodeCd1(CD1.returnParameters),
          'RETURN PUMP PARAMETERS',
          'DC7',
          signal,
        );
        const dc7 = reply.findLast((m) => m.type === 'DC7');
        if (dc7?.type === 'DC7') this.decimals = dc7.decimals;
        // Values heard before the decimals were known were scaled wrongly.
        this.state = { totals: new Map(), ...(this.state.identity ? { identity: this.state.identity } : {}) };
      }
      await this.ask(encodeCd1(CD1.returnIdentity), 'RETURN PUMP IDENTITY', 'DC9', signal);
    });
    this.connected = true;
    const d = this.decimals ?? NO_DECIMALS;
    return {
      model: 'Wayne DART pump',
      address: hex(this.address),
      ...(this.state.identity !== undefined ? { serialNumber: this.state.identity } : {}),
      decimals: `volume ${d.volume}, amount ${d.amount}, unitPrice ${d.unitPrice}`,
      decimalsFrom: this.config.decimals ? 'config' : 'DC7',
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.connected = false;
    const bus = this.bus;
    if (!bus) return;
    bus.release(this.address, this.deviceId);
    if (this.acquired) {
      this.acquired = false;
      await bus.unacquire();
    }
  }

  private requireConnected(): DartBus {
    if (!this.connected || !this.bus) {
      throw new MetrogateError(
        this.closed ? 'MG_ERR_PORT_CLOSED' : 'MG_ERR_NOT_CONNECTED',
        `${this.deviceId} (${this.where}): ${this.closed ? 'the driver is closed' : 'not connected; call connect() first'}`,
        { port: this.config.port, device: this.deviceId },
      );
    }
    return this.bus;
  }

  // Level 2 ----------------------------------------------------------------------------------

  /** One frame out and the first frame of our pump that `want` accepts (or one with a bad CRC). */
  private async request(
    frame: Buffer,
    want: (line: DartLineFrame) => boolean,
    signal: AbortSignal,
  ): Promise<Reply> {
    const channel = this.bus!.channel;
    let reply: Reply | undefined;
    await channel.request(frame, {
      timeoutMs: this.config.responseTimeoutMs,
      signal,
      accept: (bytes) => {
        const line = decodeLineFrame(bytes);
        if (!line.ok) {
          channel.noteRejected(bytes, line.code);
          // Our pump's block hit by noise: NAK it at once instead of waiting out the timeout.
          if (line.code === 'MG_ERR_FRAME_CHECKSUM' && bytes[0] === this.address) {
            reply = {
              badCrc: bytes[1]! & 0x0f,
              error: new MetrogateError('MG_ERR_FRAME_CHECKSUM', `${this.where}: ${line.reason}`, {
                port: channel.link.description,
                device: this.deviceId,
              }),
            };
            return true;
          }
          return false;
        }
        // Another pump's late answer, or the echo of our own frame on a two-wire adapter.
        if (line.value.address !== this.address || !want(line.value)) return false;
        reply = { line: line.value };
        return true;
      },
    });
    return reply!;
  }

  private giveUp(what: string, attempts: number, last: MetrogateError | undefined): MetrogateError {
    const code = last?.code ?? 'MG_ERR_TIMEOUT';
    return new MetrogateError(
      code,
      `${this.where}: ${what}: no valid answer after ${attempts} attempts (${this.config.responseTimeoutMs} ms each); ${last?.message ?? ''}`.trim(),
      { ...(last?.details ?? {}), port: this.bus!.link.description, device: this.deviceId },
      { cause: last },
    );
  }

  /** A DATA block to the pump, sent until the pump ACKs its TX#. */
  private async sendData(payload: Buffer, what: string, signal: AbortSignal): Promise<void> {
    const seq = this.seq;
    // The next block gets a new TX# even if this one fails: the pump may have executed it, and a
    // repeated TX# would make it ignore a different command as a repetition.
    this.seq = nextSeq(seq);
    const frame = encodeDataFrame(this.address, seq, payload);
    let last: MetrogateError | undefined;
    let naks = 0;
    const attempts = this.config.retries + 1;
    for (let attempt = 0; attempt < attempts; attempt++) {
      let reply: Reply;
      try {
        reply = await this.request(
          frame,
          (line) => (line.kind === 'ACK' || line.kind === 'NAK') && line.seq === seq,
          signal,
        );
      } catch (error) {
        if (!retryable(error)) throw error;
        last = error;
        continue;
      }
      if ('badCrc' in reply) {
        last = reply.error;
        continue;
      }
      if (reply.line.kind === 'ACK') return;
      naks++;
      this.deps.logger.debug({ device: this.deviceId, what }, 'DART pump answered NAK');
    }
    if (naks === attempts) {
      throw new MetrogateError(
        'MG_ERR_DEVICE_BUSY',
        `${this.where}: refused ${what} with NAK ${naks} times; the pump is busy or rejects the frame`,
        { port: this.bus!.link.description, device: this.deviceId },
      );
    }
    throw this.giveUp(what, attempts, last);
  }

  /** POLL until the pump sends a block (its transactions) or says EOT (undefined). */
  private async pollOnce(signal: AbortSignal): Promise<PumpMessage[] | undefined> {
    let frame = encodePoll(this.address);
    let last: MetrogateError | undefined;
    const attempts = this.config.retries + 1;
    for (let attempt = 0; attempt < attempts; attempt++) {
      let reply: Reply;
      try {
        reply = await this.request(frame, (line) => line.kind === 'DATA' || line.kind === 'EOT', signal);
      } catch (error) {
        if (!retryable(error)) throw error;
        last = error;
        frame = encodePoll(this.address);
        continue;
      }
      if ('badCrc' in reply) {
        last = reply.error;
        frame = encodeControlFrame(this.address, 'NAK', reply.badCrc);
        continue;
      }
      const { line } = reply;
      if (line.kind === 'EOT') return undefined;
      await this.bus!.channel.send(encodeControlFrame(this.address, 'ACK', line.seq), signal);
      // The pump did not hear our ACK and sent the block again: taken already.
      if (line.seq !== 0 && line.seq === this.pumpSeq) return [];
      this.pumpSeq = line.seq;
      const messages = decodePumpPayload(line.payload!, {
        decimals: this.decimals ?? NO_DECIMALS,
        ...(this.config.dc7DecimalsOffset !== undefined
          ? { dc7DecimalsOffset: this.config.dc7DecimalsOffset }
          : {}),
      });
      if (!messages.ok) {
        throw new MetrogateError(messages.code, `${this.where}: ${messages.reason}`, {
          port: this.bus!.link.description,
          device: this.deviceId,
        });
      }
      for (const message of messages.value) this.apply(message);
      return messages.value;
    }
    throw this.giveUp('POLL', attempts, last);
  }

  private apply(message: PumpMessage): void {
    const s = this.state;
    switch (message.type) {
      case 'DC1':
        s.statusCode = message.statusCode;
        s.status = message.status;
        return;
      case 'DC2':
        s.volume = message.volume;
        s.amount = message.amount;
        return;
      case 'DC3':
        s.unitPrice = message.unitPrice;
        s.nozzle = message.nozzle;
        s.nozzleOut = message.nozzleOut;
        return;
      case 'DC5':
        this.deps.logger.warn(
          { device: this.deviceId, alarm: message.alarm, code: message.alarmCode },
          'DART pump alarm',
        );
        return;
      case 'DC9':
        s.identity = message.identity;
        return;
      case 'DC101': {
        const totals = s.totals.get(message.nozzle) ?? {};
        totals[message.quantity] = message.total;
        s.totals.set(message.nozzle, totals);
        return;
      }
      default:
        return;
    }
  }

  // Level 3 ----------------------------------------------------------------------------------

  /** Runs `task` holding the bus; collects first what an interrupted exchange left at the pump. */
  private exchange<T>(signal: AbortSignal, task: () => Promise<T>): Promise<T> {
    throwIfAborted(signal);
    return this.bus!.run(async () => {
      if (this.interrupted) {
        for (let i = 0; i < DRAIN_POLLS; i++) if ((await this.pollOnce(signal)) === undefined) break;
      }
      this.interrupted = true;
      const result = await task();
      this.interrupted = false;
      return result;
    }, signal);
  }

  /**
   * Sends a command and polls until the pump sent the expected DC transaction (`until` true) or
   * `timeoutMs` ran out. Returns every transaction received meanwhile.
   */
  private async ask(
    payload: Buffer,
    what: string,
    expected: string,
    signal: AbortSignal,
    until: (messages: PumpMessage[]) => boolean = (messages) => messages.some((m) => m.type === expected),
  ): Promise<PumpMessage[]> {
    await this.sendData(payload, what, signal);
    const collected: PumpMessage[] = [];
    const deadline = performance.now() + this.config.timeoutMs;
    for (;;) {
      const messages = await this.pollOnce(signal);
      if (messages) collected.push(...messages);
      if (until(collected)) return collected;
      if (performance.now() >= deadline) {
        throw new MetrogateError(
          'MG_ERR_TIMEOUT',
          `${this.where}: acknowledged ${what} but sent no ${expected} within ${this.config.timeoutMs} ms`,
          { port: this.bus!.link.description, device: this.deviceId, stage: 'reply' },
        );
      }
      if (!messages) await delay(EOT_PAUSE_MS, signal);
    }
  }

  private async readStatus(signal: AbortSignal): Promise<string> {
    const reply = await this.ask(encodeCd1(CD1.returnStatus), 'RETURN STATUS', 'DC1', signal);
    const dc1 = reply.findLast((m) => m.type === 'DC1');
    return dc1?.type === 'DC1' ? dc1.status : (this.state.status ?? '');
  }

  private async refreshTransaction(signal: AbortSignal): Promise<void> {
    await this.readStatus(signal);
    await this.ask(encodeCd1(CD1.returnFillingInformation), 'RETURN FILLING INFORMATION', 'DC2', signal);
  }

  private async readTotal(
    nozzle: number,
    quantity: 'volume' | 'amount',
    signal: AbortSignal,
  ): Promise<string> {
    const counter = totalsCounter(nozzle, quantity);
    const reply = await this.ask(
      encodeCd101(counter),
      `REQUEST TOTAL COUNTERS (${quantity} of nozzle ${nozzle})`,
      'DC101',
      signal,
      (messages) => messages.some((m) => m.type === 'DC101' && m.counter === counter),
    );
    const dc101 = reply.findLast((m) => m.type === 'DC101' && m.counter === counter);
    return dc101?.type === 'DC101' ? dc101.total : '';
  }

  private async readTotalsLocked(
    nozzles: readonly number[],
    signal: AbortSignal,
  ): Promise<DispenserTotals[]> {
    const out: DispenserTotals[] = [];
    for (const nozzle of nozzles) {
      const volumeTotal = await this.readTotal(nozzle, 'volume', signal);
      const amountTotal = await this.readTotal(nozzle, 'amount', signal);
      out.push({ nozzle, volumeTotal, amountTotal });
    }
    return out;
  }

  async poll(signal: AbortSignal): Promise<PollResult> {
    this.requireConnected();
    throwIfAborted(signal);
    const ts = this.deps.now();
    const errors: ChannelError[] = [];
    const totals = await this.exchange(signal, async () => {
      await this.refreshTransaction(signal);
      if (!this.config.totals) return [];
      const out: DispenserTotals[] = [];
      for (const nozzle of this.config.nozzles) {
        try {
          out.push(...(await this.readTotalsLocked([nozzle], signal)));
        } catch (error) {
          // A pump that answers but has no such counter costs that nozzle's channels only.
          if (!isMetrogateError(error) || error.details.stage !== 'reply') throw error;
          for (const quantity of ['volumeTotal', 'amountTotal']) {
            errors.push({ channel: `${quantity}.${nozzle}`, code: error.code, message: error.message });
          }
        }
      }
      return out;
    });
    return { readings: this.readings(ts, totals, errors), errors };
  }

  private readings(ts: Date, totals: DispenserTotals[], errors: ChannelError[]): Reading[] {
    const s = this.state;
    const currency = this.config.currency;
    const readings: Reading[] = [];
    const add = (channel: string, value: string | undefined, unit: string, quality: Quality = 'good') => {
      if (value === undefined) {
        const source =
          channel === 'status' ? 'DC1' : channel === 'volume' || channel === 'amount' ? 'DC2' : 'DC3';
        errors.push({
          channel,
          code: 'MG_ERR_DEVICE_ERROR',
          message: `${this.where}: the pump has not reported ${channel} yet (no ${source} received)`,
        });
        return;
      }
      readings.push({ deviceId: this.deviceId, channel, value, unit, quality, ts });
    };
    // A delivery in progress is a moving value: the bench waits for the pump to complete it.
    const moving: Quality = s.status === 'filling' ? 'unstable' : 'good';
    add('status', s.status, '');
    add('nozzle', s.nozzle === undefined ? undefined : String(s.nozzle), '');
    add('nozzleOut', s.nozzleOut === undefined ? undefined : s.nozzleOut ? '1' : '0', '');
    add('volume', s.volume, 'L', moving);
    add('amount', s.amount, currency, moving);
    add('unitPrice', s.unitPrice, `${currency}/L`);
    for (const t of totals) {
      add(`volumeTotal.${t.nozzle}`, t.volumeTotal, 'L');
      add(`amountTotal.${t.nozzle}`, t.amountTotal, currency);
    }
    return readings;
  }

  async readTransaction(signal: AbortSignal): Promise<DispenserTransaction> {
    this.requireConnected();
    await this.exchange(signal, () => this.refreshTransaction(signal));
    const s = this.state;
    return {
      status: s.status ?? '',
      nozzle: s.nozzle ?? 0,
      nozzleOut: s.nozzleOut ?? false,
      volume: s.volume ?? '',
      amount: s.amount ?? '',
      unitPrice: s.unitPrice ?? '',
    };
  }

  async readTotals(signal: AbortSignal, nozzle?: number): Promise<DispenserTotals[]> {
    this.requireConnected();
    const nozzles = nozzle === undefined ? this.config.nozzles : [nozzle];
    for (const n of nozzles) {
      if (!Number.isInteger(n) || n < 1 || n > 9) {
        throw new MetrogateError(
          'MG_ERR_INPUT_INVALID',
          `${this.where}: DART total counters exist for nozzles 1–9, not ${n}`,
          {
            device: this.deviceId,
          },
        );
      }
    }
    return this.exchange(signal, () => this.readTotalsLocked(nozzles, signal));
  }

  /** Sends a CD1 command and reads the status it led to; `accepted` judges that status. */
  private async command(
    dcc: number,
    name: string,
    accepted: (status: string) => boolean,
    hint: string,
    signal: AbortSignal,
  ): Promise<void> {
    this.requireConnected();
    const status = await this.exchange(signal, async () => {
      await this.sendData(encodeCd1(dcc), name, signal);
      return this.readStatus(signal);
    });
    if (!accepted(status)) {
      throw new MetrogateError(
        'MG_ERR_DEVICE_BUSY',
        `${this.where}: ${name} not carried out, the pump is ${status}; ${hint}`,
        {
          port: this.bus!.link.description,
          device: this.deviceId,
          status,
        },
      );
    }
  }

  /** CD1 RESET; resolves once the pump reports RESET. */
  reset(signal: AbortSignal): Promise<void> {
    return this.command(CD1.reset, 'RESET', (s) => s === 'reset', 'stop the delivery first', signal);
  }

  /** CD1 AUTHORIZE; resolves once the pump reports AUTHORIZED (or FILLING: the nozzle was out). */
  authorize(signal: AbortSignal): Promise<void> {
    return this.command(
      CD1.authorize,
      'AUTHORIZE',
      (s) => s === 'authorized' || s === 'filling',
      'AUTHORIZE is accepted only in RESET: call reset() first',
      signal,
    );
  }

  /** CD1 STOP; resolves once the pump no longer reports FILLING or AUTHORIZED. */
  stop(signal: AbortSignal): Promise<void> {
    return this.command(
      CD1.stop,
      'STOP',
      (s) => s !== 'filling' && s !== 'authorized',
      'the pump did not stop',
      signal,
    );
  }
}
