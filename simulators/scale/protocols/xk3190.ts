/**
 * Shanghai Yaohua XK3190 indicator firmware (and compatibles), written from device-protocols.md
 * §1.5 (XK3190-A26 manual p.10–11, A23p manual p.21–24, DS3 manual p.6), not from the driver.
 *
 * Continuous mode (default): the indicator streams the displayed (net) weight and ignores every
 * byte it receives. Instruction mode: silent until asked `02 <addr> <cmd> <XOR hi> <XOR lo> 03`.
 *
 * Options (`protocolOptions`):
 * - `format`: `tf0` (default, "continuous format 0": `02 <sign> <6 digits> <decimals> <XOR hi>
 *   <XOR lo> 03`, XOR over bytes 2–9), `eq-reversed` ("format 1": `=` + the 7-character value
 *   written backwards + sign `0`/`-`), `eq` ("format 2": `=` + sign `0`/`-` + the value).
 * - `intervalMs`: time between two continuous frames, default 50.
 * - `mode`: `continuous` (default) or `instruction`.
 * - `address`: instruction-mode address letter, default `A`.
 *
 * UNCONFIRMED choices, documented here because the manuals do not say:
 * - A value with more digits than the frame holds (format 0: 6 digits; formats 1/2: 7 characters
 *   with the decimal point) is sent saturated: every digit 9, with its sign and decimal point.
 * - With 0 decimals the `=` formats send 7 digits and no decimal point.
 * - Instruction mode: the handshake `A` is answered by the same 6 bytes with the indicator's own
 *   address; `B`/`C`/`D` get gross/tare/net as sign + 6 digits + decimals digit; a command with a
 *   wrong XOR, for another address, or other than A–D (E/F need a price-computing model) gets no
 *   answer, as on a shared RS-485 line.
 */
import type { FrameMeta } from '../../faults.js';
import type { DeviceSpeaker, SpeakerIo } from '../../serial-host.js';
import type { SerialScaleProtocol } from '../index.js';
import type { ScaleModel } from '../model.js';

const STX = 0x02;
const ETX = 0x03;
type Format = 'tf0' | 'eq-reversed' | 'eq';
const FORMATS: readonly Format[] = ['tf0', 'eq-reversed', 'eq'];
const COMMAND_LENGTH = 6;

function xor(bytes: Iterable<number>): number {
  let value = 0;
  for (const byte of bytes) value ^= byte;
  return value;
}

/** Two ASCII hex characters, upper case, high nibble first. */
function hexPair(value: number): string {
  return value.toString(16).toUpperCase().padStart(2, '0');
}

/** Splits the display text ("-1.50") into sign, digits without the point and decimals. */
function splitValue(text: string): { negative: boolean; digits: string; decimals: number; body: string } {
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  const dot = body.indexOf('.');
  return { negative, digits: body.replace('.', ''), decimals: dot < 0 ? 0 : body.length - dot - 1, body };
}

/** Sign + 6 digits + decimals digit (format 0 and instruction replies); saturates at 999999. */
function signedSixDigits(text: string): string {
  const { negative, digits, decimals } = splitValue(text);
  const six = digits.length > 6 ? '999999' : digits.padStart(6, '0');
  return `${negative ? '-' : '+'}${six}${decimals}`;
}

/** The 7-character value of the `=` formats ("003.000"); saturates to 9s around the point. */
function sevenCharacters(text: string): string {
  const { body } = splitValue(text);
  if (body.length <= 7) return body.padStart(7, '0');
  return body.replace(/\d/g, '9').slice(-7);
}

function withXorFrame(data: string): Buffer {
  const body = Buffer.from(data, 'latin1');
  return Buffer.concat([
    Buffer.from([STX]),
    body,
    Buffer.from(hexPair(xor(body)), 'latin1'),
    Buffer.from([ETX]),
  ]);
}

