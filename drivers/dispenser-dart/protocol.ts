/**
 * Wayne DART pump interface ("Protocol Specification Dart Pump Interface", rev 2.11): the level 2
 * line protocol (addressed POLL/DATA/ACK/NAK/EOT/ACKPOLL frames with TX# sequence numbers, DLE
 * transparency before 0xFA, CRC-16/ARC low byte first, ETX, SF) and the level 3 transactions the
 * driver sends (CD1, CD3, CD5, CD101) and reads (DC1, DC2, DC3, DC5, DC7, DC9, DC101). Pure encode
 * and decode: no I/O, no timers. Source: device-protocols.md §2.1.
 *
 * CD and DC transactions share TRANS numbers (CD1 command / DC1 status are both `01`); only the
 * direction tells them apart, so the decoders take it as an argument.
 */
import { Dec, withImpliedDecimals } from '../decimal.js';
import { type DecodeResult, decoded, rejected, showFrame } from '../decode-result.js';
import type { Framer, FramerOutput } from '../transport/framers.js';
import { mergeGarbage } from '../transport/framers.js';

/** Stop flag: ends every frame. */
export const SF = 0xfa;
export const ETX = 0x03;
/** Data link escape: sent before a data or CRC byte equal to SF. */
export const DLE = 0x10;
export const MIN_ADDRESS = 0x50;
export const MAX_ADDRESS = 0x6f;
/** Longest frame on the line, control characters included (intelipump line/constants.py). */
export const MAX_FRAME_LENGTH = 256;

export const LINE_KINDS = ['POLL', 'DATA', 'IAP', 'NAK', 'EOT', 'ACK', 'ACKPOLL'] as const;
export type LineKind = (typeof LINE_KINDS)[number];

/** High nibble of CTRL per frame kind; POLL and IAP are fixed bytes, the others carry TX#. */
export const CONTROL_BASE: Record<LineKind, number> = {
  POLL: 0x20,
  DATA: 0x30,
  IAP: 0x40,
  NAK: 0x50,
  EOT: 0x70,
  ACK: 0xc0,
  ACKPOLL: 0xe0,
};

export interface Decimals {
  /** DPVOL, DPAMO, DPUNP of DC7. */
  volume: number;
  amount: number;
  unitPrice: number;
}

/** Without DC7 or a configured value the digits are reported as an integer. */
export const NO_DECIMALS: Decimals = { volume: 0, amount: 0, unitPrice: 0 };

// ---------------------------------------------------------------------------------------------
// Level 2

/** CRC-16/ARC: reflected polynomial 0xA001, initial value 0, no final XOR (matches captures). */
export function crc16Arc(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** Inserts DLE before every SF byte (data and CRC bytes only; the caller passes exactly those). */
export function escapeData(bytes: Uint8Array): Buffer {
  const out: number[] = [];
  for (const byte of bytes) {
    if (byte === SF) out.push(DLE);
    out.push(byte);
  }
  return Buffer.from(out);
}

/** Removes each DLE that stands before an SF byte; a DLE before anything else is a literal 0x10. */
export function unescapeData(bytes: Uint8Array): Buffer {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === DLE && bytes[i + 1] === SF) continue;
    out.push(bytes[i]!);
  }
  return Buffer.from(out);
}

/** TX# after a block was delivered: 0 only right after a restart, then 1…F and F wraps to 1. */
export function nextSeq(seq: number): number {
  return seq >= 0x0f ? 1 : seq + 1;
}

export function isPumpAddress(address: number): boolean {
  return Number.isInteger(address) && address >= MIN_ADDRESS && address <= MAX_ADDRESS;
}

function checkAddress(address: number): void {
  if (!isPumpAddress(address)) throw new RangeError(`DART address must be 0x50–0x6F, got ${address}`);
}

