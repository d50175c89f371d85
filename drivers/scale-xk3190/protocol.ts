/**
 * Shanghai Yaohua XK3190 indicators (A9, A12, A23p, A26, DS3 and the many compatibles that copy
 * them): the continuous outputs "format 0" (12-byte STX frame with an XOR check), "format 1" and
 * "format 2" (9-byte `=` frames, no check), and the addressed instruction mode of RS-485 models.
 * Pure encode/decode: no I/O, no timers. Source: device-protocols.md §1.5 (XK3190-A26 manual p.10–11,
 * XK3190-A23p manual p.21–24, XK3190-DS3 manual p.6).
 *
 * None of these frames carries a unit, a stability flag or an overload flag; the driver infers
 * stability and range from the values (see driver.ts).
 */

import { decimalPlaces, normalizeDecimalText, withImpliedDecimals } from '../decimal.js';
import { type DecodeResult, decoded, rejected, showFrame } from '../decode-result.js';
import { delimitedFramer, type Framer, type FramerOutput, mergeGarbage } from '../transport/framers.js';

export const STX = 0x02;
export const ETX = 0x03;
/** First byte of the continuous formats 1 and 2. */
export const EQUALS = 0x3d;

/**
 * Continuous output formats, by the manuals' "continuous communication format" number:
 * `tf0` = format 0 (STX frame with XOR), `eq-reversed` = format 1 (`=`, digits low first),
 * `eq` = format 2 (`=`, digits in reading order).
 */
export const XK3190_FORMATS = ['tf0', 'eq-reversed', 'eq'] as const;
export type Xk3190Format = (typeof XK3190_FORMATS)[number];

export const TF0_FRAME_LENGTH = 12;
export const EQ_FRAME_LENGTH = 9;
/** Longest STX frame: an instruction reply with data (STX addr cmd sign 6 digits dp XH XL ETX). */
export const MAX_STX_FRAME_LENGTH = 14;

/** Instruction-mode commands (A23p manual p.24); E and F (unit price, amount) are not used here. */
export const XK3190_COMMANDS = {
  handshake: 'A',
  gross: 'B',
  tare: 'C',
  net: 'D',
} as const;
export type Xk3190Command = (typeof XK3190_COMMANDS)[keyof typeof XK3190_COMMANDS];
const WEIGHT_COMMANDS: readonly string[] = [XK3190_COMMANDS.gross, XK3190_COMMANDS.tare, XK3190_COMMANDS.net];

/** A weight from any of the formats; `value` keeps the indicator's decimals ("20.00"). */
export interface Xk3190Weight {
  kind: 'weight';
  format: Xk3190Format;
  value: string;
}

/** A reply of the instruction mode: the handshake echo, or a weight for B/C/D. */
export interface Xk3190Reply {
  kind: 'reply';
  address: string;
  command: string;
  value?: string;
}

export type Xk3190Frame = Xk3190Weight | Xk3190Reply;

/** XOR of the bytes, the check of format 0 and of the instruction mode. */
export function xorOf(bytes: Uint8Array): number {
  let xor = 0;
  for (const byte of bytes) xor ^= byte;
  return xor;
}

/** The check as sent: two upper-case ASCII hex digits, high nibble first (n > 9 → n + 0x37). */
export function checkCharacters(xor: number): [number, number] {
  const digit = (nibble: number) => (nibble > 9 ? nibble + 0x37 : nibble + 0x30);
  return [digit((xor >> 4) & 0x0f), digit(xor & 0x0f)];
}

/** Reads two check characters back; undefined when they are not upper-case hex digits. */
function parseCheck(high: number, low: number): number | undefined {
  const nibble = (byte: number) =>
    byte >= 0x30 && byte <= 0x39 ? byte - 0x30 : byte >= 0x41 && byte <= 0x46 ? byte - 0x37 : undefined;
  const h = nibble(high);
  const l = nibble(low);
  return h === undefined || l === undefined ? undefined : (h << 4) | l;
}

const isDigit = (byte: number | undefined) => byte !== undefined && byte >= 0x30 && byte <= 0x39;

/** Sign, six digits MSB first and the decimals digit, as format 0 and instruction replies carry them. */
function decodeSignedDigits(data: Uint8Array, what: string): DecodeResult<string> {
  const sign = data[0];
  if (sign !== 0x2b && sign !== 0x2d) {
    return rejected('MG_ERR_FRAME_GARBLED', `${what}: sign byte is not + or - (${showFrame(data)})`);
  }
  const digits = data.subarray(1, 7);
  if (digits.length !== 6 || !digits.every(isDigit)) {
    return rejected('MG_ERR_FRAME_GARBLED', `${what}: weight is not six digits (${showFrame(data)})`);
  }
  const places = data[7];
  if (places === undefined || places < 0x30 || places > 0x34) {
    return rejected('MG_ERR_FRAME_GARBLED', `${what}: decimals digit is not 0-4 (${showFrame(data)})`);
  }
  const value = withImpliedDecimals(
    sign === 0x2d ? '-' : '',
    Buffer.from(digits).toString('latin1'),
    places - 0x30,
  );
  return value === undefined
    ? rejected('MG_ERR_FRAME_GARBLED', `${what}: unreadable weight (${showFrame(data)})`)
    : decoded(value);
}

