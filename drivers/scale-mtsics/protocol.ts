/**
 * Mettler Toledo MT-SICS (Standard Interface Command Set), levels 0 and 1: pure command encoders and
 * reply decoders. No I/O, no timers. Facts from reference/device-protocols.md §1.1.
 *
 * Commands and replies are ASCII lines ending in CR LF. A reply is `<ID> <Status> [<params…>]`, where
 * the ID names the command it answers (`S` also answers `SI` and `SIR`; `I4` answers `@`), or one of
 * the general errors `ES` (syntax), `ET` (transmission), `EL` (logical) on its own. Weight replies
 * put the value right-aligned in a 10-character field, then one space and the unit
 * (`S S     100.00 g`); the exact column rule is UNCONFIRMED, so the decoder accepts any run of spaces.
 */
import type { DeviceIdentity, Quality } from '../contract.js';
import { isDecimalText, normalizeDecimalText } from '../decimal.js';
import { type DecodeResult, decoded, rejected, showFrame } from '../decode-result.js';
import { MetrogateError } from '../errors.js';
import { type Framer, lineFramer } from '../transport/framers.js';

export const MTSICS_TERMINATOR = '\r\n';

/**
 * Longest reply line kept. MT-SICS replies are short; identification texts are the longest.
 */
const MAX_LINE_LENGTH = 256;
/**
 * A line left without its CR LF for this long will never be completed (a reply cut short); it is
 * reported as garbage so that the timeout says "garbled" rather than "no answer". Real devices send
 * a line back to back, so even at 1200 Bd the gap between two characters is far shorter.
 */
const PARTIAL_LINE_FLUSH_MS = 200;

/** Frames are the reply lines without their CR LF. */
export function createMtsicsFramer(): Framer {
  return lineFramer({
    terminator: MTSICS_TERMINATOR,
    maxLength: MAX_LINE_LENGTH,
    idleFlushMs: PARTIAL_LINE_FLUSH_MS,
  });
}

// ---------------------------------------------------------------------------------------------
// Commands

/** The commands of levels 0 and 1 that this driver sends. */
export type MtsicsCommand =
  | '@'
  | 'I1'
  | 'I2'
  | 'I3'
  | 'I4'
  | 'S'
  | 'SI'
  | 'SIR'
  | 'Z'
  | 'ZI'
  | 'T'
  | 'TI'
  | 'TA'
  | 'TAC';

/** A parameterless command as it goes on the wire: `SI` -> `SI\r\n`. */
export function encodeCommand(command: MtsicsCommand): Buffer {
  return Buffer.from(command + MTSICS_TERMINATOR, 'latin1');
}

const UNIT_TEXT = /^[A-Za-z%\u00b5][A-Za-z0-9%/\u00b5]{0,7}$/;

/** True for a unit token as MT-SICS prints it (`g`, `kg`, `mg`, `ct`, `lb`, `oz`, `%`…). */
export function isUnitText(text: string): boolean {
  return UNIT_TEXT.test(text);
}

/**
 * `TA <value> <unit>`: preset tare. Throws MG_ERR_INPUT_INVALID for a value that is not a plain
 * decimal or a unit that is not a unit token (they come from the caller, not from the device).
 */
export function encodePresetTare(value: string, unit: string): Buffer {
  const text = value.trim();
  if (!isDecimalText(text)) {
    throw new MetrogateError('MG_ERR_INPUT_INVALID', `preset tare value "${value}" is not a decimal number`, {
      path: 'value',
    });
  }
  if (!isUnitText(unit)) {
    throw new MetrogateError('MG_ERR_INPUT_INVALID', `preset tare unit "${unit}" is not a weight unit`, {
      path: 'unit',
    });
  }
  return Buffer.from(`TA ${text} ${unit}${MTSICS_TERMINATOR}`, 'latin1');
}

// ---------------------------------------------------------------------------------------------
// Replies

/**
 * One decoded reply line. Replies that mean "not done" (`I`, `L`, `+`/`-` except for weights, and
 * the general errors) are not values: the decoder rejects them with the error code the driver
 * reports.
 */
export type MtsicsReply =
  | {
      /** `S S|D <value> <unit>`, or `S +` / `S -` (no value) from `S`, `SI` and `SIR`. */
      kind: 'weight';
      id: string;
      status: 'S' | 'D' | '+' | '-';
      value?: string;
      unit?: string;
      quality: Extract<Quality, 'good' | 'unstable' | 'overload' | 'underload'>;
    }
  | {
      /** `T S|D <tare> <unit>`, `TI S|D <tare> <unit>`, `TA A <tare> <unit>`. */
      kind: 'tare';
      id: string;
      status: 'A' | 'S' | 'D';
      value: string;
      unit: string;
    }
  | {
      /** Anything else that succeeded: `Z A`, `ZI S|D`, `TAC A`, `I4 A "1234567"`… */
      kind: 'reply';
      id: string;
      status: 'A' | 'B' | 'S' | 'D';
      /** Parameters, quoted ones without their quotes. */
      params: string[];
    };

