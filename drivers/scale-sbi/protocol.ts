/**
 * Sartorius SBI (Sartorius Balance Interface): pure command encoding and line decoding, no I/O.
 *
 * Host -> balance: `ESC <letter>` (format 1) or `ESC <letters/digits> _` (format 2, e.g. `ESC x1_`),
 * CR LF optional. The balance never acknowledges a command; only print and identification commands
 * produce a line.
 *
 * Balance -> host: CR LF lines of 16 characters (sign, space, 8-character weight field, space,
 * 3-character unit) or 22 characters (a 6-character ID code such as `N     ` before the 16). The unit
 * field is blank while the weight is unstable. Source: device-protocols.md §1.2.
 *
 * Special lines (overload `H`/`HH`/`High`, underload `L`/`LL`/`Low`, `Err ##` errors, `Stat` lines
 * of the 22-character format): their exact columns are UNCONFIRMED in the reference and differ
 * between manuals, so the decoder does not rely on columns. A line that is not a weight line is a
 * special line when, apart from blanks (and the leading `Stat` of the 22-character format), it
 * consists of exactly one known code; anything else is garbage. See README "Readings".
 */

import { normalizeDecimalText } from '../decimal.js';
import { type DecodeResult, decoded, rejected, showFrame } from '../decode-result.js';
import { type Framer, lineFramer } from '../transport/framers.js';

const ESC = 0x1b;

/** Commands as the reference names them; every one is sent without waiting for an acknowledgement. */
export const SBI_COMMANDS = {
  /** Print the current value (with or without stability, as the balance menu says). */
  print: 'ESC P',
  /** TARE key: tares, or zeroes when the load is within the zero-setting range. */
  tareKey: 'ESC T',
  /** Tare (Cubis); TARE key on Entris II. */
  tare: 'ESC U',
  /** Zero (Cubis); ZERO key on Entris II. */
  zero: 'ESC V',
  /** Entris II key codes. */
  zeroKeyEntris: 'ESC f3_',
  tareKeyEntris: 'ESC f4_',
  /** CF / CANCEL key. */
  cancelKey: 'ESC s3_',
  model: 'ESC x1_',
  serialNumber: 'ESC x2_',
  softwareVersion: 'ESC x3_',
} as const;

/**
 * Turns the configuration notation of a command into its bytes: `ESC P` -> 1B 50, `ESC x1_` ->
 * 1B 78 31 5F. The word ESC (or a literal ESC character) is required because every SBI command
 * starts with it. Returns undefined for anything else.
 */
export function parseSbiCommand(text: string): Buffer | undefined {
  const trimmed = text.trim();
  const body = trimmed.startsWith('\u001b') ? trimmed.slice(1) : /^ESC ?(.*)$/.exec(trimmed)?.[1];
  // Format 3 carries up to 20 characters of text plus the command letter and the underscore.
  if (body === undefined || !/^[!-~]{1,22}$/.test(body)) return undefined;
  return Buffer.concat([Buffer.from([ESC]), Buffer.from(body, 'latin1')]);
}

/** Bytes of a command constant of SBI_COMMANDS (always valid). */
export function encodeSbiCommand(command: keyof typeof SBI_COMMANDS): Buffer {
  return parseSbiCommand(SBI_COMMANDS[command])!;
}

/**
 * Lines end in CR LF; the framer cuts at LF so that a device that sends LF alone still frames, and
 * the decoders drop the CR. A partial line is dropped after a silence far longer than one character
 * takes even at 150 Bd.
 */
export function createSbiFramer(): Framer {
  return lineFramer({ terminator: '\n', maxLength: 80, idleFlushMs: 250 });
}

export type SbiFormat = 16 | 22;
export type SbiFormatSetting = SbiFormat | 'auto';

