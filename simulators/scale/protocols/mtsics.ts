/**
 * The firmware of an MT-SICS balance (Mettler Toledo Standard Interface Command Set, levels 0 and 1),
 * written from reference/device-protocols.md §1.1 and not from the driver's codec.
 *
 * Commands are upper-case ASCII lines ending in CR LF (a bare LF is taken too). Supported:
 *   `@`            reset: stops SIR, cancels a pending command, answers `I4 A "<serial>"`
 *   `I1`…`I4`      level/versions, balance data `"<model> <max> <unit>"`, software version, serial
 *   `S`            stable weight: answered at once when stable, else held until stable; `S I` when
 *                  stability does not come within `stabilityTimeoutMs`; `S +` / `S -` out of range
 *   `SI`           weight now: `S S` or `S D`
 *   `SIR`          `SI` repeated every `streamIntervalMs` until `@` or any other command
 *   `Z` / `ZI`     zero when stable / now: `Z A`, `ZI S|D`; `+`/`-` outside the zero range, `I` busy
 *   `T` / `TI`     tare when stable / now: `T S <tare> <unit>`, `TI S|D <tare> <unit>`; `+`/`-`, `I`
 *   `TA`           tare query `TA A <tare> <unit>`; `TA <value> <unit>` presets it (`TA L` when the
 *                  value is not allowed or the unit is not the balance's)
 *   `TAC`          clear tare: `TAC A`
 * Weights are printed right-aligned in a 10-character field, one space, the unit
 * (`S S     100.00 g`); the `TA A` reply is printed without padding, as in the reference examples.
 * A command holding a NUL or a byte above 0x7F (what a UART makes of a parity or framing error) is
 * answered `ET`; an unknown or lower-case command `ES`; a parameter given to a command that takes
 * none `EL`. A new command drops a command still waiting for stability without answering it.
 *
 * Options (`protocolOptions`):
 *   streamIntervalMs     SIR repeat interval, default 100
 *   stabilityTimeoutMs   how long S, Z and T wait for stability before answering `<id> I`, default 3000
 *   unsupportedCommands  commands answered `ES` as if not implemented (e.g. ["I2", "I3"]), default []
 *   busyCommands         commands answered `<reply id> I` (e.g. ["I4"], or ["@"] -> `I4 I`), default []
 */
import { z } from 'zod';
import { isDecimalText } from '../../../drivers/decimal.js';
import type { DeviceSpeaker, SpeakerIo } from '../../serial-host.js';
import type { SerialScaleProtocol } from '../index.js';
import type { ScaleCommandResult, ScaleModel } from '../model.js';

const optionsSchema = z.object({
  streamIntervalMs: z.number().int().positive().max(60_000).default(100),
  stabilityTimeoutMs: z.number().int().min(0).max(600_000).default(3000),
  unsupportedCommands: z.array(z.string()).default([]),
  busyCommands: z.array(z.string()).default([]),
});
export type MtsicsSpeakerOptions = z.infer<typeof optionsSchema>;

const LF = 0x0a;
const CR = 0x0d;
/** Longer input without LF is dropped and answered `ET` (a length error). */
const MAX_COMMAND_LENGTH = 128;
/** How often a command waiting for stability looks at the scale again. */
const STABILITY_CHECK_MS = 20;
const WEIGHT_FIELD_WIDTH = 10;

type HeldCommand = 'S' | 'Z' | 'T';

function line(text: string): Buffer {
  return Buffer.from(`${text}\r\n`, 'latin1');
}

/** `<value>` right-aligned in the 10-character field, one space, the unit. */
function weightField(value: string, unit: string): string {
  return `${value.padStart(WEIGHT_FIELD_WIDTH, ' ')} ${unit}`;
}

class MtsicsSpeaker implements DeviceSpeaker {
  private readonly model: ScaleModel;
  private readonly io: SpeakerIo;
  private readonly options: MtsicsSpeakerOptions;
  private input: number[] = [];
  private streaming = false;
  private held: { command: HeldCommand; until: number } | undefined;

  constructor(model: ScaleModel, io: SpeakerIo, options: MtsicsSpeakerOptions) {
    this.model = model;
    this.io = io;
    this.options = options;
  }

  get streamIntervalMs(): number {
    if (this.held) return STABILITY_CHECK_MS;
    return this.streaming ? this.options.streamIntervalMs : 0;
  }

  receive(chunk: Buffer): void {
    for (const byte of chunk) {
      if (byte === LF) {
        const command = this.input;
        this.input = [];
        if (command[command.length - 1] === CR) command.pop();
        this.execute(Buffer.from(command));
        continue;
      }
      this.input.push(byte);
      if (this.input.length > MAX_COMMAND_LENGTH) {
        this.input = [];
        this.send('ET');
      }
    }
  }

  tick(): void {
    if (this.held) {
      this.checkHeld();
      return;
    }
    if (this.streaming) this.sendWeightNow('S');
  }

  private send(text: string): void {
    this.io.emit(line(text));
  }

