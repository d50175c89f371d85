/**
 * JT/T 905.2 taximeter interface on the ISU's serial peripheral bus, as laid out in
 * device-protocols.md §3.1 (SmallChi/JT905 `src/JT905.Protocol/SerialPort/`):
 *
 *   55 AA | length (uint16 BE) | device type | manufacturer flag | command (uint16 BE) | body | XOR | 55 AA
 *
 * `length` counts device type through the end of the body; the XOR runs from the length field to the
 * end of the body. No byte stuffing: `55 AA` may occur inside a body (a BCD fare of 55, an ASCII
 * field), so frames are cut by their length, never by searching for the end mark.
 *
 * Pure encode/decode: no I/O, no timers, never throws on any input.
 */
import { normalizeDecimalText, withImpliedDecimals } from '../decimal.js';
import { type DecodeResult, decoded, rejected, showFrame } from '../decode-result.js';
import { type Framer, type FramerOutput, mergeGarbage } from '../transport/framers.js';

export const MARK_FIRST = 0x55;
export const MARK_SECOND = 0xaa;
/** Start mark, length, and after the body the XOR and end mark: what a frame adds to its length field. */
const FRAME_OVERHEAD = 7;
/** Device type, manufacturer flag and command: the smallest `length`. */
const MIN_LENGTH_FIELD = 4;
/** Longest frame accepted by default: a trip record with generous card data. */
export const DEFAULT_MAX_FRAME = 1024;

/** Device types of the peripheral bus (SerialPortPackage.cs). */
export const DEVICE_TYPES = {
  isu: 0x00,
  communicationModule: 0x01,
  taximeter: 0x02,
  securityModule: 0x03,
  ledScreen: 0x04,
  roofLight: 0x05,
  rearEvaluator: 0x06,
  camera: 0x07,
  gnss: 0x08,
  lcdScreen: 0x09,
  isuHmi: 0x10,
  frontEvaluator: 0x11,
} as const;

export const JTT905_COMMANDS = {
  status: 0x0000,
  fareParametersQuery: 0x0004,
  fareParametersSet: 0x0005,
  tripStart: 0x00e7,
  tripRecord: 0x00e8,
  tripResend: 0x00f2,
} as const;

/** Result byte of the ISU's acknowledgements (Taximeter_0x00E7/E8/F2_Down.cs). */
export const ACK_OK = 0x90;
export const ACK_FAIL = 0xff;

/** Fixed body sizes (bytes). */
const ISU_TIME_BYTES = 7;
/** Status reply up to the work state; plate, licence, certificate and trip count follow (SmallChi). */
const STATUS_CORE_BYTES = 10;
const STATUS_FULL_BYTES = 55;
/** Trip record without card data: 6 + 16 + 19 + 5 + 2 + 3 + 2 + 3 + 2 + 3 + 4 + 1. */
export const TRIP_RECORD_BYTES = 66;
/** Fare parameter block without the vendor extension: 5 + 13 × 2 + 4 × 2 + 22 reserved. */
export const FARE_PARAMETER_BYTES = 61;
const RESERVED_PARAMETER_BYTES = 22;
const SET_RESULT_BYTES = 6;
/** metrogate's resend request: the trip number wanted, 0 = the newest (UNCONFIRMED extension). */
const RESEND_REQUEST_BYTES = 4;

export interface Jtt905Packet {
  deviceType: number;
  flag: number;
  command: number;
  body: Buffer;
}

// ---------------------------------------------------------------------------------------------
// Frame level

/** XOR of every byte. */
export function xorOf(bytes: Uint8Array): number {
  let check = 0;
  for (const byte of bytes) check ^= byte;
  return check;
}

export function encodeFrame(packet: {
  deviceType?: number;
  flag?: number;
  command: number;
  body?: Uint8Array | readonly number[];
}): Buffer {
  const body = Buffer.from(packet.body ?? []);
  const inner = Buffer.alloc(6 + body.length);
  inner.writeUInt16BE(MIN_LENGTH_FIELD + body.length, 0);
  inner[2] = packet.deviceType ?? DEVICE_TYPES.taximeter;
  inner[3] = packet.flag ?? 0;
  inner.writeUInt16BE(packet.command, 4);
  body.copy(inner, 6);
  return Buffer.concat([
    Buffer.from([MARK_FIRST, MARK_SECOND]),
    inner,
    Buffer.from([xorOf(inner), MARK_FIRST, MARK_SECOND]),
  ]);
}

