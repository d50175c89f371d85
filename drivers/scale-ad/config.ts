/**
 * Configuration of one A&D balance or indicator. Line settings default to 2400 7E1 (index.ts);
 * every command is configurable because A&D models differ (balances: `R` re-zero, `TR` tare;
 * industrial indicators: `Z`, `T`, `CT`).
 */
import { z } from 'zod';
import { serialDeviceSchema } from '../definition.js';
import { AD_IDENTITY_COMMANDS } from './protocol.js';

/** A command as typed on the device's interface: printable ASCII, sent followed by CR LF. */
const commandText = z
  .string()
  .regex(/^[\x21-\x7e][\x20-\x7e]{0,15}$/, 'a command is 1–16 printable ASCII characters (e.g. Z, R, TR)');

export const adConfigSchema = serialDeviceSchema.extend({
  /**
   * `poll`: send `Q` and read the answer (the device's "command mode").
   * `stream`: the device outputs continuously (stream mode set on the device, or a running `SIR`);
   * a poll takes the newest frame not yet returned, or waits for the next one.
   */
  mode: z.enum(['poll', 'stream']).default('poll'),
  /** Zero command: `Z` on indicators (HW-G), `R` (RE-ZERO key) on balances. */
  zeroCommand: commandText.default('Z'),
  /** Tare command: `T` on indicators and FX-i, `TR` on GP/GH balances. */
  tareCommand: commandText.default('T'),
  /** Clear-tare command (`CT` on indicators); null when the device has none. */
  clearTareCommand: commandText.nullable().default('CT'),
  /**
   * Weight-when-stable command used by `readStable` in poll mode (`S` on balances); null to poll
   * with `Q` until the weight is stable. A device that answers `EC,E01` to it falls back to polling.
   */
  stableCommand: commandText.nullable().default('S'),
  /**
   * `ak`: the device answers control commands with `<AK>` (the AK / error-code output is enabled in
   * its menu, e.g. "erCd 1"); a missing AK is then an error. `none`: no AK is expected (factory
   * default on the models we know of: UNCONFIRMED); an AK that comes anyway is ignored.
   */
  acknowledge: z.enum(['none', 'ak']).default('none'),
  /** Identity queries at connect; devices that do not answer are tolerated (stops at the first silence). */
  identityCommands: z.array(z.enum(AD_IDENTITY_COMMANDS)).default([...AD_IDENTITY_COMMANDS]),
  /** Pause between two commands of one operation (HW-G manual: "allow at least 500 ms"). */
  commandGapMs: z.number().int().min(0).max(10_000).default(0),
  /** Stream mode: the newest frame is used only when it is at most this old. */
  maxFrameAgeMs: z.number().int().positive().max(60_000).default(1000),
});

export type AdConfig = z.infer<typeof adConfigSchema>;