/** `ADR CTRL SF`: POLL, EOT, ACK, NAK, ACKPOLL, IAP. */
export function encodeControlFrame(address: number, kind: Exclude<LineKind, 'DATA'>, seq = 0): Buffer {
  checkAddress(address);
  const fixed = kind === 'POLL' || kind === 'IAP';
  return Buffer.from([address, CONTROL_BASE[kind] | (fixed ? 0 : seq & 0x0f), SF]);
}

export function encodePoll(address: number): Buffer {
  return encodeControlFrame(address, 'POLL');
}

/** `ADR CTRL <transactions> CRC-1 CRC-2 ETX SF`, CRC over ADR…last data byte, escaped after. */
export function encodeDataFrame(address: number, seq: number, payload: Uint8Array): Buffer {
  checkAddress(address);
  const body = Buffer.concat([Buffer.from([address, CONTROL_BASE.DATA | (seq & 0x0f)]), payload]);
  const crc = crc16Arc(body);
  return Buffer.concat([
    body.subarray(0, 2),
    escapeData(Buffer.concat([payload, Buffer.from([crc & 0xff, crc >>> 8])])),
    Buffer.from([ETX, SF]),
  ]);
}

export interface DartLineFrame {
  address: number;
  kind: LineKind;
  /** TX#, the low nibble of CTRL (0 for POLL and IAP). */
  seq: number;
  /** DATA only: the transactions, unescaped. */
  payload?: Buffer;
}

function kindOf(ctrl: number): LineKind | undefined {
  if (ctrl === CONTROL_BASE.POLL) return 'POLL';
  if (ctrl === CONTROL_BASE.IAP) return 'IAP';
  const high = ctrl & 0xf0;
  for (const kind of ['DATA', 'NAK', 'EOT', 'ACK', 'ACKPOLL'] as const) {
    if (CONTROL_BASE[kind] === high) return kind;
  }
  return undefined;
}

/** One frame as cut by the framer (raw, escaped, SF included). */
export function decodeLineFrame(frame: Uint8Array): DecodeResult<DartLineFrame> {
  const shown = () => showFrame(frame);
  if (frame.length > MAX_FRAME_LENGTH) {
    return rejected(
      'MG_ERR_FRAME_TOO_LONG',
      `DART frame of ${frame.length} bytes exceeds ${MAX_FRAME_LENGTH}`,
    );
  }
  if (frame.length < 3) return rejected('MG_ERR_FRAME_GARBLED', `too short for a DART frame: ${shown()}`);
  if (frame[frame.length - 1] !== SF || frame[frame.length - 2] === DLE) {
    return rejected('MG_ERR_FRAME_GARBLED', `DART frame does not end with SF 0xFA: ${shown()}`);
  }
  const address = frame[0]!;
  if (!isPumpAddress(address)) {
    return rejected(
      'MG_ERR_FRAME_GARBLED',
      `address 0x${address.toString(16)} is outside 0x50–0x6F: ${shown()}`,
    );
  }
  const ctrl = frame[1]!;
  const kind = kindOf(ctrl);
  if (kind === undefined) {
    return rejected('MG_ERR_FRAME_GARBLED', `unknown control byte 0x${ctrl.toString(16)}: ${shown()}`);
  }
  const seq = ctrl & 0x0f;
  if (frame.length === 3) {
    if (kind === 'DATA')
      return rejected('MG_ERR_FRAME_GARBLED', `DATA frame without CRC and ETX: ${shown()}`);
    return decoded({ address, kind, seq });
  }
  if (kind !== 'DATA') {
    return rejected('MG_ERR_FRAME_GARBLED', `${kind} frame with extra bytes: ${shown()}`);
  }
  const body = unescapeData(frame.subarray(0, frame.length - 1));
  if (body.length < 5 || body[body.length - 1] !== ETX) {
    return rejected('MG_ERR_FRAME_GARBLED', `DATA frame without ETX before SF: ${shown()}`);
  }
  const covered = body.subarray(0, body.length - 3);
  const received = body[body.length - 3]! | (body[body.length - 2]! << 8);
  const computed = crc16Arc(covered);
  if (received !== computed) {
    return rejected(
      'MG_ERR_FRAME_CHECKSUM',
      `CRC 0x${received.toString(16).padStart(4, '0')} should be 0x${computed.toString(16).padStart(4, '0')}: ${shown()}`,
    );
  }
  return decoded({ address, kind, seq, payload: Buffer.from(covered.subarray(2)) });
}