/** Checks marks, length and XOR of one whole frame and splits it into its fields. */
export function parseFrame(frame: Buffer): DecodeResult<Jtt905Packet> {
  if (frame.length < FRAME_OVERHEAD + MIN_LENGTH_FIELD) {
    return rejected('MG_ERR_FRAME_GARBLED', `frame too short (${frame.length} bytes): ${showFrame(frame)}`);
  }
  if (frame[0] !== MARK_FIRST || frame[1] !== MARK_SECOND) {
    return rejected('MG_ERR_FRAME_GARBLED', `frame does not start with 55 AA: ${showFrame(frame)}`);
  }
  const end = frame.length;
  if (frame[end - 2] !== MARK_FIRST || frame[end - 1] !== MARK_SECOND) {
    return rejected('MG_ERR_FRAME_GARBLED', `frame does not end with 55 AA: ${showFrame(frame)}`);
  }
  const length = frame.readUInt16BE(2);
  if (length + FRAME_OVERHEAD !== frame.length) {
    return rejected(
      'MG_ERR_FRAME_GARBLED',
      `length field ${length} does not match a ${frame.length}-byte frame (expected ${frame.length - FRAME_OVERHEAD})`,
    );
  }
  const expected = xorOf(frame.subarray(2, end - 3));
  const actual = frame[end - 3]!;
  if (expected !== actual) {
    return rejected(
      'MG_ERR_FRAME_CHECKSUM',
      `XOR check 0x${hex2(actual)} does not match 0x${hex2(expected)} computed over the frame`,
    );
  }
  return decoded({
    deviceType: frame[4]!,
    flag: frame[5]!,
    command: frame.readUInt16BE(6),
    body: Buffer.from(frame.subarray(8, end - 3)),
  });
}

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, '0').toUpperCase();
}

/** `0x00E8` */
export function commandText(command: number): string {
  return `0x${command.toString(16).padStart(4, '0').toUpperCase()}`;
}

export interface Jtt905FramerOptions {
  /** Longest frame kept; a length field announcing more is taken for a false start. */
  maxFrameLength?: number;
  /** A frame left incomplete for this long is reported as garbage (a frame cut short). */
  idleFlushMs?: number;
}

/**
 * Cuts frames by their length field. After a `55 AA` the length says where the frame ends; if the
 * end mark is not there (a false start inside garbage, a frame cut short and followed by the next)
 * the first byte is discarded and the search for `55 AA` starts again one byte further, so the next
 * whole frame is always found. The XOR is left to the decoder so that it can say "checksum".
 */
export function createJtt905Framer(options: Jtt905FramerOptions = {}): Framer {
  const maxFrame = options.maxFrameLength ?? DEFAULT_MAX_FRAME;
  let buffer = Buffer.alloc(0);
  /**
   * Takes every whole frame off the front of the buffer. With `final` (the line went idle) an
   * unfinished frame at the front is a false start or a frame cut short: it loses its first byte and
   * the scan goes on, so a good frame that followed it is still found.
   */
  const scan = (final: boolean): FramerOutput[] => {
    const out: FramerOutput[] = [];
    const discard = (count: number, reason: string) => {
      out.push({ garbage: Buffer.from(buffer.subarray(0, count)), reason });
      buffer = Buffer.from(buffer.subarray(count));
    };
    for (;;) {
      const start = findMark(buffer);
      if (start < 0) {
        // Keep a trailing 0x55 unless the line is idle: it may be the first half of a start mark.
        const keep = !final && buffer.length > 0 && buffer[buffer.length - 1] === MARK_FIRST ? 1 : 0;
        if (buffer.length - keep > 0) discard(buffer.length - keep, 'bytes outside a frame');
        break;
      }
      if (start > 0) discard(start, 'bytes outside a frame');
      if (buffer.length < 4) {
        if (final) discard(buffer.length, 'partial frame');
        break;
      }
      const total = buffer.readUInt16BE(2) + FRAME_OVERHEAD;
      if (total < FRAME_OVERHEAD + MIN_LENGTH_FIELD || total > maxFrame) {
        discard(1, 'impossible length field');
        continue;
      }
      if (buffer.length < total) {
        if (!final) break;
        discard(1, 'partial frame');
        continue;
      }
      if (buffer[total - 2] !== MARK_FIRST || buffer[total - 1] !== MARK_SECOND) {
        discard(1, 'no end mark where the length field says');
        continue;
      }
      out.push({ frame: Buffer.from(buffer.subarray(0, total)) });
      buffer = Buffer.from(buffer.subarray(total));
    }
    return mergeGarbage(out);
  };
  return {
    idleFlushMs: options.idleFlushMs ?? 200,
    push(chunk) {
      buffer = buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([buffer, chunk]);
      return scan(false);
    },
    flushIdle() {
      return buffer.length === 0 ? [] : scan(true);
    },
    reset() {
      buffer = Buffer.alloc(0);
    },
  };
}

