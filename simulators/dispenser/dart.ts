/**
 * A Wayne DART bus: several pumps (one DispenserModel per address 0x50–0x6F) on one RS-485 line,
 * each answering the controller's POLL and DATA frames as a pump's firmware does. Written from
 * device-protocols.md §2.1, not from the driver (they share the golden frames instead).
 *
 * Level 2, per pump: POLL is answered with the pump's pending data block (DATA, its own TX#) or EOT
 * when it has nothing to say; the block stays pending and is sent again on every POLL or NAK until
 * the controller ACKs its TX# (ACKPOLL acknowledges and polls at once). A DATA frame from the
 * controller is answered ACK (its TX#) when the CRC is good and NAK when it is not; a repeated TX#
 * (the controller did not hear our ACK) is acknowledged again without executing it twice. TX# 0
 * marks a restart of the sender and is never taken for a repeat. Frames for other addresses get no
 * answer, so an address without a pump is a silent pump.
 *
 * Level 3, per pump: CD1 RETURN STATUS → DC1; RETURN PUMP PARAMETERS → DC7; RETURN PUMP IDENTITY →
 * DC9; RETURN FILLING INFORMATION → DC2 + DC3; RESET, AUTHORIZE, STOP act on the model (AUTHORIZE
 * only from RESET). CD5 sets the unit prices, CD101 asks for one total counter (DC101); other
 * commands (CD2–CD4 presets, SWITCH OFF, SUSPEND, RESUME…) are acknowledged and ignored. Whenever
 * the pump speaks it first reports what changed since it last spoke, in this order: DC1 when the
 * state changed, DC3 when the nozzle or price changed, DC2 + DC3 when volume or amount changed
 * (so a pump that started filling sends DC1 DC3 DC2 DC3, as the captured frame of §2.1 shows), and
 * DC5 for each new alarm.
 *
 * UNCONFIRMED choices, documented because the reference does not settle them:
 * - EOT carries the pump's own TX# (captures show `50 70 FA` from a fresh pump).
 * - DC7 is 50 bytes: 22 reserved, DPVOL, DPAMO, DPUNP, 5 reserved, MAXAMO BCD4, 1 reserved, 15
 *   grade bytes (`dc7Length: 22` sends the short form DPVOL DPAMO DPUNP MAXAMO GRADE×15).
 * - DC101 for counter n (1–9) carries the volume total of nozzle n, 0x11–0x19 its amount total,
 *   with DPVOL / DPAMO decimals; TOTM1 = TOTVAL, TOTM2 = 0 (a single-meter hydraulics). A counter
 *   for a nozzle the pump does not have gets no DC101.
 * - Values wider than their BCD field keep their low digits (an odometer's roll-over).
 *
 * Options (`protocolOptions`): `nakStorm` (n: NAK the next n DATA frames of every pump),
 * `responseDelayMs` (processing time before every answer), `dc7Length` (50 or 22).
 */
import { Dec, formatFixed } from '../../drivers/decimal.js';
import { createMemoryLinkPair } from '../../drivers/transport/link.js';
import type { FrameMeta } from '../faults.js';
import type { UartSettings } from '../line-emulation.js';
import { type DeviceSpeaker, SerialDeviceHost, type SpeakerIo } from '../serial-host.js';
import type { DispenserServer, DispenserSimEndpoint, DispenserSimulatorOptions } from './index.js';
import type { DispenserModel, DispenserSnapshot, DispenserState } from './model.js';

/** RS-485, 9600 baud, 8 data bits, odd parity, 1 stop bit (§2.1 level 1; captures 8O1). */
export const DART_LINE: UartSettings = { baudRate: 9600, dataBits: 8, parity: 'odd', stopBits: 1 };

const SF = 0xfa;
const ETX = 0x03;
const DLE = 0x10;
const POLL = 0x20;
const DATA = 0x30;
const NAK = 0x50;
const EOT = 0x70;
const ACK = 0xc0;
const ACKPOLL = 0xe0;
/** Bytes of transactions per block, so that a block with its DLEs stays below 256 bytes. */
const MAX_BLOCK_PAYLOAD = 200;
const MAX_OUTBOX = 64;

const STATUS_CODE: Record<DispenserState, number> = {
  'not-programmed': 0,
  reset: 1,
  authorized: 2,
  filling: 4,
  completed: 5,
  'max-reached': 6,
  'switched-off': 7,
  suspended: 8,
};

function crcArc(bytes: Iterable<number>): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = (crc & 1) !== 0 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** Digits of a decimal text without the point, the low `width` of them kept, zero-padded. */
function digitsOf(text: string, width: number): string {
  const digits = text.replace('-', '').replace('.', '');
  return digits.length > width ? digits.slice(-width) : digits.padStart(width, '0');
}