/** IDs of the replies that carry a weight (`SI`/`SIR` as an echo, as some firmwares send). */
export const WEIGHT_REPLY_IDS: readonly string[] = ['S', 'SI', 'SIR'];
/** IDs of the replies that carry a tare value. */
const TARE_REPLY_IDS: readonly string[] = ['T', 'TI', 'TA'];

export const GENERAL_ERRORS = {
  ES: 'syntax error: the device did not recognise the command',
  ET: 'transmission error: the device received a corrupted command (parity or length); check the line settings',
  EL: 'logical error: the device cannot execute the command',
} as const;
export type GeneralError = keyof typeof GENERAL_ERRORS;

interface Token {
  text: string;
  quoted: boolean;
}

const ID_TEXT = /^(?:@|[A-Z][A-Z0-9]{0,7})$/;
const STATUS_TEXT = /^[ABSDIL+-]$/;

/**
 * Splits a reply line into tokens: runs of spaces separate them, `"…"` is one token. Returns a
 * reason string for lines that cannot be an MT-SICS reply.
 */
function tokenize(line: string): Token[] | string {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === ' ') {
      i++;
      continue;
    }
    if (line[i] === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0) return 'unterminated quoted text';
      if (end + 1 < line.length && line[end + 1] !== ' ') return 'quoted text not followed by a space';
      tokens.push({ text: line.slice(i + 1, end), quoted: true });
      i = end + 1;
      continue;
    }
    let end = line.indexOf(' ', i);
    if (end < 0) end = line.length;
    const text = line.slice(i, end);
    if (text.includes('"')) return 'quote inside a parameter';
    tokens.push({ text, quoted: false });
    i = end;
  }
  return tokens;
}

/** Control characters and C1 codes never occur in a reply line; line noise produces them. */
function firstBadByte(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte < 0x20 || (byte >= 0x7f && byte < 0xa0)) return i;
  }
  return -1;
}

/** Drops the CR LF a golden frame or a raw capture still carries. */
function withoutTerminator(frame: Uint8Array): Uint8Array {
  const n = frame.length;
  return n >= 2 && frame[n - 2] === 0x0d && frame[n - 1] === 0x0a ? frame.subarray(0, n - 2) : frame;
}

/** `[value, unit]`, also when a firmware prints the sign apart from the digits (`-     0.05 g`). */
function valueAndUnit(params: Token[]): { value: string; unit: string } | undefined {
  if (params.some((token) => token.quoted)) return undefined;
  let texts = params.map((token) => token.text);
  if (texts.length === 3 && (texts[0] === '-' || texts[0] === '+')) texts = [texts[0] + texts[1], texts[2]!];
  if (texts.length !== 2) return undefined;
  const value = normalizeDecimalText(texts[0]!);
  const unit = texts[1]!;
  if (value === undefined || !isUnitText(unit)) return undefined;
  return { value, unit };
}

function rangeMeaning(id: string, status: '+' | '-'): string {
  const limit = status === '+' ? 'upper' : 'lower';
  if (id === 'Z' || id === 'ZI')
    return `${limit} limit of the zero-setting range exceeded: the load is outside the zero range`;
  if (id === 'T' || id === 'TI')
    return `${limit} limit of the taring range exceeded: the load is outside the taring range`;
  return `${limit} limit exceeded: the value is outside the allowed range`;
}

function notExecutableMeaning(id: string): string {
  if (WEIGHT_REPLY_IDS.includes(id)) {
    return 'the balance cannot weigh now (busy, e.g. taring, or no stability within its timeout)';
  }
  if (/^I\d+$/.test(id) || id === '@') return 'the device cannot give this information now';
  return 'the command is not executable now (the balance is busy or did not become stable)';
}

/**
 * Decodes one reply line, with or without its CR LF. Never throws. Rejections carry the code the
 * driver reports: MG_ERR_FRAME_GARBLED for a line that is not an MT-SICS reply, MG_ERR_DEVICE_BUSY for
 * `<ID> I`, MG_ERR_DEVICE_ERROR for `ES`/`ET`/`EL`, `<ID> L` and out-of-range answers.
 */