function findMark(buffer: Buffer): number {
  for (let i = 0; i + 1 < buffer.length; i++) {
    if (buffer[i] === MARK_FIRST && buffer[i + 1] === MARK_SECOND) return i;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// BCD, times, text

/** The decimal digits of BCD bytes, or undefined when a nibble is not a digit. */
export function bcdDigits(bytes: Uint8Array): string | undefined {
  let digits = '';
  for (const byte of bytes) {
    const high = byte >> 4;
    const low = byte & 0x0f;
    if (high > 9 || low > 9) return undefined;
    digits += `${high}${low}`;
  }
  return digits;
}

/** Packs decimal digits into BCD; an odd count gets a leading 0. Throws on a non-digit (encoder input). */
export function toBcd(digits: string): Buffer {
  if (!/^\d*$/.test(digits)) throw new RangeError(`not decimal digits: ${digits}`);
  const even = digits.length % 2 === 0 ? digits : `0${digits}`;
  return Buffer.from(even, 'hex');
}

/** Packs an unsigned whole number into `bytes` BCD bytes; throws when it does not fit. */
export function bcdOfNumber(value: number | bigint, bytes: number): Buffer {
  const digits = value.toString();
  if (!/^\d+$/.test(digits) || digits.length > bytes * 2) {
    throw new RangeError(`${digits} does not fit in ${bytes} BCD bytes`);
  }
  return toBcd(digits.padStart(bytes * 2, '0'));
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function validDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  if (month === 2 && !isLeap(year)) return day <= 28;
  return day <= DAYS_IN_MONTH[month - 1]!;
}

function validTime(hour: number, minute: number, second = 0): boolean {
  return hour <= 23 && minute <= 59 && second <= 59;
}

/** `YYYYMMDDhhmmss` BCD[7] → `YYYY-MM-DDThh:mm:ss` (local time, as the device keeps it). */
export function decodeBcdDateTime(bytes: Uint8Array): string | undefined {
  const digits = bytes.length === 7 ? bcdDigits(bytes) : undefined;
  if (digits === undefined) return undefined;
  const [y, mo, d, h, mi, s] = [0, 4, 6, 8, 10, 12].map((at, i) =>
    Number(digits.slice(at, at + (i === 0 ? 4 : 2))),
  ) as [number, number, number, number, number, number];
  if (!validDate(y, mo, d) || !validTime(h, mi, s)) return undefined;
  return `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}T${digits.slice(8, 10)}:${digits.slice(10, 12)}:${digits.slice(12, 14)}`;
}

/** Local calendar time of `date` as BCD[7] `YYYYMMDDhhmmss` (the ISU's clock in a status query). */
export function encodeBcdDateTime(date: Date): Buffer {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return toBcd(
    `${pad(date.getFullYear(), 4)}${pad(date.getMonth() + 1)}${pad(date.getDate())}` +
      `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`,
  );
}

/** Round trip helper for `YYYY-MM-DDThh:mm:ss` text (tests, the status query of a fixed clock). */
export function bcdOfDateTimeText(text: string): Buffer | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (!match) return undefined;
  const buffer = toBcd(match.slice(1).join(''));
  return decodeBcdDateTime(buffer) === text ? buffer : undefined;
}

/** `hhmm` BCD[2] → seconds, or undefined (minutes above 59 are not a time). */
export function decodeBcdHoursMinutes(bytes: Uint8Array): number | undefined {
  const digits = bytes.length === 2 ? bcdDigits(bytes) : undefined;
  if (digits === undefined) return undefined;
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2, 4));
  if (minutes > 59) return undefined;
  return hours * 3600 + minutes * 60;
}

/** `mmss` BCD[2] → seconds. */
function decodeBcdMinutesSeconds(bytes: Uint8Array): number | undefined {
  const digits = bcdDigits(bytes);
  if (digits === undefined) return undefined;
  const seconds = Number(digits.slice(2, 4));
  return seconds > 59 ? undefined : Number(digits.slice(0, 2)) * 60 + seconds;
}

/** `HHmm` BCD[2] → `HH:mm`. */
function decodeClockTime(bytes: Uint8Array): string | undefined {
  const digits = bcdDigits(bytes);
  if (digits === undefined) return undefined;
  return validTime(Number(digits.slice(0, 2)), Number(digits.slice(2, 4)))
    ? `${digits.slice(0, 2)}:${digits.slice(2, 4)}`
    : undefined;
}

/**
 * Fixed-width text fields are ASCII in the reference; GBK is its superset on Chinese equipment, so
 * a plate with a province character still decodes. Padding (NUL, spaces) is dropped.
 */
export function decodeText(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  const text = new TextDecoder('gbk').decode(nul >= 0 ? bytes.subarray(0, nul) : bytes);
  return text.trimEnd();
}

/** BCD digits with `places` implied decimals, as exact decimal text ("000080", 1 → "8.0"). */
function bcdDecimal(bytes: Uint8Array, places: number): string | undefined {
  const digits = bcdDigits(bytes);
  return digits === undefined ? undefined : withImpliedDecimals('', digits, places);
}