/** One weight line, or an overload/underload line, as the balance printed it. */
export interface SbiPrint {
  /** Line length including CR LF. */
  format: SbiFormat;
  /** ID code of a 22-character line, blanks removed ("N", "G", "T", "Qnt"); absent in 16-character lines. */
  idCode?: string;
  /** Exact decimal text with the balance's resolution; empty for overload/underload lines (no number printed). */
  value: string;
  /** Unit as printed; empty while unstable and on special lines. */
  unit: string;
  quality: 'good' | 'unstable' | 'overload' | 'underload';
  /** The special code printed instead of a weight (H, HH, L, LL, High, Low). */
  code?: string;
}

/** The text of an identification reply (`ESC x1_` model, `x2_` serial number, `x3_` software version). */
export interface SbiTextReply {
  text: string;
}

/** Removes the line terminator (CR LF, LF or CR) if the frame still carries it. */
function withoutTerminator(frame: Buffer): Buffer {
  let end = frame.length;
  if (end > 0 && frame[end - 1] === 0x0a) end--;
  if (end > 0 && frame[end - 1] === 0x0d) end--;
  return frame.subarray(0, end);
}

function isPrintableAscii(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte < 0x20 || byte > 0x7e) return false;
  return true;
}

const WEIGHT_DIGITS = /^(?:\d+(?:\.\d*)?|\.\d+)$/;
const UNIT_FIELD = /^[!-~]* *$/;
const OVERLOAD_CODES = new Set(['H', 'HH', 'High', 'HIGH']);
const UNDERLOAD_CODES = new Set(['L', 'LL', 'Low', 'LOW']);
const ERROR_CODE = /^err\s*[0-9A-Z]{1,3}$/i;
/** Cubis/Entris II error lines such as `APP.ER`, `DIS.ER`, `PRT.ER`. */
const NAMED_ERROR = /^[A-Z]{3}\.ER$/;
const ADJUSTING = /^(?:C|Cal\.?(?:\s*(?:Ext|Int)\.?)?)$/i;

/**
 * The 14 characters of the 16-character format (without CR LF) as a weight: sign in column 1,
 * weight in columns 2–11 (brackets around non-verified digits removed), unit in columns 12–14.
 */
function decodeWeightBody(body: string): { value: string; unit: string } | undefined {
  const sign = body[0];
  if (sign !== '+' && sign !== '-' && sign !== ' ') return undefined;
  const digits = body.slice(1, 11).replace(/[[\]]/g, '').trim();
  if (!WEIGHT_DIGITS.test(digits)) return undefined;
  const unitField = body.slice(11, 14);
  if (!UNIT_FIELD.test(unitField)) return undefined;
  const value = normalizeDecimalText((sign === '-' ? '-' : '') + digits);
  if (value === undefined) return undefined;
  return { value, unit: unitField.trim() };
}

/**
 * A line that is not a weight: one known code among blanks. `statusLine` is true for the
 * `Stat` lines of the 22-character format, where an unknown status is still the balance speaking
 * (a device error), whereas an unknown text in a 16-character line is line noise.
 */
function decodeSpecial(
  text: string,
  format: SbiFormat,
  idCode: string | undefined,
  statusLine: boolean,
  shown: string,
): DecodeResult<SbiPrint> {
  const code = text.trim();
  const base = { format, ...(idCode ? { idCode } : {}), value: '', unit: '' };
  if (OVERLOAD_CODES.has(code)) return decoded({ ...base, quality: 'overload', code });
  if (UNDERLOAD_CODES.has(code)) return decoded({ ...base, quality: 'underload', code });
  if (code === '') {
    return rejected(
      'MG_ERR_DEVICE_BUSY',
      `the balance printed a blank line (display blank, e.g. while taring): "${shown}"`,
    );
  }
  if (ERROR_CODE.test(code) || NAMED_ERROR.test(code)) {
    return rejected('MG_ERR_DEVICE_ERROR', `the balance reports error "${code.replace(/\s+/g, ' ')}"`);
  }
  if (ADJUSTING.test(code)) {
    return rejected('MG_ERR_DEVICE_BUSY', `the balance is adjusting (calibration) and prints "${code}"`);
  }
  if (code === 'OFF') {
    return rejected('MG_ERR_DEVICE_BUSY', 'the balance display is off (standby): "Stat OFF"');
  }
  if (statusLine) {
    return rejected('MG_ERR_DEVICE_ERROR', `the balance reports status "${code.replace(/\s+/g, ' ')}"`);
  }
  return rejected('MG_ERR_FRAME_GARBLED', `not an SBI weight or status line: "${shown}"`);
}