/**
 * Cuts the byte stream at every SF that no DLE precedes. A frame starts with an address byte, so
 * anything else where a frame should begin is line noise and is discarded as garbage at once
 * (resynchronisation); a frame longer than the maximum is garbage too. Chunking does not matter.
 */
export function createDartFramer(options: { idleFlushMs?: number; maxLength?: number } = {}): Framer {
  const maxLength = options.maxLength ?? MAX_FRAME_LENGTH;
  let buffer: number[] = [];
  return {
    idleFlushMs: options.idleFlushMs,
    push(chunk) {
      const out: FramerOutput[] = [];
      for (const byte of chunk) {
        if (buffer.length === 0 && !isPumpAddress(byte)) {
          out.push({ garbage: Buffer.from([byte]), reason: 'byte outside a DART frame' });
          continue;
        }
        buffer.push(byte);
        if (byte === SF && buffer[buffer.length - 2] !== DLE) {
          out.push({ frame: Buffer.from(buffer) });
          buffer = [];
        } else if (buffer.length > maxLength) {
          out.push({ garbage: Buffer.from(buffer), reason: 'DART frame longer than the maximum' });
          buffer = [];
        }
      }
      return mergeGarbage(out);
    },
    flushIdle() {
      if (buffer.length === 0) return [];
      const garbage = Buffer.from(buffer);
      buffer = [];
      return [{ garbage, reason: 'partial DART frame' }];
    },
    reset() {
      buffer = [];
    },
  };
}

// ---------------------------------------------------------------------------------------------
// BCD and decimals

/** Packed BCD, most significant digit first. Returns the digit string, or undefined on a nibble > 9. */
export function decodeBcd(bytes: Uint8Array): string | undefined {
  let digits = '';
  for (const byte of bytes) {
    const high = byte >> 4;
    const low = byte & 0x0f;
    if (high > 9 || low > 9) return undefined;
    digits += `${high}${low}`;
  }
  return digits;
}

/** Packs a digit string into `length` bytes of BCD, zero-padded on the left. */
export function encodeBcd(digits: string, length: number): Buffer {
  if (!/^\d*$/.test(digits) || digits.length > length * 2) {
    throw new RangeError(`"${digits}" does not fit ${length} BCD bytes`);
  }
  const padded = digits.padStart(length * 2, '0');
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (Number(padded[2 * i]) << 4) | Number(padded[2 * i + 1]);
  return out;
}

/** A non-negative decimal with at most `places` decimals as BCD of `length` bytes ("20.00", 2 → 00002000). */
export function decimalToBcd(text: string, places: number, length: number): Buffer {
  const scaled = new Dec(text).times(new Dec(10).pow(places));
  if (!scaled.isInteger() || scaled.isNegative()) {
    throw new RangeError(`${text} is not a non-negative value with ${places} decimals`);
  }
  return encodeBcd(scaled.toFixed(0), length);
}

function bcdValue(bytes: Uint8Array, places: number): string | undefined {
  const digits = decodeBcd(bytes);
  return digits === undefined ? undefined : withImpliedDecimals('', digits, places);
}

// ---------------------------------------------------------------------------------------------
// Level 3

export interface RawTransaction {
  trans: number;
  data: Buffer;
}