/**
 * Checks the frame's two check characters against the XOR of `covered`. A frame whose check
 * characters are not hex at all is garbled; hex that does not match is a checksum error (the bytes
 * were damaged on the line), whatever the damaged bytes now contain.
 */
function verifyXor(frame: Uint8Array, covered: Uint8Array, what: string): DecodeResult<true> {
  const high = frame[frame.length - 3]!;
  const low = frame[frame.length - 2]!;
  const received = parseCheck(high, low);
  if (received === undefined) {
    return rejected('MG_ERR_FRAME_GARBLED', `${what}: check characters are not hex (${showFrame(frame)})`);
  }
  const expected = xorOf(covered);
  if (received !== expected) {
    const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');
    return rejected(
      'MG_ERR_FRAME_CHECKSUM',
      `${what}: XOR check ${hex(received)} but the bytes give ${hex(expected)} (${showFrame(frame)})`,
    );
  }
  return decoded(true);
}

/**
 * Continuous format 0: `02 <sign> <6 digits> <decimals> <XOR hi> <XOR lo> 03`, XOR over bytes 2–9.
 * Example from the reference: +20.00 → `02 2B 30 30 32 30 30 30 32 31 42 03`.
 */
export function decodeTf0Frame(frame: Uint8Array): DecodeResult<Xk3190Weight> {
  if (frame.length !== TF0_FRAME_LENGTH || frame[0] !== STX || frame[TF0_FRAME_LENGTH - 1] !== ETX) {
    return rejected(
      'MG_ERR_FRAME_GARBLED',
      `not a 12-byte XK3190 format 0 frame STX…ETX (${frame.length} bytes: ${showFrame(frame)})`,
    );
  }
  const check = verifyXor(frame, frame.subarray(1, 9), 'XK3190 format 0');
  if (!check.ok) return check;
  const value = decodeSignedDigits(frame.subarray(1, 9), 'XK3190 format 0');
  return value.ok ? decoded({ kind: 'weight', format: 'tf0', value: value.value }) : value;
}

/** Seven characters of digits with at most one decimal point, as the `=` formats print the value. */
function readValueText(text: string): { text: string; places: number } | undefined {
  if (!/^(?=.*\d)\d*\.?\d*$/.test(text)) return undefined;
  return { text, places: decimalPlaces(text) };
}

/**
 * Continuous formats 1 and 2 (9 bytes, no check, no terminator):
 * format 1 (`eq-reversed`): `=` + the 7-character value written backwards + sign `0` or `-`
 *   (3.000 → `=000.3000`, −1.00 → `=00.1000-`);
 * format 2 (`eq`): `=` + sign `0` or `-` + the 7-character value (`=0003.000`, `=-0001.00`).
 */
export function decodeEqFrame(frame: Uint8Array, format: 'eq-reversed' | 'eq'): DecodeResult<Xk3190Weight> {
  const name = format === 'eq' ? 'XK3190 format 2' : 'XK3190 format 1';
  if (frame.length !== EQ_FRAME_LENGTH || frame[0] !== EQUALS) {
    return rejected(
      'MG_ERR_FRAME_GARBLED',
      `not a 9-byte ${name} frame starting with = (${frame.length} bytes: ${showFrame(frame)})`,
    );
  }
  const text = Buffer.from(frame).toString('latin1');
  const signChar = format === 'eq' ? text[1] : text[8];
  const body = format === 'eq' ? text.slice(2, 9) : [...text.slice(1, 8)].reverse().join('');
  if (signChar !== '0' && signChar !== '-') {
    return rejected('MG_ERR_FRAME_GARBLED', `${name}: sign is not 0 or - (${showFrame(frame)})`);
  }
  const parsed = readValueText(body);
  const value = parsed && normalizeDecimalText((signChar === '-' ? '-' : '') + parsed.text);
  if (value === undefined) {
    return rejected('MG_ERR_FRAME_GARBLED', `${name}: value is not a number (${showFrame(frame)})`);
  }
  return decoded({ kind: 'weight', format, value });
}

/** Instruction-mode command `02 <addr> <cmd> <XOR hi> <XOR lo> 03`, XOR over address and command. */
export function encodeInstructionCommand(address: string, command: Xk3190Command): Buffer {
  const body = Buffer.from(address + command, 'latin1');
  return Buffer.from([STX, ...body, ...checkCharacters(xorOf(body)), ETX]);
}

/** Instruction address `A` + n, n = 0…25 (the indicator's communication address). */
export function instructionAddress(index: number): string {
  return String.fromCharCode(0x41 + index);
}

/**
 * Instruction-mode reply `02 <addr> <cmd> [<sign> <6 digits> <decimals>] <XOR hi> <XOR lo> 03`, XOR
 * over everything between STX and the check. The handshake (A) reply carries no data.
 */