/** BCD count of 0.1 km → whole metres ("000001" → "100"). */
function bcdTenthsKmToMetres(bytes: Uint8Array): string | undefined {
  const digits = bcdDigits(bytes);
  return digits === undefined ? undefined : normalizeDecimalText(`${digits}00`);
}

/** BCD count of 0.01 km → whole metres ("0300" → "3000"). */
function bcdHundredthsKmToMetres(bytes: Uint8Array): string | undefined {
  const digits = bcdDigits(bytes);
  return digits === undefined ? undefined : normalizeDecimalText(`${digits}0`);
}

// ---------------------------------------------------------------------------------------------
// Message bodies

export type PaymentType = 'cash' | 'm1-card' | 'cpu-card' | 'other' | `unknown-0x${string}`;

const PAYMENT_TYPES: Record<number, PaymentType> = { 0: 'cash', 1: 'm1-card', 3: 'cpu-card', 9: 'other' };

export function paymentTypeOf(code: number): PaymentType {
  return PAYMENT_TYPES[code] ?? `unknown-0x${hex2(code)}`;
}

/** One completed trip (0x00E8, and the same layout resent in 0x00F2). Units converted, exact text. */
export interface Jtt905TripRecord {
  plate: string;
  operatingLicence: string;
  driverCertificate: string;
  /** `YYYY-MM-DDThh:mm`, local meter time. */
  boardingTime: string;
  /** `YYYY-MM-DDThh:mm`; the record holds only `hhmm`, so the date is the boarding date or the next. */
  alightingTime: string;
  /** Metres (the record counts 0.1 km). */
  distance: string;
  emptyDistance: string;
  /** Money, 0.1 resolution. */
  surcharge: string;
  /** Seconds (the record counts hh:mm). */
  waitingTime: string;
  fare: string;
  tripNumber: string;
  paymentType: PaymentType;
  paymentTypeCode: number;
  /** Transport-card data after the fixed fields, hex ("" when none). */
  cardData: string;
}

export function decodeTripRecord(body: Buffer): DecodeResult<Jtt905TripRecord> {
  if (body.length < TRIP_RECORD_BYTES) {
    return rejected(
      'MG_ERR_FRAME_GARBLED',
      `trip record body has ${body.length} bytes, at least ${TRIP_RECORD_BYTES} expected`,
    );
  }
  const field = (from: number, length: number) => body.subarray(from, from + length);
  const boardingDigits = bcdDigits(field(41, 5));
  const alightingDigits = bcdDigits(field(46, 2));
  if (boardingDigits === undefined || alightingDigits === undefined) {
    return rejected('MG_ERR_FRAME_GARBLED', 'trip record times are not BCD');
  }
  const year = 2000 + Number(boardingDigits.slice(0, 2));
  const month = Number(boardingDigits.slice(2, 4));
  const day = Number(boardingDigits.slice(4, 6));
  const boardHour = Number(boardingDigits.slice(6, 8));
  const boardMinute = Number(boardingDigits.slice(8, 10));
  const alightHour = Number(alightingDigits.slice(0, 2));
  const alightMinute = Number(alightingDigits.slice(2, 4));
  if (
    !validDate(year, month, day) ||
    !validTime(boardHour, boardMinute) ||
    !validTime(alightHour, alightMinute)
  ) {
    return rejected(
      'MG_ERR_FRAME_GARBLED',
      `trip record times ${boardingDigits}/${alightingDigits} are not a calendar time`,
    );
  }
  const boardingDate = `${year}-${boardingDigits.slice(2, 4)}-${boardingDigits.slice(4, 6)}`;
  // Only hh:mm of the alighting is sent: a trip that passes midnight ends on the next day.
  const nextDay = alightHour * 60 + alightMinute < boardHour * 60 + boardMinute;
  const alightingDate = nextDay ? nextCalendarDay(year, month, day) : boardingDate;
  const distance = bcdTenthsKmToMetres(field(48, 3));
  const emptyDistance = bcdTenthsKmToMetres(field(51, 2));
  const surcharge = bcdDecimal(field(53, 3), 1);
  const waitingTime = decodeBcdHoursMinutes(field(56, 2));
  const fare = bcdDecimal(field(58, 3), 1);
  if (
    distance === undefined ||
    emptyDistance === undefined ||
    surcharge === undefined ||
    waitingTime === undefined ||
    fare === undefined
  ) {
    return rejected('MG_ERR_FRAME_GARBLED', 'trip record amounts are not BCD');
  }
  const paymentTypeCode = body[65]!;
  return decoded({
    plate: decodeText(field(0, 6)),
    operatingLicence: decodeText(field(6, 16)),
    driverCertificate: decodeText(field(22, 19)),
    boardingTime: `${boardingDate}T${boardingDigits.slice(6, 8)}:${boardingDigits.slice(8, 10)}`,
    alightingTime: `${alightingDate}T${alightingDigits.slice(0, 2)}:${alightingDigits.slice(2, 4)}`,
    distance,
    emptyDistance,
    surcharge,
    waitingTime: String(waitingTime),
    fare,
    tripNumber: String(body.readUInt32BE(61)),
    paymentType: paymentTypeOf(paymentTypeCode),
    paymentTypeCode,
    cardData: body.subarray(TRIP_RECORD_BYTES).toString('hex'),
  });
}