/** `TRANS LNG DATA(LNG)` repeated. */
export function splitTransactions(payload: Uint8Array): DecodeResult<RawTransaction[]> {
  const out: RawTransaction[] = [];
  let at = 0;
  while (at < payload.length) {
    if (at + 2 > payload.length) {
      return rejected('MG_ERR_FRAME_GARBLED', `transaction header cut short at byte ${at}`);
    }
    const trans = payload[at]!;
    const length = payload[at + 1]!;
    if (at + 2 + length > payload.length) {
      return rejected(
        'MG_ERR_FRAME_GARBLED',
        `transaction 0x${trans.toString(16)} announces ${length} bytes, ${payload.length - at - 2} left`,
      );
    }
    out.push({ trans, data: Buffer.from(payload.subarray(at + 2, at + 2 + length)) });
    at += 2 + length;
  }
  return decoded(out);
}

export function encodeTransaction(trans: number, data: Uint8Array): Buffer {
  if (data.length > 255) throw new RangeError('a DART transaction holds at most 255 bytes');
  return Buffer.concat([Buffer.from([trans, data.length]), data]);
}

/** CD1 DCC codes (rev 2.11 p.13). */
export const CD1 = {
  returnStatus: 0x00,
  returnParameters: 0x02,
  returnIdentity: 0x03,
  returnFillingInformation: 0x04,
  reset: 0x05,
  authorize: 0x06,
  stop: 0x08,
  switchOff: 0x0a,
  suspend: 0x0d,
  resume: 0x0e,
  returnPrices: 0x0f,
} as const;

const CD1_NAMES: Record<number, string> = {
  0: 'return-status',
  2: 'return-parameters',
  3: 'return-identity',
  4: 'return-filling-information',
  5: 'reset',
  6: 'authorize',
  8: 'stop',
  10: 'switch-off',
  13: 'suspend',
  14: 'resume',
  15: 'return-prices',
};

/** DC1 status codes (rev 2.11 p.20), named as DispenserTransaction.status. */
export const PUMP_STATUS: Record<number, string> = {
  0: 'not-programmed',
  1: 'reset',
  2: 'authorized',
  4: 'filling',
  5: 'completed',
  6: 'max-reached',
  7: 'switched-off',
  8: 'suspended',
};

export function pumpStatusName(code: number): string {
  return PUMP_STATUS[code] ?? `unknown-${code}`;
}

/** DC5 alarm codes (device-protocols.md §2.1). */
export const ALARMS: Record<number, string> = {
  1: 'cpu-reset',
  3: 'ram-error',
  4: 'prom-checksum-error',
  6: 'pulser-error',
  7: 'pulser-current-error',
  9: 'emergency-stop',
  10: 'power-failure',
  11: 'pressure-lost',
  12: 'blend-ratio-error',
  13: 'leak-error',
  14: 'leak-error',
  15: 'leak-error',
  16: 'vr-monitor',
  17: 'vr-monitor',
  18: 'vr-monitor',
  19: 'vr-monitor',
  25: 'vr-control',
  32: 'vr-control',
};

export function encodeCd1(command: number): Buffer {
  return encodeTransaction(0x01, Buffer.from([command]));
}

/** CD101 counter select: 1–9 volume of logical nozzle n, 0x11–0x19 amount of nozzle n. */
export function totalsCounter(nozzle: number, quantity: 'volume' | 'amount'): number {
  if (!Number.isInteger(nozzle) || nozzle < 1 || nozzle > 9) {
    throw new RangeError(`DART total counters exist for nozzles 1–9, not ${nozzle}`);
  }
  return quantity === 'volume' ? nozzle : 0x10 + nozzle;
}

export function encodeCd101(counter: number): Buffer {
  return encodeTransaction(0x65, Buffer.from([counter]));
}

/** CD3 preset volume, BCD4 with DPVOL decimals. */
export function encodeCd3PresetVolume(volume: string, decimals: number): Buffer {
  return encodeTransaction(0x03, decimalToBcd(volume, decimals, 4));
}

/** CD4 preset amount, BCD4 with DPAMO decimals. */
export function encodeCd4PresetAmount(amount: string, decimals: number): Buffer {
  return encodeTransaction(0x04, decimalToBcd(amount, decimals, 4));
}