function bcd(text: string, bytes: number): number[] {
  const digits = digitsOf(text, bytes * 2);
  const out: number[] = [];
  for (let i = 0; i < bytes; i++) out.push((Number(digits[2 * i]) << 4) | Number(digits[2 * i + 1]));
  return out;
}

/** Decimal text of packed BCD with `places` decimals; undefined when a nibble is not a digit. */
function fromBcd(bytes: readonly number[], places: number): string | undefined {
  let digits = '';
  for (const byte of bytes) {
    if (byte >> 4 > 9 || (byte & 15) > 9) return undefined;
    digits += `${byte >> 4}${byte & 15}`;
  }
  const padded = digits.padStart(places + 1, '0');
  return places === 0 ? padded : `${padded.slice(0, -places)}.${padded.slice(-places)}`;
}

function transaction(trans: number, data: number[]): number[] {
  return [trans, data.length, ...data];
}

/** `ADR CTRL data CRC-1 CRC-2 ETX SF`, DLE before each 0xFA of data and CRC. */
function dataFrame(address: number, seq: number, payload: readonly number[], crcXor = 0): Buffer {
  const crc = crcArc([address, DATA | seq, ...payload]) ^ crcXor;
  const out = [address, DATA | seq];
  for (const byte of [...payload, crc & 0xff, crc >> 8]) {
    if (byte === SF) out.push(DLE);
    out.push(byte);
  }
  out.push(ETX, SF);
  return Buffer.from(out);
}

function controlFrame(address: number, ctrl: number): Buffer {
  return Buffer.from([address, ctrl, SF]);
}

function nextTx(seq: number): number {
  return seq === 15 ? 1 : seq + 1;
}

interface Reported {
  state: DispenserState;
  nozzle: number;
  nozzleOut: boolean;
  unitPrice: string;
  volume: string;
  amount: string;
  alarms: number[];
}

function reportedOf(s: DispenserSnapshot): Reported {
  return {
    state: s.state,
    nozzle: s.nozzle,
    nozzleOut: s.nozzleOut,
    unitPrice: s.unitPrice,
    volume: s.volume,
    amount: s.amount,
    alarms: [...s.alarms],
  };
}

export interface DartSpeakerOptions {
  nakStorm?: number;
  dc7Length?: 22 | 50;
}

/** One pump's firmware: its level 2 state and its outbox of level 3 transactions. */
class DartPump {
  readonly address: number;
  readonly model: DispenserModel;
  private readonly io: SpeakerIo;
  private readonly dc7Length: 22 | 50;
  /** Our TX# for the next block. */
  private seq = 0;
  private pending: { seq: number; payload: number[] } | undefined;
  /** TX# of the last DATA block executed from the controller. */
  private lastReceived: number | undefined;
  private readonly outbox: number[][] = [];
  private reported: Reported;
  nakRemaining: number;

  constructor(address: number, model: DispenserModel, io: SpeakerIo, options: DartSpeakerOptions) {
    this.address = address;
    this.model = model;
    this.io = io;
    this.dc7Length = options.dc7Length ?? 50;
    this.nakRemaining = options.nakStorm ?? 0;
    // A pump reports changes; what it shows at power-up is what the controller asks for.
    this.reported = reportedOf(model.snapshot());
  }

  private send(frame: Buffer, meta?: FrameMeta): void {
    this.io.emit(frame, meta);
  }

  private sendControl(base: number, seq: number): void {
    this.send(controlFrame(this.address, base | seq));
  }

  private sendPending(): void {
    const block = this.pending!;
    this.send(dataFrame(this.address, block.seq, block.payload), {
      corruptChecksum: () => dataFrame(this.address, block.seq, block.payload, 0x5a5a),
    });
  }

  private queue(tx: number[]): void {
    this.outbox.push(tx);
    if (this.outbox.length > MAX_OUTBOX) this.outbox.shift();
  }

  handle(frame: number[]): void {
    const ctrl = frame[1]!;
    if (frame.length === 3) {
      this.control(ctrl);
      return;
    }
    if ((ctrl & 0xf0) === DATA) this.receiveData(frame);
  }

  private control(ctrl: number): void {
    const kind = ctrl === POLL ? POLL : ctrl & 0xf0;
    switch (kind) {
      case POLL:
        this.answerPoll();
        return;
      case ACK:
        this.acknowledged(ctrl & 0x0f);
        return;
      case ACKPOLL:
        this.acknowledged(ctrl & 0x0f);
        this.answerPoll();
        return;
      case NAK:
        // The controller did not read our block: send it again (or say we have nothing).
        if (this.pending) this.sendPending();
        else this.sendControl(EOT, this.seq);
        return;
      default:
        return;
    }
  }

