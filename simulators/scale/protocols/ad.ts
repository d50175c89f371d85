/**
 * Firmware of an A&D balance or indicator for the scale simulator, written from
 * reference/device-protocols.md §1.3 (not from the driver's encoder; both are checked against the
 * golden frames in drivers/scale-ad/testcases/).
 *
 * Line: 2400 baud, 7 data bits, even parity, 1 stop bit (the FX-i setting in the reference).
 *
 * Output, one line per weighing, ended by CR LF:
 *   standard   `ST,+00123.45  g`   header `,` data (9: sign, zero-padded digits, decimal point) unit
 *   indicator  `ST,GS,+0002130kg`  header1 `,` header2 (GS; NT while a tare is active) `,` data (8) unit
 * Headers: ST stable, US unstable, QT stable count (unit PC), OL out of range with data `+999…`
 * (overload) or `-999…` (underload), the 9s keeping the display's decimal point (UNCONFIRMED beyond
 * the EK-L example `OL,+999999.9 g`). The unit is right-aligned in its field.
 *
 * Commands (CR, LF or CR LF ends a command; bytes may arrive in any chunks):
 *   Q, SI    weighing data now
 *   S        weighing data once stable (pending until then; C cancels it)
 *   SIR      continuous output at `streamIntervalMs`; C stops it
 *   C        cancel S / SIR
 *   Z, R     zero (re-zero)          T, TR   tare          CT   clear tare
 *   ?ID ?SN ?TN   `ID,<idNumber>`, `SN,<serial number>`, `TN,<model>` (layout UNCONFIRMED)
 * Errors: unknown command `EC,E01`; zero or tare while unstable `EC,E11`; zero or tare out of range
 * `EC,E02` (UNCONFIRMED); more than 32 characters without a line end `EC,E04`; a command holding NUL
 * or non-ASCII bytes (a host at the wrong line settings) `garbledCommandError`, default `EC,E01`
 * (UNCONFIRMED: some models may report E00, "communications error").
 *
 * Options (`protocolOptions`):
 *   format            'standard' (default) | 'indicator'
 *   unitWidth         2 | 3: width of the unit field; default 3 (GX-A) for standard, 2 for indicator
 *                     (the EK-L examples `ST,+001234.5 g`, `QT,+00012345PC` show 2)
 *   mode              'command' (default): answers commands | 'stream': outputs continuously from the
 *                     start (and still answers commands)
 *   streamIntervalMs  interval of continuous output, default 100
 *   acknowledge       'none' (default): no <AK> | 'receipt': <AK> CR LF for each accepted control
 *                     command | 'receipt-and-completion': for zero and tare a second <AK> once done
 *                     (GC series: "sends <AK> again after executing" T and Z)
 *   idNumber          answer to ?ID, default 'LAB-0123'
 *   garbledCommandError  two-digit code for a command with NUL/non-ASCII bytes, default '01'
 */
import { z } from 'zod';
import type { SpeakerIo } from '../../serial-host.js';
import type { SerialScaleProtocol } from '../index.js';
import type { Indication, ScaleCommandResult, ScaleModel } from '../model.js';

const adOptionsSchema = z.object({
  format: z.enum(['standard', 'indicator']).default('standard'),
  unitWidth: z.union([z.literal(2), z.literal(3)]).optional(),
  mode: z.enum(['command', 'stream']).default('command'),
  streamIntervalMs: z.number().int().positive().max(60_000).default(100),
  acknowledge: z.enum(['none', 'receipt', 'receipt-and-completion']).default('none'),
  // `metrogate sim … -o idNumber=1234` passes digits as a number.
  idNumber: z.union([z.string(), z.number()]).transform(String).pipe(z.string().max(16)).default('LAB-0123'),
  garbledCommandError: z
    .union([z.string(), z.number()])
    .transform((code) => String(code).padStart(2, '0'))
    .pipe(z.string().regex(/^[0-9]{2}$/))
    .default('01'),
});
export type AdSimOptions = z.infer<typeof adOptionsSchema>;

const CR = 0x0d;
const LF = 0x0a;
const ACK_LINE = Buffer.from([0x06, CR, LF]);
/** Commands are short; a longer line is noise or a host at the wrong baud rate. */
const MAX_COMMAND = 32;
/** How often a pending S looks at the stability flag. */
const STABLE_CHECK_MS = 20;

function nines(width: number, decimals: number): string {
  if (decimals <= 0) return '9'.repeat(width);
  return `${'9'.repeat(Math.max(width - decimals - 1, 1))}.${'9'.repeat(decimals)}`;
}

class AdSpeaker {
  private readonly model: ScaleModel;
  private readonly io: SpeakerIo;
  private readonly options: AdSimOptions;
  private readonly unitWidth: number;
  private line: number[] = [];
  private discarding = false;
  private sirRunning = false;
  private stablePending = false;