/** CD5 price update: BCD3 per logical nozzle, nozzle 1 first, DPUNP decimals. */
export function encodeCd5Prices(prices: readonly string[], decimals: number): Buffer {
  return encodeTransaction(0x05, Buffer.concat(prices.map((price) => decimalToBcd(price, decimals, 3))));
}

export type PumpMessage =
  | { type: 'DC1'; statusCode: number; status: string }
  | { type: 'DC2'; volume: string; amount: string }
  | { type: 'DC3'; unitPrice: string; nozzle: number; nozzleOut: boolean }
  | { type: 'DC5'; alarmCode: number; alarm: string }
  | { type: 'DC7'; decimals: Decimals; maxAmount?: string; grades?: number[] }
  | { type: 'DC9'; identity: string }
  | {
      type: 'DC101';
      counter: number;
      nozzle: number;
      quantity: 'volume' | 'amount';
      total: string;
      meter1: string;
      meter2: string;
    }
  | { type: 'unknown'; trans: number; data: string };

export type ControllerMessage =
  | { type: 'CD1'; command: number; name: string }
  | { type: 'CD2'; nozzles: number[] }
  | { type: 'CD3'; presetVolume: string }
  | { type: 'CD4'; presetAmount: string }
  | { type: 'CD5'; prices: string[] }
  | { type: 'CD101'; counter: number; nozzle: number; quantity: 'volume' | 'amount' }
  | { type: 'unknown'; trans: number; data: string };

export interface PumpDecodeOptions {
  decimals?: Decimals;
  /**
   * Offset of DPVOL inside DC7 (DPAMO and DPUNP follow). UNCONFIRMED layout: without it a 22-byte
   * DC7 is read as DPVOL DPAMO DPUNP MAXAMO(BCD4) GRADE×15, as the reference lists the fields, and a
   * 50-byte one as RES×22 DPVOL DPAMO DPUNP RES×5 MAXAMO RES GRADE×15.
   */
  dc7DecimalsOffset?: number;
}

function wrongLength(name: string, expected: string, got: number): DecodeResult<never> {
  return rejected('MG_ERR_FRAME_GARBLED', `${name} must carry ${expected} bytes, not ${got}`);
}

function notBcd(name: string, data: Uint8Array): DecodeResult<never> {
  return rejected('MG_ERR_FRAME_GARBLED', `${name} is not packed BCD: ${Buffer.from(data).toString('hex')}`);
}

/** Where the DC7 fields sit: the short form of the reference, and the 50-byte form (UNCONFIRMED). */
const DC7_LAYOUTS = {
  22: { decimals: 0, maxAmount: 3, grades: 7 },
  50: { decimals: 22, maxAmount: 30, grades: 35 },
} as const;

function decodeDc7(data: Buffer, offset: number | undefined): DecodeResult<PumpMessage> {
  const layout = offset === undefined ? DC7_LAYOUTS[data.length as 22 | 50] : undefined;
  const at = offset ?? layout?.decimals;
  if (at === undefined || at + 3 > data.length) {
    return rejected(
      'MG_ERR_FRAME_GARBLED',
      `DC7 of ${data.length} bytes has no known layout; configure decimals (or dc7DecimalsOffset)`,
    );
  }
  const decimals = { volume: data[at]!, amount: data[at + 1]!, unitPrice: data[at + 2]! };
  if (decimals.volume > 8 || decimals.amount > 8 || decimals.unitPrice > 4) {
    return rejected(
      'MG_ERR_FRAME_GARBLED',
      `DC7 decimals DPVOL ${decimals.volume}, DPAMO ${decimals.amount}, DPUNP ${decimals.unitPrice} are out of range; configure decimals`,
    );
  }
  // With a configured offset only the decimals are known to be where they are said to be.
  if (!layout) return decoded({ type: 'DC7', decimals });
  const maxAmountBytes = data.subarray(layout.maxAmount, layout.maxAmount + 4);
  const maxAmount = bcdValue(maxAmountBytes, decimals.amount);
  if (maxAmount === undefined) return notBcd('DC7 MAXAMO', maxAmountBytes);
  return decoded({
    type: 'DC7',
    decimals,
    maxAmount,
    grades: [...data.subarray(layout.grades, layout.grades + 15)],
  });
}