function nextCalendarDay(year: number, month: number, day: number): string {
  const next = new Date(Date.UTC(year, month - 1, day + 1));
  return next.toISOString().slice(0, 10);
}

export type DeviceState =
  | 'normal'
  | 'count-limited'
  | 'date-limited'
  | 'trip-storage-full'
  | 'sign-in-storage-full'
  | `fault-0x${string}`;

const DEVICE_STATES: Record<number, DeviceState> = {
  0: 'normal',
  1: 'count-limited',
  2: 'date-limited',
  4: 'trip-storage-full',
  8: 'sign-in-storage-full',
};

export type WorkState =
  | 'signed-in'
  | 'signed-out'
  | 'signed-in-forced'
  | 'signed-out-forced'
  | `unknown-0x${string}`;

const WORK_STATES: Record<number, WorkState> = {
  0: 'signed-in',
  1: 'signed-out',
  16: 'signed-in-forced',
  17: 'signed-out-forced',
};

/** The meter's answer to a status query (0x0000). */
export interface Jtt905Status {
  manufacturer: string;
  deviceType: string;
  serialNumber: string;
  hardwareVersion: string;
  /** Major.minor, each as the meter's BCD digits. */
  softwareVersion: string;
  deviceState: DeviceState;
  deviceStateCode: number;
  workState: WorkState;
  workStateCode: number;
  /** The rest of the reply, when the meter sends it (SmallChi's layout; not in every source). */
  plate?: string;
  operatingLicence?: string;
  driverCertificate?: string;
  tripCount?: string;
}

export function decodeStatus(body: Buffer): DecodeResult<Jtt905Status> {
  if (body.length < STATUS_CORE_BYTES) {
    return rejected(
      'MG_ERR_FRAME_GARBLED',
      `status reply has ${body.length} bytes, at least ${STATUS_CORE_BYTES} expected`,
    );
  }
  const digits = bcdDigits(body.subarray(0, 8));
  if (digits === undefined) return rejected('MG_ERR_FRAME_GARBLED', 'status reply identity is not BCD');
  const deviceStateCode = body[8]!;
  const workStateCode = body[9]!;
  const status: Jtt905Status = {
    manufacturer: digits.slice(0, 2),
    deviceType: digits.slice(2, 4),
    serialNumber: digits.slice(4, 10),
    hardwareVersion: digits.slice(10, 12),
    softwareVersion: `${digits.slice(12, 14)}.${digits.slice(14, 16)}`,
    deviceState: DEVICE_STATES[deviceStateCode] ?? `fault-0x${hex2(deviceStateCode)}`,
    deviceStateCode,
    workState: WORK_STATES[workStateCode] ?? `unknown-0x${hex2(workStateCode)}`,
    workStateCode,
  };
  if (body.length >= STATUS_FULL_BYTES) {
    status.plate = decodeText(body.subarray(10, 16));
    status.operatingLicence = decodeText(body.subarray(16, 32));
    status.driverCertificate = decodeText(body.subarray(32, 51));
    status.tripCount = String(body.readUInt32BE(51));
  }
  return decoded(status);
}

/**
 * The meter's tariff (0x0004 reply; the same block is what 0x0005 sets). Prices have two decimals
 * (BCD[2], read as value/100 by SmallChi: UNCONFIRMED against the standard text); distances are given
 * here in metres (the block holds 0.01 km); the unit of the waiting price is not in the sources.
 */
export interface Jtt905FareParameters {
  /** `YYYY-MM-DDThh:00`: when the tariff takes effect (its version). */
  enabledAt: string;
  dayRoundTripRate: string;
  nightRoundTripRate: string;
  dayOneWayRate: string;
  nightOneWayRate: string;
  daySecondEmptyRate: string;
  nightSecondEmptyRate: string;
  dayFlagFall: string;
  nightFlagFall: string;
  /** 续程里程数, metres (meaning UNCONFIRMED). */
  continuationDistance: string;
  /** 起程公里: distance covered by the flag fall, metres. */
  includedDistance: string;
  /** 二次空贴公里, metres. */
  secondEmptyDistance: string;
  dayWaitingRate: string;
  nightWaitingRate: string;
  /** Seconds. */
  freeWaitingTime: string;
  surchargeTime: string;
  /** `HH:mm`. */
  nightStart: string;
  nightEnd: string;
  /** The 22 reserved bytes and the vendor extension, hex. */
  reserved: string;
  vendorExtension: string;
}

