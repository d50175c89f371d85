/**
 * Configuration of one Sartorius balance on the SBI protocol. Line settings default to 1200 7O1,
 * the factory setting of WZA weigh cells (device-protocols.md §1.2); other families ship with
 * other settings (UNCONFIRMED), so set `baudRate`/`dataBits`/`parity`/`stopBits` to the balance
 * menu.
 */
import { z } from 'zod';
import { serialDeviceSchema } from '../definition.js';
import { parseSbiCommand } from './protocol.js';

/** A command in the notation of the Sartorius manuals: `ESC P`, `ESC x1_`, `ESC f4_`. */
const sbiCommandSchema = z.string().refine((text) => parseSbiCommand(text) !== undefined, {
  message: 'an SBI command is ESC followed by the command characters, e.g. "ESC T" or "ESC f4_"',
});

export const sbiConfigSchema = serialDeviceSchema.extend({
  /**
   * Line length the balance prints: 16 (no ID code) or 22 (6-character ID code first). `auto`
   * accepts both; a fixed value rejects the other length as garbage, which catches a balance
   * whose menu was changed.
   */
  format: z.union([z.literal(16), z.literal(22), z.literal('auto')]).default('auto'),
  /**
   * `poll`: the driver sends the print command for every weighing. `autoprint`: the balance prints
   * on its own (menu "auto print"); the driver takes the newest line it has not used yet, and waits
   * for the next one otherwise.
   */
  mode: z.enum(['poll', 'autoprint']).default('poll'),
  /** Oldest autoprint line a poll still takes without waiting for a newer one. */
  autoprintMaxAgeMs: z.number().int().positive().max(60_000).default(500),
  /** Print command (`ESC kP_` or `ESC p_` print "as the PRINT key" on some models). */
  printCommand: sbiCommandSchema.default('ESC P'),
  /**
   * Tare command. Default `ESC T`, the TARE key every SBI family knows (it zeroes instead when the
   * load is inside the zero-setting range); `ESC U` on Cubis, `ESC f4_` on Entris II.
   */
  tareCommand: sbiCommandSchema.default('ESC T'),
  /** Zero command: `ESC V` on Cubis and Entris II, `ESC f3_` (ZERO key) on Entris II. */
  zeroCommand: sbiCommandSchema.default('ESC V'),
  /**
   * Clears the tare. SBI has no documented clear-tare command; the default is the CF/CANCEL key
   * `ESC s3_` (UNCONFIRMED that every model clears the tare with it). `null` makes clearTare fail
   * with MG_ERR_COMMAND_UNSUPPORTED.
   */
  clearTareCommand: sbiCommandSchema.nullable().default('ESC s3_'),
  /**
   * Follow zero/tare/clear-tare with a print request and wait for its line, so that the call returns
   * only once the balance has read the command (SBI acknowledges nothing). Turn off for a balance
   * that prints only stable weights and is often unstable when keys are pressed.
   */
  confirmCommands: z.boolean().default(true),
  /** Ask for model, serial number and software version (`ESC x1_`..`x3_`) on connect. */
  identify: z.boolean().default(true),
  /** Unit reported while the balance prints none (unstable, overload); default: the last unit printed. */
  unit: z.string().min(1).max(8).optional(),
});

export type SbiConfig = z.infer<typeof sbiConfigSchema>;