/** Replaces the two check characters (before ETX) by a different valid hex pair. */
function corruptXor(frame: Buffer): Buffer {
  const copy = Buffer.from(frame);
  const at = copy.length - 3;
  const current = Number.parseInt(copy.subarray(at, at + 2).toString('latin1'), 16);
  copy.write(hexPair((Number.isNaN(current) ? 0 : current) ^ 0x5a), at, 'latin1');
  return copy;
}

const WITH_XOR: FrameMeta = { corruptChecksum: corruptXor };

class Xk3190Speaker implements DeviceSpeaker {
  readonly streamIntervalMs: number;
  private readonly model: ScaleModel;
  private readonly io: SpeakerIo;
  private readonly format: Format;
  private readonly instruction: boolean;
  private readonly address: string;
  private pending: number[] = [];

  constructor(model: ScaleModel, io: SpeakerIo, options: Record<string, unknown>) {
    this.model = model;
    this.io = io;
    const format = options.format ?? 'tf0';
    if (!FORMATS.includes(format as Format)) {
      throw new Error(`xk3190 simulator: format must be one of ${FORMATS.join(', ')}`);
    }
    this.format = format as Format;
    this.instruction = options.mode === 'instruction';
    const address = options.address ?? 'A';
    if (typeof address !== 'string' || !/^[A-Z]$/.test(address)) {
      throw new Error('xk3190 simulator: address must be one capital letter');
    }
    this.address = address;
    const interval = options.intervalMs ?? 50;
    if (typeof interval !== 'number' || interval < 0) {
      throw new Error('xk3190 simulator: intervalMs must be a number >= 0');
    }
    this.streamIntervalMs = this.instruction ? 0 : interval;
  }

  tick(): void {
    if (this.instruction) return;
    const net = this.model.indication(this.io.now()).net;
    if (this.format === 'tf0') {
      this.io.emit(withXorFrame(signedSixDigits(net)), WITH_XOR);
      return;
    }
    const sign = net.startsWith('-') ? '-' : '0';
    const value = sevenCharacters(net);
    const text = this.format === 'eq' ? `=${sign}${value}` : `=${[...value].reverse().join('')}${sign}`;
    this.io.emit(Buffer.from(text, 'latin1'));
  }

  receive(chunk: Buffer): void {
    // In continuous mode the serial input is not read at all.
    if (!this.instruction) return;
    for (const byte of chunk) {
      if (byte === STX) {
        this.pending = [byte];
        continue;
      }
      if (this.pending.length === 0) continue;
      this.pending.push(byte);
      if (byte === ETX || this.pending.length >= COMMAND_LENGTH) {
        const command = this.pending;
        this.pending = [];
        this.execute(Buffer.from(command));
      }
    }
  }

  private execute(command: Buffer): void {
    if (command.length !== COMMAND_LENGTH || command[5] !== ETX) return;
    const address = String.fromCharCode(command[1]!);
    const code = String.fromCharCode(command[2]!);
    const check = command.subarray(3, 5).toString('latin1');
    if (address !== this.address || check !== hexPair(xor(command.subarray(1, 3)))) return;
    const indication = this.model.indication(this.io.now());
    const data =
      code === 'A'
        ? ''
        : code === 'B'
          ? signedSixDigits(indication.gross)
          : code === 'C'
            ? signedSixDigits(indication.tare)
            : code === 'D'
              ? signedSixDigits(indication.net)
              : undefined;
    if (data === undefined) return;
    this.io.emit(withXorFrame(`${address}${code}${data}`), WITH_XOR);
  }
}

export const xk3190Protocol: SerialScaleProtocol = {
  id: 'xk3190',
  title: 'Yaohua XK3190 continuous output / instruction mode',
  // 9600 8N1: the manuals' factory setting as far as found (UNCONFIRMED per model; set `line`).
  defaultLine: { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
  createSpeaker: (model, io, options) => new Xk3190Speaker(model, io, options),
};