  private acknowledged(seq: number): void {
    if (this.pending?.seq !== seq) return;
    this.pending = undefined;
    this.seq = nextTx(this.seq);
  }

  private answerPoll(): void {
    if (!this.pending) {
      this.observe();
      if (this.outbox.length === 0) {
        this.sendControl(EOT, this.seq);
        return;
      }
      const payload: number[] = [];
      while (this.outbox.length > 0 && payload.length + this.outbox[0]!.length <= MAX_BLOCK_PAYLOAD) {
        payload.push(...this.outbox.shift()!);
      }
      this.pending = { seq: this.seq, payload };
    }
    this.sendPending();
  }

  private receiveData(raw: number[]): void {
    const seq = raw[1]! & 0x0f;
    const body: number[] = [];
    for (let i = 0; i < raw.length - 1; i++) {
      if (raw[i] === DLE && raw[i + 1] === SF) continue;
      body.push(raw[i]!);
    }
    const crcOk =
      body.length >= 5 &&
      body[body.length - 1] === ETX &&
      crcArc(body.slice(0, -3)) === (body[body.length - 3]! | (body[body.length - 2]! << 8));
    if (!crcOk || this.nakRemaining > 0) {
      if (crcOk) this.nakRemaining--;
      this.sendControl(NAK, seq);
      return;
    }
    if (seq === 0 || seq !== this.lastReceived) {
      this.lastReceived = seq;
      this.execute(body.slice(2, -3));
    }
    this.sendControl(ACK, seq);
  }

  /** Level 3: every transaction of the controller's block, in order. */
  private execute(payload: number[]): void {
    let at = 0;
    while (at + 2 <= payload.length) {
      const trans = payload[at]!;
      const data = payload.slice(at + 2, at + 2 + payload[at + 1]!);
      at += 2 + data.length;
      if (trans === 0x01 && data.length === 1) this.command(data[0]!);
      else if (trans === 0x05 && data.length > 0 && data.length % 3 === 0) this.setPrices(data);
      else if (trans === 0x65 && data.length === 1) this.totals(data[0]!);
    }
  }

  private command(dcc: number): void {
    const s = this.model.snapshot();
    switch (dcc) {
      case 0x00:
        this.observe();
        this.queue(transaction(0x01, [STATUS_CODE[s.state]]));
        return;
      case 0x02:
        this.queue(this.parameters());
        return;
      case 0x03:
        this.queue(transaction(0x09, bcd(this.model.parameters.identity, 5)));
        return;
      case 0x04:
        this.observe();
        this.queue(transaction(0x02, [...bcd(s.volume, 4), ...bcd(s.amount, 4)]));
        this.queue(this.nozzleStatus(s));
        return;
      case 0x05:
        this.model.reset();
        return;
      case 0x06:
        this.model.authorize();
        return;
      case 0x08:
        this.model.stop();
        return;
      default:
        return;
    }
  }

  private nozzleStatus(s: DispenserSnapshot): number[] {
    return transaction(0x03, [...bcd(s.unitPrice, 3), (s.nozzleOut ? 0x10 : 0) | (s.nozzle & 0x0f)]);
  }

  private parameters(): number[] {
    const p = this.model.parameters;
    const places = [p.decimals.volume, p.decimals.amount, p.decimals.unitPrice];
    const maxAmount = bcd(formatFixed(new Dec(p.maxAmount), p.decimals.amount), 4);
    const grades = Array.from({ length: 15 }, (_, i) =>
      p.nozzles.some((n) => n.nozzle === i + 1) ? i + 1 : 0,
    );
    const data =
      this.dc7Length === 22
        ? [...places, ...maxAmount, ...grades]
        : [...new Array(22).fill(0), ...places, 0, 0, 0, 0, 0, ...maxAmount, 0, ...grades];
    return transaction(0x07, data);
  }

  private setPrices(data: number[]): void {
    const places = this.model.parameters.decimals.unitPrice;
    for (let i = 0; i < data.length / 3; i++) {
      const price = fromBcd(data.slice(3 * i, 3 * i + 3), places);
      if (price !== undefined) this.model.setUnitPrice(i + 1, price);
    }
  }

  private totals(counter: number): void {
    const nozzle = counter & 0x0f;
    const amount = counter >> 4 === 1;
    const total = this.model.snapshot().totals.find((t) => t.nozzle === nozzle);
    if (!total || nozzle < 1 || nozzle > 9 || counter >> 4 > 1) return;
    const value = amount ? total.amount : total.volume;
    this.queue(transaction(0x65, [counter, ...bcd(value, 5), ...bcd(value, 5), ...bcd('0', 5)]));
  }