const PRICE_FIELDS = [
  'dayRoundTripRate',
  'nightRoundTripRate',
  'dayOneWayRate',
  'nightOneWayRate',
  'daySecondEmptyRate',
  'nightSecondEmptyRate',
  'dayFlagFall',
  'nightFlagFall',
] as const;
const DISTANCE_FIELDS = ['continuationDistance', 'includedDistance', 'secondEmptyDistance'] as const;
const WAITING_FIELDS = ['dayWaitingRate', 'nightWaitingRate'] as const;

export function decodeFareParameters(body: Buffer): DecodeResult<Jtt905FareParameters> {
  if (body.length < FARE_PARAMETER_BYTES) {
    return rejected(
      'MG_ERR_FRAME_GARBLED',
      `fare parameter block has ${body.length} bytes, at least ${FARE_PARAMETER_BYTES} expected`,
    );
  }
  const enabled = bcdDigits(body.subarray(0, 5));
  if (
    enabled === undefined ||
    !validDate(Number(enabled.slice(0, 4)), Number(enabled.slice(4, 6)), Number(enabled.slice(6, 8))) ||
    Number(enabled.slice(8, 10)) > 23
  ) {
    return rejected('MG_ERR_FRAME_GARBLED', 'fare parameter enable time is not a BCD calendar hour');
  }
  const values: Record<string, string> = {};
  let at = 5;
  for (const name of [...PRICE_FIELDS, ...DISTANCE_FIELDS, ...WAITING_FIELDS]) {
    const bytes = body.subarray(at, at + 2);
    at += 2;
    const value = (DISTANCE_FIELDS as readonly string[]).includes(name)
      ? bcdHundredthsKmToMetres(bytes)
      : bcdDecimal(bytes, 2);
    if (value === undefined) return rejected('MG_ERR_FRAME_GARBLED', `fare parameter ${name} is not BCD`);
    values[name] = value;
  }
  const freeWaitingTime = decodeBcdMinutesSeconds(body.subarray(at, at + 2));
  const surchargeTime = decodeBcdMinutesSeconds(body.subarray(at + 2, at + 4));
  const nightStart = decodeClockTime(body.subarray(at + 4, at + 6));
  const nightEnd = decodeClockTime(body.subarray(at + 6, at + 8));
  if (
    freeWaitingTime === undefined ||
    surchargeTime === undefined ||
    nightStart === undefined ||
    nightEnd === undefined
  ) {
    return rejected('MG_ERR_FRAME_GARBLED', 'fare parameter times are not BCD mmss / HHmm');
  }
  at += 8;
  return decoded({
    enabledAt: `${enabled.slice(0, 4)}-${enabled.slice(4, 6)}-${enabled.slice(6, 8)}T${enabled.slice(8, 10)}:00`,
    ...(values as Record<
      (typeof PRICE_FIELDS)[number] | (typeof DISTANCE_FIELDS)[number] | (typeof WAITING_FIELDS)[number],
      string
    >),
    freeWaitingTime: String(freeWaitingTime),
    surchargeTime: String(surchargeTime),
    nightStart,
    nightEnd,
    reserved: body.subarray(at, at + RESERVED_PARAMETER_BYTES).toString('hex'),
    vendorExtension: body.subarray(at + RESERVED_PARAMETER_BYTES).toString('hex'),
  });
}

/** The block of 0x0005 (and of the 0x0004 reply) from parameters; throws on values that do not fit. */
export function encodeFareParameters(params: Jtt905FareParameters): Buffer {
  const enabled = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})(?::00)?$/.exec(params.enabledAt);
  if (!enabled) throw new RangeError(`enabledAt must be YYYY-MM-DDThh:00, got ${params.enabledAt}`);
  const parts: Buffer[] = [toBcd(enabled.slice(1).join(''))];
  for (const name of PRICE_FIELDS) parts.push(bcdOfScaled(params[name], 2, name));
  for (const name of DISTANCE_FIELDS) parts.push(bcdOfScaled(params[name], -1, name));
  for (const name of WAITING_FIELDS) parts.push(bcdOfScaled(params[name], 2, name));
  const seconds = (name: 'freeWaitingTime' | 'surchargeTime') => {
    const total = Number(params[name]);
    if (!Number.isInteger(total) || total < 0 || total >= 6000)
      throw new RangeError(`${name}: ${params[name]}`);
    return toBcd(`${String(Math.floor(total / 60)).padStart(2, '0')}${String(total % 60).padStart(2, '0')}`);
  };
  const clock = (name: 'nightStart' | 'nightEnd') => {
    const match = /^(\d{2}):(\d{2})$/.exec(params[name]);
    if (!match) throw new RangeError(`${name} must be HH:mm, got ${params[name]}`);
    return toBcd(`${match[1]}${match[2]}`);
  };
  parts.push(seconds('freeWaitingTime'), seconds('surchargeTime'), clock('nightStart'), clock('nightEnd'));
  const reserved = Buffer.alloc(RESERVED_PARAMETER_BYTES);
  Buffer.from(params.reserved ?? '', 'hex').copy(reserved);
  parts.push(reserved, Buffer.from(params.vendorExtension ?? '', 'hex'));
  return Buffer.concat(parts);
}

