/**
 * A&D (A&D Company) balances and indicators: pure encoders and decoders, no I/O, no timers.
 * Source: reference/device-protocols.md §1.3 (and §1.5 for the `ST,GS,` look of generic indicators).
 *
 * Lines the device sends (all printable ASCII, ended by CR LF):
 * - standard format `ST,+00123.45  g`: header (2) `,` data (9: sign, digits and decimal point,
 *   zero-padded) unit (3, space-padded). Headers ST stable, US unstable, QT stable count, OL out of
 *   range. Some balances (GC series) put a comparator result between: `ST,OK,+0001.234 kg`.
 *   EK-L examples (`ST,+001234.5 g`, `QT,+00012345PC`) show a 2-character unit field, so 2 and 3 are
 *   both accepted.
 * - indicator format `ST,GS,+0002130kg` (AD-4406/4329): header1 ST/US/OL/HD, header2 GS/NT/TR,
 *   data (8, dot or comma as decimal point), unit (2 or 3).
 * - DP (dump print) format `WT   +123.45  g`: header WT/US/QT, leading zeros as spaces, no comma.
 * - `<AK>` (0x06) acknowledges a control command; `EC,Exx` reports an error.
 * - `ID,…`, `SN,…`, `TN,…` answer `?ID`, `?SN`, `?TN` (the layout after the comma is UNCONFIRMED:
 *   the text is taken trimmed).
 * A&D frames carry no checksum.
 */
import type { Quality } from '../contract.js';
import { normalizeDecimalText } from '../decimal.js';
import { type DecodeResult, decoded, rejected, showFrame } from '../decode-result.js';
import type { Framer, FramerOutput } from '../transport/framers.js';

const CR = 0x0d;
const LF = 0x0a;
/** The acknowledge code `<AK>`, sent (followed by CR LF) when a control command is accepted. */
export const AK = 0x06;

/** Longest line kept by the framer; A&D lines are 14–18 characters, identity answers a little more. */
export const AD_MAX_LINE = 64;
/**
 * A line left unfinished this long is reported as garbage rather than glued to the next frame.
 * At 2400 baud a character takes about 4 ms, so a pause this long never falls inside a frame.
 */
export const AD_IDLE_FLUSH_MS = 100;

/** Commands of the protocol itself (the control commands are configurable per model). */
export const AD_COMMANDS = {
  /** Weighing data immediately. */
  weightNow: 'Q',
  /** Weighing data once the weight is stable. */
  weightWhenStable: 'S',
  /** Cancels a pending `S` or a running `SIR` stream. */
  cancel: 'C',
  idNumber: '?ID',
  serialNumber: '?SN',
  modelName: '?TN',
} as const;

/** Identity queries: user-set ID number, serial number, model name. */
export const AD_IDENTITY_COMMANDS = ['?ID', '?SN', '?TN'] as const;
export type AdIdentityCommand = (typeof AD_IDENTITY_COMMANDS)[number];

/** The bytes of one command: its text and CR LF. */
export function encodeAdCommand(command: string): Buffer {
  return Buffer.from(`${command}\r\n`, 'latin1');
}

export type AdWeightHeader = 'ST' | 'US' | 'QT' | 'OL' | 'WT' | 'HD';
export type AdFormat = 'standard' | 'dump-print' | 'indicator';

export interface AdWeight {
  kind: 'weight';
  format: AdFormat;
  header: AdWeightHeader;
  /** Indicator format only: what the number is (header2 GS / NT / TR). */
  weighing?: 'gross' | 'net' | 'tare';
  /** Balances with a comparator: the result between the headers (LO / OK / HI / --). */
  comparison?: 'LO' | 'OK' | 'HI' | '--';
  /**
   * Exact decimal text with the device's resolution. For OL (out of range) it is the device's
   * out-of-range pattern (e.g. `999999.9`), or empty when that is not a number; never a weight.
   */
  value: string;
  unit: string;
  quality: Quality;
}

export interface AdAcknowledge {
  kind: 'ack';
}

/** Codes a device error can map to: all mean "the device answered, but did not do it". */
export type AdErrorCode = 'MG_ERR_DEVICE_BUSY' | 'MG_ERR_DEVICE_ERROR' | 'MG_ERR_COMMAND_UNSUPPORTED';

export interface AdErrorReply {
  kind: 'error';
  /** The two characters after `EC,E` (e.g. `11`). */
  code: string;
  errorCode: AdErrorCode;
  description: string;
}

export interface AdIdentityReply {
  kind: 'identity';
  field: 'ID' | 'SN' | 'TN';
  text: string;
}

export type AdFrame = AdWeight | AdAcknowledge | AdErrorReply | AdIdentityReply;