  constructor(model: ScaleModel, io: SpeakerIo, options: AdSimOptions) {
    this.model = model;
    this.io = io;
    this.options = options;
    this.unitWidth = options.unitWidth ?? (options.format === 'indicator' ? 2 : 3);
  }

  private get streaming(): boolean {
    return this.options.mode === 'stream' || this.sirRunning;
  }

  get streamIntervalMs(): number {
    if (this.streaming) return this.options.streamIntervalMs;
    return this.stablePending ? STABLE_CHECK_MS : 0;
  }

  tick(): void {
    if (this.stablePending && this.model.indication().stable) {
      this.stablePending = false;
      this.sendWeight();
    }
    if (this.streaming) this.sendWeight();
  }

  receive(chunk: Buffer): void {
    for (const byte of chunk) {
      if (byte === CR || byte === LF) {
        if (!this.discarding && this.line.length > 0) this.execute(this.line);
        this.line = [];
        this.discarding = false;
        continue;
      }
      if (this.discarding) continue;
      this.line.push(byte);
      if (this.line.length > MAX_COMMAND) {
        this.sendError('04');
        this.line = [];
        this.discarding = true;
      }
    }
  }

  private execute(bytes: number[]): void {
    if (bytes.some((byte) => byte < 0x20 || byte > 0x7e)) {
      this.sendError(this.options.garbledCommandError);
      return;
    }
    const command = Buffer.from(bytes).toString('latin1');
    const identity = this.model.parameters.identity;
    switch (command) {
      case 'Q':
      case 'SI':
        this.sendWeight();
        return;
      case 'S':
        if (this.model.indication().stable) this.sendWeight();
        else this.stablePending = true;
        return;
      case 'SIR':
        this.sirRunning = true;
        this.sendWeight();
        return;
      case 'C':
        this.sirRunning = false;
        this.stablePending = false;
        this.acknowledge();
        return;
      case 'Z':
      case 'R':
        this.control(() => this.model.zero());
        return;
      case 'T':
      case 'TR':
        this.control(() => this.model.tare());
        return;
      case 'CT':
        this.model.clearTare();
        this.acknowledge();
        return;
      case '?ID':
        this.sendLine(`ID,${this.options.idNumber}`);
        return;
      case '?SN':
        this.sendLine(`SN,${identity.serialNumber}`);
        return;
      case '?TN':
        this.sendLine(`TN,${identity.model}`);
        return;
      default:
        this.sendError('01');
    }
  }

  /** Zero and tare: acknowledged on receipt and, on some models, again once carried out. */
  private control(run: () => ScaleCommandResult): void {
    if (this.options.acknowledge === 'receipt-and-completion') this.io.emit(Buffer.from(ACK_LINE));
    const result = run();
    if (result === 'busy') this.sendError('11');
    else if (result !== 'ok') this.sendError('02');
    else if (this.options.acknowledge !== 'none') this.io.emit(Buffer.from(ACK_LINE));
  }

  private acknowledge(): void {
    if (this.options.acknowledge !== 'none') this.io.emit(Buffer.from(ACK_LINE));
  }

  private sendWeight(): void {
    this.sendLine(this.weightLine(this.model.indication()));
  }

  private weightLine(indication: Indication): string {
    const indicator = this.options.format === 'indicator';
    const dataWidth = indicator ? 8 : 9;
    const negative = indication.net.startsWith('-');
    const digits = negative ? indication.net.slice(1) : indication.net;
    let header: string;
    let data: string;
    if (indication.overload || indication.underload || digits.length > dataWidth - 1) {
      const below = indication.underload || (!indication.overload && negative);
      header = 'OL';
      data = (below ? '-' : '+') + nines(dataWidth - 1, indication.decimals);
    } else {
      header = !indication.stable ? 'US' : indication.unit === 'PC' ? 'QT' : 'ST';
      data = (negative ? '-' : '+') + digits.padStart(dataWidth - 1, '0');
    }
    const tared = /[1-9]/.test(indication.tare);
    const second = indicator ? (tared ? 'NT,' : 'GS,') : '';
    return `${header},${second}${data}${indication.unit.padStart(this.unitWidth, ' ')}`;
  }

  private sendError(code: string): void {
    this.sendLine(`EC,E${code}`);
  }

  private sendLine(text: string): void {
    this.io.emit(Buffer.from(`${text}\r\n`, 'latin1'));
  }
}

export const adProtocol: SerialScaleProtocol = {
  id: 'ad',
  title: 'A&D standard format (balances) and indicator format',
  defaultLine: { baudRate: 2400, dataBits: 7, parity: 'even', stopBits: 1 },
  createSpeaker(model, io, options) {
    return new AdSpeaker(model, io, adOptionsSchema.parse(options));
  },
};