  /** Queues what changed since the pump last reported. */
  private observe(): void {
    const s = this.model.snapshot();
    const was = this.reported;
    if (s.state !== was.state) this.queue(transaction(0x01, [STATUS_CODE[s.state]]));
    if (s.nozzle !== was.nozzle || s.nozzleOut !== was.nozzleOut || s.unitPrice !== was.unitPrice) {
      this.queue(this.nozzleStatus(s));
    }
    if (s.volume !== was.volume || s.amount !== was.amount) {
      this.queue(transaction(0x02, [...bcd(s.volume, 4), ...bcd(s.amount, 4)]));
      this.queue(this.nozzleStatus(s));
    }
    for (const alarm of s.alarms)
      if (!was.alarms.includes(alarm)) this.queue(transaction(0x05, [alarm & 0xff]));
    this.reported = reportedOf(s);
  }
}

/** The firmware of every pump on the bus, behind one receiver that cuts frames at unescaped SF. */
export class DartBusSpeaker implements DeviceSpeaker {
  readonly streamIntervalMs = 0;
  private readonly pumps = new Map<number, DartPump>();
  private buffer: number[] = [];

  constructor(models: ReadonlyMap<number, DispenserModel>, io: SpeakerIo, options: DartSpeakerOptions = {}) {
    for (const [address, model] of models) {
      if (!Number.isInteger(address) || address < 0x50 || address > 0x6f) {
        throw new Error(`dart simulator: pump address must be 0x50–0x6F, got ${address}`);
      }
      this.pumps.set(address, new DartPump(address, model, io, options));
    }
  }

  /** NAKs the next `count` DATA frames of one pump, or of every pump. */
  nakStorm(count: number, address?: number): void {
    for (const pump of this.pumps.values())
      if (address === undefined || pump.address === address) pump.nakRemaining = count;
  }

  tick(): void {}

  receive(chunk: Buffer): void {
    for (const byte of chunk) {
      if (this.buffer.length === 0 && (byte < 0x50 || byte > 0x6f)) continue;
      this.buffer.push(byte);
      if (byte === SF && this.buffer[this.buffer.length - 2] !== DLE) {
        const frame = this.buffer;
        this.buffer = [];
        if (frame.length >= 3) this.pumps.get(frame[0]!)?.handle(frame);
      } else if (this.buffer.length > 256) {
        this.buffer = [];
      }
    }
  }
}

export interface DartBusServer extends DispenserServer {
  speaker: DartBusSpeaker;
  /** NAKs the next `count` DATA frames of one pump (or all): a pump too busy to take commands. */
  nakStorm(count: number, address?: number): void;
}

function numberOption(options: Record<string, unknown>, key: string): number | undefined {
  const value = options[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`dart simulator: ${key} must be a number >= 0`);
  }
  return value;
}

export async function startDartBus(
  pumps: ReadonlyMap<number, DispenserModel>,
  options: DispenserSimulatorOptions,
): Promise<DartBusServer> {
  const protocolOptions = options.protocolOptions ?? {};
  const dc7Length = numberOption(protocolOptions, 'dc7Length');
  if (dc7Length !== undefined && dc7Length !== 22 && dc7Length !== 50) {
    throw new Error('dart simulator: dc7Length must be 22 or 50');
  }
  const responseDelayMs = numberOption(protocolOptions, 'responseDelayMs');
  const line = options.line ?? DART_LINE;
  const host = new SerialDeviceHost({
    line,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.emulateWireTime !== undefined ? { emulateWireTime: options.emulateWireTime } : {}),
    ...(responseDelayMs !== undefined ? { responseDelayMs } : {}),
  });
  const nakStorm = numberOption(protocolOptions, 'nakStorm');
  const speaker = new DartBusSpeaker(pumps, host.io, {
    ...(nakStorm !== undefined ? { nakStorm } : {}),
    ...(dc7Length !== undefined ? { dc7Length: dc7Length as 22 | 50 } : {}),
  });
  host.setSpeaker(speaker);
  let endpoint: DispenserSimEndpoint;
  if (options.transport === 'memory') {
    const [gatewayEnd, deviceEnd] = createMemoryLinkPair('sim-dart');
    await deviceEnd.open();
    host.serveLink(deviceEnd);
    endpoint = { kind: 'memory', link: gatewayEnd };
  } else if (options.transport === 'pty') {
    const pty = await host.servePty(options.gatewayPath ? { gatewayPath: options.gatewayPath } : {});
    endpoint = { kind: 'serial', path: pty.gatewayPath };
  } else {
    throw new Error(
      `dart simulator: transport ${options.transport} is not a serial line (use pty or memory)`,
    );
  }
  return {
    faults: host.faults,
    line,
    endpoint,
    speaker,
    nakStorm: (count, address) => speaker.nakStorm(count, address),
    disconnect: (ms) => host.disconnect(ms),
    close: () => host.close(),
  };
}