/**
 * A decimal as BCD[2] of units 10^-places; places −1 means metres carried as 0.01 km (÷ 10).
 * Exact: a value that needs more resolution than the field has is refused, not rounded.
 */
function bcdOfScaled(text: string, places: number, name: string): Buffer {
  const normal = normalizeDecimalText(text);
  if (normal === undefined || normal.startsWith('-'))
    throw new RangeError(`${name}: "${text}" is not a decimal`);
  const [whole = '0', fraction = ''] = normal.split('.');
  let digits: string;
  if (places >= 0) {
    if (fraction.replace(/0+$/, '').length > places)
      throw new RangeError(`${name}: ${text} has more than ${places} decimals`);
    digits = `${whole}${fraction.padEnd(places, '0').slice(0, places)}`;
  } else {
    if (fraction.replace(/0+$/, '') !== '' || !whole.endsWith('0')) {
      throw new RangeError(`${name}: ${text} m is not a multiple of 10 m`);
    }
    digits = whole.slice(0, -1) || '0';
  }
  digits = digits.replace(/^0+(?=\d)/, '');
  if (digits.length > 4) throw new RangeError(`${name}: ${text} does not fit in BCD[2]`);
  return toBcd(digits.padStart(4, '0'));
}

export type FareSetResult = 'ok' | 'checksum-failed' | 'same-version' | 'unsupported' | `unknown-0x${string}`;

const SET_RESULTS: Record<number, FareSetResult> = {
  0: 'ok',
  1: 'checksum-failed',
  2: 'same-version',
  255: 'unsupported',
};

// ---------------------------------------------------------------------------------------------
// Whole messages

export type Jtt905Direction = 'meter-to-isu' | 'isu-to-meter';

/** What a frame says, by command and (where a command has two bodies) by the body's length. */
export type Jtt905Message =
  | { kind: 'status-query'; isuTime: string }
  | { kind: 'status'; status: Jtt905Status }
  | { kind: 'fare-parameters-query' }
  | { kind: 'fare-parameters'; parameters: Jtt905FareParameters }
  | { kind: 'fare-parameters-set'; parameters: Jtt905FareParameters }
  | { kind: 'fare-parameters-set-result'; result: FareSetResult; resultCode: number; enabledAt: string }
  | { kind: 'trip-start'; occupiedAt: string }
  | { kind: 'trip-record'; trip: Jtt905TripRecord }
  | { kind: 'trip-resend'; trip: Jtt905TripRecord }
  | { kind: 'trip-resend-request'; tripNumber: string }
  | { kind: 'trip-resend-none' }
  | { kind: 'ack'; ofCommand: string; result: 'ok' | 'fail' | `unknown-0x${string}`; resultCode: number }
  | { kind: 'other'; body: string };

export interface Jtt905Decoded {
  deviceType: number;
  flag: number;
  command: string;
  direction: Jtt905Direction;
  message: Jtt905Message;
}

const ISU_TO_METER: ReadonlySet<Jtt905Message['kind']> = new Set([
  'status-query',
  'fare-parameters-query',
  'fare-parameters-set',
  'trip-resend-request',
  'ack',
]);