export function decodeMtsicsReply(frame: Uint8Array): DecodeResult<MtsicsReply> {
  const bytes = withoutTerminator(frame);
  const garbled = (why: string) =>
    rejected<MtsicsReply>('MG_ERR_FRAME_GARBLED', `not an MT-SICS reply (${why}): "${showFrame(frame)}"`);
  if (bytes.length === 0) return garbled('empty line');
  if (bytes.length > MAX_LINE_LENGTH) return garbled('line too long');
  const bad = firstBadByte(bytes);
  if (bad >= 0) return garbled(`control byte 0x${bytes[bad]!.toString(16).padStart(2, '0')}`);
  const tokens = tokenize(Buffer.from(bytes).toString('latin1'));
  if (typeof tokens === 'string') return garbled(tokens);
  const [idToken, statusToken, ...params] = tokens;
  if (!idToken || idToken.quoted || !ID_TEXT.test(idToken.text)) return garbled('no reply id');
  const id = idToken.text;
  if (isGeneralError(id)) {
    if (statusToken) return garbled('general error with parameters');
    return rejected('MG_ERR_DEVICE_ERROR', `${id}: ${GENERAL_ERRORS[id]}`);
  }
  if (!statusToken || statusToken.quoted || !STATUS_TEXT.test(statusToken.text)) return garbled('no status');
  const status = statusToken.text;
  if (status === 'I') {
    if (params.length > 0) return garbled('parameters after status I');
    return rejected('MG_ERR_DEVICE_BUSY', `${id} I: ${notExecutableMeaning(id)}`);
  }
  if (status === 'L') {
    return rejected(
      'MG_ERR_DEVICE_ERROR',
      `${id} L: logical error: the command or its parameter is not allowed (e.g. a value out of range or a wrong unit)`,
    );
  }
  if (WEIGHT_REPLY_IDS.includes(id)) {
    if (status === '+' || status === '-') {
      if (params.length > 0) return garbled('parameters after an overload or underload status');
      return decoded({ kind: 'weight', id, status, quality: status === '+' ? 'overload' : 'underload' });
    }
    if (status !== 'S' && status !== 'D') return garbled(`status ${status} in a weight reply`);
    const weight = valueAndUnit(params);
    if (!weight) return garbled('weight value or unit unreadable');
    return decoded({
      kind: 'weight',
      id,
      status,
      value: weight.value,
      unit: weight.unit,
      quality: status === 'S' ? 'good' : 'unstable',
    });
  }
  if (status === '+' || status === '-') {
    if (params.length > 0) return garbled('parameters after a range status');
    return rejected('MG_ERR_DEVICE_ERROR', `${id} ${status}: ${rangeMeaning(id, status)}`);
  }
  const okStatus = status as 'A' | 'B' | 'S' | 'D';
  if (TARE_REPLY_IDS.includes(id) && params.length > 0) {
    if (okStatus === 'B') return garbled(`status B in a tare reply`);
    const tare = valueAndUnit(params);
    if (!tare) return garbled('tare value or unit unreadable');
    return decoded({ kind: 'tare', id, status: okStatus, value: tare.value, unit: tare.unit });
  }
  return decoded({ kind: 'reply', id, status: okStatus, params: params.map((token) => token.text) });
}

/** What `decodeFrame` of the driver definition returns: the same decoder, typed for the registry. */
export function decodeMtsicsFrame(frame: Buffer): DecodeResult<MtsicsReply> {
  return decodeMtsicsReply(frame);
}

/**
 * The reply ID of a line, without judging the rest: lets a driver wait for the answer to its own
 * command while a stream goes on. `undefined` for a line that has no MT-SICS reply shape at all.
 */
export function replyIdOf(frame: Uint8Array): string | undefined {
  const bytes = withoutTerminator(frame);
  if (firstBadByte(bytes) >= 0) return undefined;
  const text = Buffer.from(bytes).toString('latin1');
  const id = text.split(' ', 1)[0] ?? '';
  return ID_TEXT.test(id) ? id : undefined;
}

export function isGeneralError(id: string | undefined): id is GeneralError {
  return id !== undefined && Object.hasOwn(GENERAL_ERRORS, id);
}

// ---------------------------------------------------------------------------------------------
// Identification

/**
 * `I2 A "<type> <capacity> <unit>"`: the type may contain spaces (`XS204 Excellence 220.0090 g`);
 * firmwares that quote the parts separately are read the same way.
 */
export function parseBalanceData(
  params: readonly string[],
): Pick<DeviceIdentity, 'model' | 'capacity' | 'unit'> {
  const words = params.join(' ').trim().split(/\s+/).filter(Boolean);
  if (words.length >= 3) {
    const unit = words[words.length - 1]!;
    const capacity = normalizeDecimalText(words[words.length - 2]!);
    if (capacity !== undefined && isUnitText(unit)) {
      return { model: words.slice(0, -2).join(' '), capacity, unit };
    }
  }
  return words.length > 0 ? { model: words.join(' ') } : {};
}

/** `I3 A "<version>"` and `I4 A "<serial number>"`: the text, as printed. */
export function parseTextReply(params: readonly string[]): string | undefined {
  const text = params.join(' ').trim();
  return text === '' ? undefined : text;
}