/**
 * Error codes of the A&D GC series manual (manualshive 446421 p.56). Other models add codes of their
 * own (calibration errors…); those map to MG_ERR_DEVICE_ERROR with their number.
 */
const AD_ERRORS: Record<string, { errorCode: AdErrorCode; description: string }> = {
  '01': { errorCode: 'MG_ERR_COMMAND_UNSUPPORTED', description: 'undefined command' },
  '02': { errorCode: 'MG_ERR_DEVICE_BUSY', description: 'command not executable now' },
  '04': { errorCode: 'MG_ERR_DEVICE_ERROR', description: 'too many characters in the command' },
  '05': { errorCode: 'MG_ERR_DEVICE_ERROR', description: 'no such ID' },
  '06': { errorCode: 'MG_ERR_DEVICE_ERROR', description: 'command format error' },
  '07': { errorCode: 'MG_ERR_DEVICE_ERROR', description: 'setting value out of range' },
  '11': {
    errorCode: 'MG_ERR_DEVICE_BUSY',
    description: 'weight unstable: zero or tare not performed',
  },
};

const COMMA_HEADERS = new Set<string>(['ST', 'US', 'QT', 'OL', 'HD']);
const WEIGHING = { GS: 'gross', NT: 'net', TR: 'tare' } as const;
const COMPARISONS = new Set<string>(['LO', 'OK', 'HI', '--']);
const UNIT = /^[A-Za-z%]{1,3}$/;
/** Sign, then (leading zeros or, when suppressed, spaces) and digits with at most one decimal point. */
const DATA = /^([+-]) *(\d+(?:[.,]\d+)?)$/;
const OUT_OF_RANGE_DATA = /^([+-])[0-9., E]*$/;
const DUMP_PRINT = /^(WT|US|QT) +([+-]?) *(\d+(?:\.\d+)?) +([A-Za-z%]{1,3})$/;

function qualityOf(header: AdWeightHeader, sign: string): Quality {
  switch (header) {
    case 'US':
      return 'unstable';
    case 'OL':
      return sign === '-' ? 'underload' : 'overload';
    case 'HD':
      // A held display shows a frozen past value, not the load on the platform now.
      return 'stale';
    default:
      return 'good';
  }
}

function numberOf(sign: string, digits: string): string | undefined {
  return normalizeDecimalText(sign + digits.replace(',', '.'));
}

function garbled(reason: string, text: string): DecodeResult<AdFrame> {
  return rejected('MG_ERR_FRAME_GARBLED', `${reason}: "${text}"`);
}

function decodeError(text: string): DecodeResult<AdFrame> {
  const match = /^EC,E([0-9A-Z]{2})$/.exec(text);
  if (!match) return garbled('malformed error reply', text);
  const code = match[1]!;
  const known = AD_ERRORS[code];
  return decoded({
    kind: 'error',
    code,
    errorCode: known?.errorCode ?? 'MG_ERR_DEVICE_ERROR',
    description: known?.description ?? `device error E${code}`,
  });
}

function decodeCommaWeight(text: string): DecodeResult<AdFrame> {
  const header = text.slice(0, 2) as AdWeightHeader;
  let rest = text.slice(3);
  let weighing: AdWeight['weighing'];
  let comparison: AdWeight['comparison'];
  const second = rest.slice(0, 2);
  if (rest[2] === ',' && Object.hasOwn(WEIGHING, second)) {
    weighing = WEIGHING[second as keyof typeof WEIGHING];
    rest = rest.slice(3);
  } else if (rest[2] === ',' && COMPARISONS.has(second)) {
    comparison = second as AdWeight['comparison'];
    rest = rest.slice(3);
  }
  const dataWidth = weighing ? 8 : 9;
  const unitWidth = rest.length - dataWidth;
  if (unitWidth < 2 || unitWidth > 3) {
    return garbled(`expected a ${dataWidth}-character data field and a 2- or 3-character unit`, text);
  }
  const data = rest.slice(0, dataWidth);
  const unitField = rest.slice(dataWidth);
  const unit = unitField.trim();
  if (unit !== '' ? !UNIT.test(unit) : header !== 'OL') return garbled('bad unit field', text);
  let value: string | undefined;
  let sign: string;
  if (header === 'OL') {
    const match = OUT_OF_RANGE_DATA.exec(data);
    if (!match) return garbled('bad out-of-range data field', text);
    sign = match[1]!;
    const number = DATA.exec(data);
    value = number ? numberOf(number[1]!, number[2]!) : '';
  } else {
    const match = DATA.exec(data);
    if (!match) return garbled('bad data field', text);
    sign = match[1]!;
    value = numberOf(sign, match[2]!);
  }
  if (value === undefined) return garbled('bad number', text);
  return decoded({
    kind: 'weight',
    format: weighing ? 'indicator' : 'standard',
    header,
    ...(weighing ? { weighing } : {}),
    ...(comparison ? { comparison } : {}),
    value,
    unit,
    quality: qualityOf(header, sign),
  });
}