/** One transaction as a pump sends it. */
export function decodePumpTransaction(
  tx: RawTransaction,
  options: PumpDecodeOptions = {},
): DecodeResult<PumpMessage> {
  const decimals = options.decimals ?? NO_DECIMALS;
  const { trans, data } = tx;
  switch (trans) {
    case 0x01: {
      if (data.length !== 1) return wrongLength('DC1', '1', data.length);
      return decoded({ type: 'DC1', statusCode: data[0]!, status: pumpStatusName(data[0]!) });
    }
    case 0x02: {
      if (data.length !== 8) return wrongLength('DC2', '8', data.length);
      const volume = bcdValue(data.subarray(0, 4), decimals.volume);
      const amount = bcdValue(data.subarray(4, 8), decimals.amount);
      if (volume === undefined || amount === undefined) return notBcd('DC2', data);
      return decoded({ type: 'DC2', volume, amount });
    }
    case 0x03: {
      if (data.length !== 4) return wrongLength('DC3', '4', data.length);
      const unitPrice = bcdValue(data.subarray(0, 3), decimals.unitPrice);
      if (unitPrice === undefined) return notBcd('DC3 price', data.subarray(0, 3));
      const nozio = data[3]!;
      return decoded({ type: 'DC3', unitPrice, nozzle: nozio & 0x0f, nozzleOut: (nozio & 0x10) !== 0 });
    }
    case 0x05: {
      if (data.length !== 1) return wrongLength('DC5', '1', data.length);
      const code = data[0]!;
      return decoded({ type: 'DC5', alarmCode: code, alarm: ALARMS[code] ?? `alarm-${code}` });
    }
    case 0x07:
      return decodeDc7(data, options.dc7DecimalsOffset);
    case 0x09: {
      if (data.length !== 5) return wrongLength('DC9', '5', data.length);
      const identity = decodeBcd(data);
      if (identity === undefined) return notBcd('DC9', data);
      return decoded({ type: 'DC9', identity });
    }
    case 0x65: {
      if (data.length !== 16) return wrongLength('DC101', '16', data.length);
      const counter = data[0]!;
      const quantity = counter >= 0x11 && counter <= 0x19 ? 'amount' : 'volume';
      const places = quantity === 'amount' ? decimals.amount : decimals.volume;
      const total = bcdValue(data.subarray(1, 6), places);
      const meter1 = bcdValue(data.subarray(6, 11), places);
      const meter2 = bcdValue(data.subarray(11, 16), places);
      if (total === undefined || meter1 === undefined || meter2 === undefined) return notBcd('DC101', data);
      return decoded({ type: 'DC101', counter, nozzle: counter & 0x0f, quantity, total, meter1, meter2 });
    }
    default:
      return decoded({ type: 'unknown', trans, data: data.toString('hex') });
  }
}