export function decodeInstructionReply(frame: Uint8Array): DecodeResult<Xk3190Reply> {
  const what = 'XK3190 instruction reply';
  if (
    (frame.length !== 6 && frame.length !== MAX_STX_FRAME_LENGTH) ||
    frame[0] !== STX ||
    frame[frame.length - 1] !== ETX
  ) {
    return rejected(
      'MG_ERR_FRAME_GARBLED',
      `not an ${what} STX…ETX (${frame.length} bytes: ${showFrame(frame)})`,
    );
  }
  const address = frame[1]!;
  const command = frame[2]!;
  if (address < 0x41 || address > 0x5a || command < 0x41 || command > 0x5a) {
    return rejected(
      'MG_ERR_FRAME_GARBLED',
      `${what}: address or command is not a letter (${showFrame(frame)})`,
    );
  }
  const check = verifyXor(frame, frame.subarray(1, frame.length - 3), what);
  if (!check.ok) return check;
  const reply: Xk3190Reply = {
    kind: 'reply',
    address: String.fromCharCode(address),
    command: String.fromCharCode(command),
  };
  if (frame.length === 6) return decoded(reply);
  if (!WEIGHT_COMMANDS.includes(reply.command)) {
    return rejected('MG_ERR_FRAME_GARBLED', `${what}: command ${reply.command} carries no weight`);
  }
  const value = decodeSignedDigits(frame.subarray(3, 11), what);
  return value.ok ? decoded({ ...reply, value: value.value }) : value;
}

/**
 * Decodes one frame as the indicator sends it. STX frames are format 0 when the second byte is a
 * sign, else instruction replies; `=` frames need `format` to tell format 1 from format 2 (the bytes
 * alone cannot: `=000.3000` is 3.000 in one and 0.3000 in the other) and default to format 1.
 */
export function decodeXk3190Frame(
  frame: Uint8Array,
  options?: { format?: string },
): DecodeResult<Xk3190Frame> {
  if (frame[0] === STX) {
    return frame[1] === 0x2b || frame[1] === 0x2d ? decodeTf0Frame(frame) : decodeInstructionReply(frame);
  }
  if (frame[0] === EQUALS) return decodeEqFrame(frame, options?.format === 'eq' ? 'eq' : 'eq-reversed');
  return rejected(
    'MG_ERR_FRAME_GARBLED',
    `not an XK3190 frame: starts with neither STX nor = (${showFrame(frame)})`,
  );
}

/** Reads `{ format }` from untyped decodeFrame options (golden config.json, registry callers). */
export function formatOption(options: unknown): { format?: string } {
  if (typeof options !== 'object' || options === null) return {};
  const format = (options as { format?: unknown }).format;
  return typeof format === 'string' ? { format } : {};
}

/**
 * Cuts `=` frames (9 bytes from an `=`), and STX…ETX frames when `stx` is set (metrogate scan, which
 * does not know the format yet). No value byte of either kind is `=`, STX or ETX, so a start byte
 * inside an unfinished frame means the frame was cut short: it becomes garbage and a new frame
 * starts, so one lost byte costs one reading and not two.
 */
export function markedFramer(options: { stx: boolean }): Framer {
  let frame: number[] | undefined;
  return {
    idleFlushMs: undefined,
    push(chunk) {
      const out: FramerOutput[] = [];
      for (const byte of chunk) {
        const starts = byte === EQUALS || (options.stx && byte === STX);
        if (starts) {
          if (frame) out.push({ garbage: Buffer.from(frame), reason: 'frame restarted before its end' });
          frame = [byte];
          continue;
        }
        if (!frame) {
          out.push({ garbage: Buffer.from([byte]), reason: 'bytes outside a frame' });
          continue;
        }
        frame.push(byte);
        const complete = frame[0] === EQUALS ? frame.length === EQ_FRAME_LENGTH : byte === ETX;
        if (complete) {
          out.push({ frame: Buffer.from(frame) });
          frame = undefined;
        } else if (frame.length > MAX_STX_FRAME_LENGTH) {
          out.push({ garbage: Buffer.from(frame), reason: 'frame longer than the maximum' });
          frame = undefined;
        }
      }
      return mergeGarbage(out);
    },
    flushIdle() {
      if (!frame) return [];
      const garbage = Buffer.from(frame);
      frame = undefined;
      return [{ garbage, reason: 'partial frame' }];
    },
    reset() {
      frame = undefined;
    },
  };
}

/** The framer the driver uses for a configured format (format 0 and instruction mode: STX…ETX). */
export function createXk3190Framer(format: Xk3190Format = 'tf0'): Framer {
  if (format === 'tf0') return delimitedFramer({ start: STX, end: ETX, maxLength: MAX_STX_FRAME_LENGTH });
  return markedFramer({ stx: false });
}

/** Both frame kinds at once, for `metrogate scan`. */
export function createXk3190ScanFramer(): Framer {
  return markedFramer({ stx: true });
}

/** True for a frame an XK3190 sends on its own or in reply, in any format (strict: check included). */
export function isXk3190Frame(frame: Uint8Array): boolean {
  if (frame[0] === EQUALS) return decodeEqFrame(frame, 'eq-reversed').ok || decodeEqFrame(frame, 'eq').ok;
  return decodeXk3190Frame(frame).ok;
}
