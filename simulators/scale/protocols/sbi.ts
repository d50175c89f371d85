/**
 * Sartorius SBI balance firmware, written from device-protocols.md §1.2 (not from the driver).
 *
 * Commands (ESC, then one upper-case letter; or ESC, lower-case letters/digits and `_`; a CR LF
 * after a command is allowed and ignored; commands may arrive split over any number of chunks):
 *   ESC P, ESC kP_, ESC p_   print the current value
 *   ESC T                    TARE key: zeroes inside the zero-setting range, tares outside it
 *   ESC U / ESC f4_          tare          ESC V / ESC f3_   zero
 *   ESC s3_                  CF/CANCEL key: clears the tare (UNCONFIRMED for real models)
 *   ESC x1_ / x2_ / x3_      model / serial number / software version, one line each; the reply
 *                            layout is UNCONFIRMED: the text alone, then CR LF
 *   anything else            ignored, as SBI acknowledges nothing (filters, key lock, beep, ...)
 * Tare and zero wait for a stable weight, as the keys of a real balance do.
 *
 * Output: 16-character lines `+   123.56 g  ` + CR LF (sign, space, 8-character weight field with
 * leading blanks, space, 3-character unit) or, with `format: 22`, a 6-character ID code first
 * (`N     +   123.56 g  `). The unit is blank while the weight settles. Overload and underload print
 * `H` / `L` at column 7 of a 16-character line, or as `Stat` lines in the 22-character format with
 * the code at column 13; those columns are UNCONFIRMED (manuals differ), the driver does not
 * depend on them. A weight wider than the 8-character field widens the line instead of being cut.
 *
 * Options (`protocolOptions`):
 *   format      16 | 22            line length (default 16)
 *   mode        'poll' | 'autoprint'  autoprint prints every `intervalMs` on its own (default 'poll')
 *   intervalMs  number             autoprint interval (default 100)
 *   idCode      string             ID code of weight lines in the 22-character format (default 'N')
 *   plusSign    '+' | ' '          sign printed for positive weights (menu "sign format"; default '+')
 */
import { z } from 'zod';
import type { DeviceSpeaker, SpeakerIo } from '../../serial-host.js';
import type { SerialScaleProtocol } from '../index.js';
import type { ScaleModel } from '../model.js';

const ESC = 0x1b;
const CR = 0x0d;
const LF = 0x0a;
const UNDERSCORE = 0x5f;
/** Format 3 commands carry at most 20 characters of text besides the command letters. */
const MAX_COMMAND_LENGTH = 24;

const sbiOptionsSchema = z.object({
  format: z.union([z.literal(16), z.literal(22)]).default(16),
  mode: z.enum(['poll', 'autoprint']).default('poll'),
  intervalMs: z.number().int().positive().default(100),
  idCode: z.string().max(6).default('N'),
  plusSign: z.enum(['+', ' ']).default('+'),
});
type SbiOptions = z.infer<typeof sbiOptionsSchema>;

type KeyAction = 'tare-key' | 'tare' | 'zero';

class SbiSpeaker implements DeviceSpeaker {
  private readonly model: ScaleModel;
  private readonly io: SpeakerIo;
  private readonly options: SbiOptions;
  /** Characters after ESC of the command being received; undefined outside a command. */
  private command: string | undefined;
  private pendingKey: KeyAction | undefined;

  constructor(model: ScaleModel, io: SpeakerIo, options: SbiOptions) {
    this.model = model;
    this.io = io;
    this.options = options;
  }

  get streamIntervalMs(): number {
    return this.options.mode === 'autoprint' ? this.options.intervalMs : 0;
  }

  tick(): void {
    this.runPendingKey();
    this.print();
  }

  receive(chunk: Buffer): void {
    for (const byte of chunk) this.receiveByte(byte);
    this.runPendingKey();
  }

  private receiveByte(byte: number): void {
    if (byte === ESC) {
      // A new ESC abandons an unfinished command, as a real parser resynchronises.
      this.command = '';
      return;
    }
    if (this.command === undefined) return; // CR LF after a command, or noise between commands
    if (byte === CR || byte === LF || byte < 0x20 || byte > 0x7e) {
      this.command = undefined;
      return;
    }
    const text = this.command + String.fromCharCode(byte);
    if (text.length === 1 && byte >= 0x41 && byte <= 0x5a) {
      this.command = undefined;
      this.execute(text);
    } else if (byte === UNDERSCORE) {
      this.command = undefined;
      this.execute(text);
    } else if (text.length >= MAX_COMMAND_LENGTH) {
      this.command = undefined;
    } else {
      this.command = text;
    }
  }

  private execute(command: string): void {
    const identity = this.model.parameters.identity;
    switch (command) {
      case 'P':
      case 'kP_':
      case 'p_':
        this.runPendingKey();
        this.print();
        return;
      case 'T':
        this.pendingKey = 'tare-key';
        return;
      case 'U':
      case 'f4_':
        this.pendingKey = 'tare';
        return;
      case 'V':
      case 'f3_':
        this.pendingKey = 'zero';
        return;
      case 's3_':
        this.model.clearTare();
        return;
      case 'x1_':
        this.emitText(identity.model);
        return;
      case 'x2_':
        this.emitText(identity.serialNumber);
        return;
      case 'x3_':
        this.emitText(identity.softwareVersion);
        return;
      default:
        return;
    }
  }

  /** Keys act once the weight is stable; until then the balance keeps the request. */
  private runPendingKey(): void {
    const key = this.pendingKey;
    if (key === undefined) return;
    let result: ReturnType<ScaleModel['zero']>;
    if (key === 'zero') result = this.model.zero();
    else if (key === 'tare') result = this.model.tare();
    else {
      result = this.model.zero();
      if (result === 'above-range' || result === 'below-range') result = this.model.tare();
    }
    // Out of range: the balance refuses and forgets the key press.
    if (result !== 'busy') this.pendingKey = undefined;
  }

  private emitText(text: string): void {
    this.io.emit(Buffer.from(`${text}\r\n`, 'latin1'));
  }

  private print(): void {
    this.io.emit(Buffer.from(`${this.printLine()}\r\n`, 'latin1'));
  }

  private printLine(): string {
    const indication = this.model.indication(this.io.now());
    const { format } = this.options;
    const special = indication.overload ? 'H' : indication.underload ? 'L' : undefined;
    if (special !== undefined) {
      return format === 22
        ? `Stat${' '.repeat(8)}${special.padEnd(8)}`
        : `${' '.repeat(6)}${special.padEnd(8)}`;
    }
    const negative = indication.net.startsWith('-');
    const digits = negative ? indication.net.slice(1) : indication.net;
    const sign = negative ? '-' : this.options.plusSign;
    const unit = indication.stable ? indication.unit : '';
    const body = `${sign} ${digits.padStart(8)} ${unit.padEnd(3).slice(0, 3)}`;
    return format === 22 ? `${this.options.idCode.padEnd(6)}${body}` : body;
  }
}

export const sbiProtocol: SerialScaleProtocol = {
  id: 'sbi',
  title: 'Sartorius SBI',
  // WZA weigh cells' factory setting (device-protocols.md §1.2); other families UNCONFIRMED.
  defaultLine: { baudRate: 1200, dataBits: 7, parity: 'odd', stopBits: 1 },
  createSpeaker(model, io, options) {
    return new SbiSpeaker(model, io, sbiOptionsSchema.parse(options));
  },
};