/**
 * Decodes one print line (with or without its CR LF). Overload and underload are readings; an
 * `Err` line or a `Stat` status is rejected with MG_ERR_DEVICE_ERROR (or MG_ERR_DEVICE_BUSY while
 * the balance adjusts or its display is off); anything else is MG_ERR_FRAME_GARBLED.
 */
export function decodeSbiPrint(frame: Buffer, format: SbiFormatSetting = 'auto'): DecodeResult<SbiPrint> {
  const line = withoutTerminator(frame);
  const shown = showFrame(line);
  if (!isPrintableAscii(line)) {
    return rejected('MG_ERR_FRAME_GARBLED', `not printable ASCII: "${shown}"`);
  }
  const length = line.length + 2;
  if (length !== 16 && length !== 22) {
    return rejected(
      'MG_ERR_FRAME_GARBLED',
      `SBI lines are 16 or 22 characters with CR LF, got ${length}: "${shown}"`,
    );
  }
  if (format !== 'auto' && format !== length) {
    return rejected(
      'MG_ERR_FRAME_GARBLED',
      `a ${length}-character line where the configured format is ${format}: "${shown}"`,
    );
  }
  const text = line.toString('latin1');
  if (length === 22 && text.startsWith('Stat')) {
    return decodeSpecial(text.slice(4), 22, undefined, true, shown);
  }
  const idCode = length === 22 ? text.slice(0, 6).trim() : undefined;
  const body = length === 22 ? text.slice(6) : text;
  const weight = decodeWeightBody(body);
  if (!weight) return decodeSpecial(body, length, idCode, false, shown);
  return decoded({
    format: length,
    ...(idCode ? { idCode } : {}),
    value: weight.value,
    unit: weight.unit,
    quality: weight.unit === '' ? 'unstable' : 'good',
  });
}

/** True for every line an SBI balance prints on its own (weights, limits, errors, status). */
export function isSbiPrintLine(frame: Buffer): boolean {
  const result = decodeSbiPrint(frame, 'auto');
  return result.ok || result.code !== 'MG_ERR_FRAME_GARBLED';
}

/**
 * Decodes the reply to an identification command. Its layout is UNCONFIRMED (the reference names
 * the commands, not the reply columns), so the text is taken whole: blanks and surrounding quotes
 * removed.
 */
export function decodeSbiTextReply(frame: Buffer): DecodeResult<SbiTextReply> {
  const line = withoutTerminator(frame);
  if (!isPrintableAscii(line)) {
    return rejected('MG_ERR_FRAME_GARBLED', `not printable ASCII: "${showFrame(line)}"`);
  }
  const text = line
    .toString('latin1')
    .trim()
    .replace(/^"(.*)"$/, '$1')
    .trim();
  if (text === '') return rejected('MG_ERR_FRAME_GARBLED', 'empty identification reply');
  return decoded({ text });
}

/**
 * `decodeFrame` of the driver definition: a print line by default; with `{ reply: 'identity' }`
 * the reply to `ESC x1_`/`x2_`/`x3_`; `{ format: 16 | 22 }` restricts print lines to one length.
 */
export function decodeSbiFrame(frame: Buffer, options?: unknown): DecodeResult<SbiPrint | SbiTextReply> {
  const settings =
    typeof options === 'object' && options !== null ? (options as Record<string, unknown>) : {};
  if (settings.reply === 'identity') return decodeSbiTextReply(frame);
  const format = settings.format === 16 || settings.format === 22 ? settings.format : 'auto';
  return decodeSbiPrint(frame, format);
}