/** Decodes the body of an already-checked packet. */
export function decodeMessage(packet: Jtt905Packet): DecodeResult<Jtt905Message> {
  const { command, body } = packet;
  const garbled = (what: string) =>
    rejected<Jtt905Message>(
      'MG_ERR_FRAME_GARBLED',
      `${commandText(command)} with a ${body.length}-byte body is not a ${what}`,
    );
  switch (command) {
    case JTT905_COMMANDS.status: {
      if (body.length === ISU_TIME_BYTES) {
        const isuTime = decodeBcdDateTime(body);
        return isuTime === undefined ? garbled('status query') : decoded({ kind: 'status-query', isuTime });
      }
      const status = decodeStatus(body);
      return status.ok ? decoded({ kind: 'status', status: status.value }) : status;
    }
    case JTT905_COMMANDS.fareParametersQuery: {
      if (body.length === 0) return decoded({ kind: 'fare-parameters-query' });
      const parameters = decodeFareParameters(body);
      return parameters.ok ? decoded({ kind: 'fare-parameters', parameters: parameters.value }) : parameters;
    }
    case JTT905_COMMANDS.fareParametersSet: {
      if (body.length === SET_RESULT_BYTES) {
        const enabled = bcdDigits(body.subarray(1));
        if (enabled === undefined) return garbled('fare parameter set result');
        const resultCode = body[0]!;
        return decoded({
          kind: 'fare-parameters-set-result',
          result: SET_RESULTS[resultCode] ?? `unknown-0x${hex2(resultCode)}`,
          resultCode,
          enabledAt: `${enabled.slice(0, 4)}-${enabled.slice(4, 6)}-${enabled.slice(6, 8)}T${enabled.slice(8, 10)}:00`,
        });
      }
      const parameters = decodeFareParameters(body);
      return parameters.ok
        ? decoded({ kind: 'fare-parameters-set', parameters: parameters.value })
        : parameters;
    }
    case JTT905_COMMANDS.tripStart: {
      if (body.length === 1) return decoded(ackOf(command, body[0]!));
      const occupiedAt = body.length === ISU_TIME_BYTES ? decodeBcdDateTime(body) : undefined;
      return occupiedAt === undefined ? garbled('trip start') : decoded({ kind: 'trip-start', occupiedAt });
    }
    case JTT905_COMMANDS.tripRecord: {
      if (body.length === 1) return decoded(ackOf(command, body[0]!));
      const trip = decodeTripRecord(body);
      return trip.ok ? decoded({ kind: 'trip-record', trip: trip.value }) : trip;
    }
    case JTT905_COMMANDS.tripResend: {
      if (body.length === 0) return decoded({ kind: 'trip-resend-none' });
      if (body.length === 1) return decoded(ackOf(command, body[0]!));
      if (body.length === RESEND_REQUEST_BYTES) {
        return decoded({ kind: 'trip-resend-request', tripNumber: String(body.readUInt32BE(0)) });
      }
      const trip = decodeTripRecord(body);
      return trip.ok ? decoded({ kind: 'trip-resend', trip: trip.value }) : trip;
    }
    default:
      return decoded({ kind: 'other', body: body.toString('hex') });
  }
}

function ackOf(command: number, code: number): Jtt905Message {
  return {
    kind: 'ack',
    ofCommand: commandText(command),
    result: code === ACK_OK ? 'ok' : code === ACK_FAIL ? 'fail' : `unknown-0x${hex2(code)}`,
    resultCode: code,
  };
}

/** The `decodeFrame` hook: one whole frame, as either side sends it. */
export function decodeJtt905Frame(frame: Buffer): DecodeResult<Jtt905Decoded> {
  const packet = parseFrame(frame);
  if (!packet.ok) return packet;
  const message = decodeMessage(packet.value);
  if (!message.ok) return message;
  return decoded({
    deviceType: packet.value.deviceType,
    flag: packet.value.flag,
    command: commandText(packet.value.command),
    direction: ISU_TO_METER.has(message.value.kind) ? 'isu-to-meter' : 'meter-to-isu',
    message: message.value,
  });
}

// ---------------------------------------------------------------------------------------------
// What the ISU (the driver) sends

export function encodeStatusQuery(isuTime: Date, deviceType: number = DEVICE_TYPES.taximeter): Buffer {
  return encodeFrame({ deviceType, command: JTT905_COMMANDS.status, body: encodeBcdDateTime(isuTime) });
}

export function encodeFareParametersQuery(deviceType: number = DEVICE_TYPES.taximeter): Buffer {
  return encodeFrame({ deviceType, command: JTT905_COMMANDS.fareParametersQuery });
}

export function encodeFareParametersSet(
  params: Jtt905FareParameters,
  deviceType: number = DEVICE_TYPES.taximeter,
): Buffer {
  return encodeFrame({
    deviceType,
    command: JTT905_COMMANDS.fareParametersSet,
    body: encodeFareParameters(params),
  });
}

/** The ISU's answer to a trip start, trip record or resend: `0x90` done, `0xFF` failed. */
export function encodeAck(command: number, ok = true, deviceType: number = DEVICE_TYPES.taximeter): Buffer {
  return encodeFrame({ deviceType, command, body: [ok ? ACK_OK : ACK_FAIL] });
}

/** metrogate's resend request (UNCONFIRMED extension): trip number, 0 = the newest stored. */
export function encodeResendRequest(tripNumber = 0, deviceType: number = DEVICE_TYPES.taximeter): Buffer {
  const body = Buffer.alloc(RESEND_REQUEST_BYTES);
  body.writeUInt32BE(tripNumber >>> 0, 0);
  return encodeFrame({ deviceType, command: JTT905_COMMANDS.tripResend, body });
}