function decodeDumpPrint(text: string): DecodeResult<AdFrame> {
  const match = DUMP_PRINT.exec(text);
  if (!match) return garbled('not an A&D frame', text);
  const header = match[1] as AdWeightHeader;
  const value = numberOf(match[2] ?? '', match[3]!);
  if (value === undefined) return garbled('bad number', text);
  return decoded({
    kind: 'weight',
    format: 'dump-print',
    header,
    value,
    unit: match[4]!,
    quality: qualityOf(header, match[2] ?? ''),
  });
}

/** The line without its terminator (the framer strips it; golden frames keep it). */
function lineOf(frame: Uint8Array): Uint8Array {
  let end = frame.length;
  while (end > 0 && (frame[end - 1] === CR || frame[end - 1] === LF)) end--;
  return frame.subarray(0, end);
}

/**
 * Decodes one line as the device sends it, with or without its CR LF. Never throws: anything that
 * is not an A&D line is rejected with MG_ERR_FRAME_GARBLED and the reason.
 */
export function decodeAdFrame(frame: Uint8Array): DecodeResult<AdFrame> {
  const line = lineOf(frame);
  if (line.length === 0) return rejected('MG_ERR_FRAME_GARBLED', 'empty line');
  if (line.length === 1 && line[0] === AK) return decoded({ kind: 'ack' });
  if (line.length > AD_MAX_LINE) {
    return rejected('MG_ERR_FRAME_GARBLED', `line of ${line.length} characters: "${showFrame(line)}"`);
  }
  for (const byte of line) {
    if (byte < 0x20 || byte > 0x7e) {
      return rejected('MG_ERR_FRAME_GARBLED', `non-printable byte in "${showFrame(line)}"`);
    }
  }
  const text = Buffer.from(line).toString('latin1');
  if (text[2] !== ',') return decodeDumpPrint(text);
  const header = text.slice(0, 2);
  if (header === 'EC') return decodeError(text);
  if (header === 'ID' || header === 'SN' || header === 'TN') {
    return decoded({ kind: 'identity', field: header, text: text.slice(3).trim() });
  }
  if (COMMA_HEADERS.has(header)) return decodeCommaWeight(text);
  return garbled('unknown header', text);
}

/** Decodes a line that must be a weight (stream output, `scan`). */
export function decodeAdWeight(frame: Uint8Array): DecodeResult<AdWeight> {
  const result = decodeAdFrame(frame);
  if (!result.ok) return result;
  if (result.value.kind !== 'weight') {
    return rejected('MG_ERR_FRAME_GARBLED', `expected a weight, got "${showFrame(lineOf(frame))}"`);
  }
  return decoded(result.value);
}

/** True for a weight line of any A&D format (what a streaming A&D device sends unasked). */
export function isAdWeightFrame(frame: Uint8Array): boolean {
  return decodeAdWeight(frame).ok;
}

/**
 * Lines ended by CR, LF or CR LF (the terminator is a menu setting on A&D devices); the frames
 * exclude it and empty lines are skipped. Bytes are handled one at a time, so the output does not
 * depend on how the line was chunked.
 */
export function createAdFramer(options: { maxLength?: number; idleFlushMs?: number } = {}): Framer {
  const maxLength = options.maxLength ?? AD_MAX_LINE;
  let line: number[] = [];
  let discarding = false;
  return {
    idleFlushMs: options.idleFlushMs ?? AD_IDLE_FLUSH_MS,
    push(chunk) {
      const out: FramerOutput[] = [];
      for (const byte of chunk) {
        if (byte === CR || byte === LF) {
          if (discarding) {
            if (line.length > 0) out.push({ garbage: Buffer.from(line), reason: 'rest of an overlong line' });
          } else if (line.length > 0) {
            out.push({ frame: Buffer.from(line) });
          }
          line = [];
          discarding = false;
          continue;
        }
        line.push(byte);
        if (line.length > maxLength) {
          out.push({ garbage: Buffer.from(line), reason: `no line end within ${maxLength} characters` });
          line = [];
          discarding = true;
        }
      }
      return out;
    },
    flushIdle() {
      if (line.length === 0) return [];
      const garbage = Buffer.from(line);
      line = [];
      discarding = false;
      return [{ garbage, reason: 'partial line without terminator' }];
    },
    reset() {
      line = [];
      discarding = false;
    },
  };
}