/** One transaction as a controller sends it (golden frames, diagnostics). */
export function decodeControllerTransaction(
  tx: RawTransaction,
  decimals: Decimals = NO_DECIMALS,
): DecodeResult<ControllerMessage> {
  const { trans, data } = tx;
  switch (trans) {
    case 0x01: {
      if (data.length !== 1) return wrongLength('CD1', '1', data.length);
      const command = data[0]!;
      return decoded({ type: 'CD1', command, name: CD1_NAMES[command] ?? `command-${command}` });
    }
    case 0x02:
      return decoded({ type: 'CD2', nozzles: [...data] });
    case 0x03:
    case 0x04: {
      if (data.length !== 4) return wrongLength(trans === 3 ? 'CD3' : 'CD4', '4', data.length);
      const value = bcdValue(data, trans === 3 ? decimals.volume : decimals.amount);
      if (value === undefined) return notBcd(trans === 3 ? 'CD3' : 'CD4', data);
      return decoded(
        trans === 3 ? { type: 'CD3', presetVolume: value } : { type: 'CD4', presetAmount: value },
      );
    }
    case 0x05: {
      if (data.length === 0 || data.length % 3 !== 0)
        return wrongLength('CD5', 'a multiple of 3', data.length);
      const prices: string[] = [];
      for (let at = 0; at < data.length; at += 3) {
        const price = bcdValue(data.subarray(at, at + 3), decimals.unitPrice);
        if (price === undefined) return notBcd('CD5', data);
        prices.push(price);
      }
      return decoded({ type: 'CD5', prices });
    }
    case 0x65: {
      if (data.length !== 1) return wrongLength('CD101', '1', data.length);
      const counter = data[0]!;
      const quantity = counter >= 0x11 && counter <= 0x19 ? 'amount' : 'volume';
      return decoded({ type: 'CD101', counter, nozzle: counter & 0x0f, quantity });
    }
    default:
      return decoded({ type: 'unknown', trans, data: data.toString('hex') });
  }
}

export function decodePumpPayload(
  payload: Uint8Array,
  options: PumpDecodeOptions = {},
): DecodeResult<PumpMessage[]> {
  const split = splitTransactions(payload);
  if (!split.ok) return split;
  const out: PumpMessage[] = [];
  for (const tx of split.value) {
    const message = decodePumpTransaction(tx, options);
    if (!message.ok) return message;
    out.push(message.value);
  }
  return decoded(out);
}

export interface DartFrame {
  address: number;
  kind: LineKind;
  seq: number;
  transactions?: (PumpMessage | ControllerMessage)[];
}

export interface DartFrameOptions extends PumpDecodeOptions {
  /** Who sent the frame: `pump` (default) or `controller`; CD and DC share TRANS numbers. */
  direction?: 'pump' | 'controller';
}

/** Reads decodeFrame's loosely typed options without ever throwing. */
export function dartFrameOptions(options: unknown): DartFrameOptions {
  if (typeof options !== 'object' || options === null) return {};
  const o = options as Record<string, unknown>;
  const out: DartFrameOptions = {};
  if (o.direction === 'controller' || o.direction === 'pump') out.direction = o.direction;
  const d = o.decimals as Record<string, unknown> | undefined;
  if (
    typeof d === 'object' &&
    d !== null &&
    [d.volume, d.amount, d.unitPrice].every(
      (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 8,
    )
  ) {
    out.decimals = {
      volume: d.volume as number,
      amount: d.amount as number,
      unitPrice: d.unitPrice as number,
    };
  }
  if (Number.isInteger(o.dc7DecimalsOffset) && (o.dc7DecimalsOffset as number) >= 0) {
    out.dc7DecimalsOffset = o.dc7DecimalsOffset as number;
  }
  return out;
}

/** A whole frame: line layer, and for DATA every transaction (direction from the options). */
export function decodeDartFrame(frame: Uint8Array, options: DartFrameOptions = {}): DecodeResult<DartFrame> {
  const line = decodeLineFrame(frame);
  if (!line.ok) return line;
  const { address, kind, seq, payload } = line.value;
  if (payload === undefined) return decoded({ address, kind, seq });
  if (options.direction === 'controller') {
    const split = splitTransactions(payload);
    if (!split.ok) return split;
    const transactions: ControllerMessage[] = [];
    for (const tx of split.value) {
      const message = decodeControllerTransaction(tx, options.decimals);
      if (!message.ok) return message;
      transactions.push(message.value);
    }
    return decoded({ address, kind, seq, transactions });
  }
  const messages = decodePumpPayload(payload, options);
  if (!messages.ok) return messages;
  return decoded({ address, kind, seq, transactions: messages.value });
}