  private execute(command: Buffer): void {
    // Every command ends SIR and drops a command still waiting for stability.
    this.streaming = false;
    this.held = undefined;
    if (command.some((byte) => byte === 0 || byte >= 0x80)) {
      this.send('ET');
      return;
    }
    if (command.some((byte) => byte < 0x20 || byte === 0x7f)) {
      this.send('ES');
      return;
    }
    const text = command.toString('latin1');
    const [name = '', ...params] = text.split(' ').filter((part) => part !== '');
    if (!/^(?:@|[A-Z][A-Z0-9]*)$/.test(name) || this.options.unsupportedCommands.includes(name)) {
      this.send('ES');
      return;
    }
    const replyId = name === '@' ? 'I4' : name === 'SI' || name === 'SIR' ? 'S' : name;
    if (this.options.busyCommands.includes(name)) {
      this.send(`${replyId} I`);
      return;
    }
    if (name === 'TA') {
      this.tareValue(params);
      return;
    }
    const handler = this.handlers[name];
    if (!handler) {
      this.send('ES');
      return;
    }
    if (params.length > 0) {
      this.send('EL');
      return;
    }
    handler();
  }

  private readonly handlers: Record<string, (() => void) | undefined> = {
    '@': () => this.send(`I4 A "${this.model.parameters.identity.serialNumber}"`),
    I1: () => this.send('I1 A "01" "2.20" "2.20" "1.00" "1.00"'),
    I2: () => {
      const p = this.model.parameters;
      this.send(`I2 A "${p.identity.model} ${p.max} ${p.unit}"`);
    },
    I3: () => this.send(`I3 A "${this.model.parameters.identity.softwareVersion}"`),
    I4: () => this.send(`I4 A "${this.model.parameters.identity.serialNumber}"`),
    S: () => this.hold('S'),
    SI: () => this.sendWeightNow('S'),
    SIR: () => {
      this.streaming = true;
      this.sendWeightNow('S');
    },
    Z: () => this.hold('Z'),
    ZI: () => {
      const stable = this.model.indication().stable;
      this.send(this.answer('ZI', this.model.zero(true), stable ? 'ZI S' : 'ZI D'));
    },
    T: () => this.hold('T'),
    TI: () => {
      const stable = this.model.indication().stable;
      const result = this.model.tare(true);
      this.send(this.answer('TI', result, `TI ${stable ? 'S' : 'D'} ${this.tareField()}`));
    },
    TAC: () => {
      this.model.clearTare();
      this.send('TAC A');
    },
  };

  /** S, Z and T wait for a stable weight; out-of-range weights are answered at once. */
  private hold(command: HeldCommand): void {
    const indication = this.model.indication();
    if (command === 'S' && (indication.overload || indication.underload)) {
      this.sendWeightNow('S');
      return;
    }
    if (indication.stable) {
      this.finishHeld(command);
      return;
    }
    if (this.options.stabilityTimeoutMs === 0) {
      this.send(`${command} I`);
      return;
    }
    this.held = { command, until: this.io.now() + this.options.stabilityTimeoutMs };
  }

  private checkHeld(): void {
    const held = this.held;
    if (!held) return;
    const indication = this.model.indication();
    if (indication.stable || (held.command === 'S' && (indication.overload || indication.underload))) {
      this.held = undefined;
      this.finishHeld(held.command);
    } else if (this.io.now() >= held.until) {
      this.held = undefined;
      this.send(`${held.command} I`);
    }
  }

  private finishHeld(command: HeldCommand): void {
    if (command === 'S') this.sendWeightNow('S');
    else if (command === 'Z') this.send(this.answer('Z', this.model.zero(false), 'Z A'));
    else this.send(this.answer('T', this.model.tare(false), `T S ${this.tareField()}`));
  }

  private answer(id: string, result: ScaleCommandResult, success: string): string {
    switch (result) {
      case 'ok':
        return success;
      case 'busy':
        return `${id} I`;
      case 'above-range':
        return `${id} +`;
      case 'below-range':
        return `${id} -`;
    }
  }

  private sendWeightNow(id: string): void {
    const indication = this.model.indication();
    if (indication.overload) this.send(`${id} +`);
    else if (indication.underload) this.send(`${id} -`);
    else this.send(`${id} ${indication.stable ? 'S' : 'D'} ${weightField(indication.net, indication.unit)}`);
  }

  private tareField(): string {
    const indication = this.model.indication();
    return weightField(indication.tare, indication.unit);
  }

  /** `TA` queries the tare; `TA <value> <unit>` presets it. */
  private tareValue(params: string[]): void {
    if (params.length === 0) {
      const indication = this.model.indication();
      this.send(`TA A ${indication.tare} ${indication.unit}`);
      return;
    }
    const [value = '', unit = ''] = params;
    if (params.length !== 2 || !isDecimalText(value) || unit !== this.model.parameters.unit) {
      this.send('TA L');
      return;
    }
    if (this.model.presetTare(value) !== 'ok') {
      this.send('TA L');
      return;
    }
    const indication = this.model.indication();
    this.send(`TA A ${indication.tare} ${indication.unit}`);
  }
}

export const mtsicsProtocol: SerialScaleProtocol = {
  id: 'mt-sics',
  title: 'Mettler Toledo MT-SICS',
  // The commonest documented setting (reference §1.1: 9600 8N1, no handshake).
  defaultLine: { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
  createSpeaker(model, io, options) {
    return new MtsicsSpeaker(model, io, optionsSchema.parse(options));
  },
};
