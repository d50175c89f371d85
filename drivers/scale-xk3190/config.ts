import { z } from 'zod';
import { isDecimalText, normalizeDecimalText } from '../decimal.js';
import { serialDeviceSchema } from '../definition.js';
import { XK3190_FORMATS } from './protocol.js';

/** A positive decimal given as text ("0.01") or as a YAML number (30); kept as exact text. */
const positiveDecimal = z
  .union([z.string(), z.number()])
  .transform((value) => String(value).trim())
  .refine((text) => isDecimalText(text) && !text.startsWith('-') && /[1-9]/.test(text), {
    message: 'must be a positive decimal such as "30" or "0.01"',
  })
  .transform((text) => normalizeDecimalText(text)!);

export const scaleXk3190ConfigSchema = serialDeviceSchema
  .extend({
    /**
     * `continuous`: the indicator streams on its own (the usual set-up, and the only one that most
     * models offer on RS-232). `instruction`: the RS-485 addressed mode, in which the driver asks
     * for the weight with `02 <addr> <cmd> <XOR> 03`.
     */
    mode: z.enum(['continuous', 'instruction']).default('continuous'),
    /**
     * Continuous output format set in the indicator's menu (often `tF`): `tf0` = "continuous format
     * 0" (STX frame with XOR check), `eq-reversed` = "continuous format 1" (`=`, digits low first),
     * `eq` = "continuous format 2" (`=`, digits in reading order). Ignored in instruction mode.
     */
    format: z.enum(XK3190_FORMATS).default('tf0'),
    /** Instruction mode: the indicator's address letter (`A` = address 0, `B` = 1, …). */
    address: z
      .string()
      .regex(/^[A-Z]$/, 'must be one capital letter, A for address 0')
      .default('A'),
    /** Instruction mode: which weight to read, net (`D`, what the display shows) or gross (`B`). */
    weight: z.enum(['net', 'gross']).default('net'),
    /** The frames carry no unit; this is the unit the indicator is set to. */
    unit: z.string().min(1).max(8).default('kg'),
    /**
     * The frames carry no stability flag: a weight counts as stable once this many consecutive
     * frames (or instruction replies) carried the same value.
     */
    stableFrames: z.number().int().min(1).max(50).default(3),
    /**
     * Instruction mode: the pause between two weight requests while confirming stability, so that
     * "consecutive equal values" span real time as a stream's frames do.
     */
    confirmIntervalMs: z.number().int().min(0).max(10_000).default(50),
    /** Capacity Max, in `unit`. With `e`: overload above Max + 9 e (OIML R 76). */
    max: positiveDecimal.optional(),
    /** Verification scale interval e, in `unit`: underload below −20 e; with `max`, overload. */
    e: positiveDecimal.optional(),
  })
  .superRefine((config, ctx) => {
    if (config.max !== undefined && config.e === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['e'],
        message: 'e is required with max (overload is shown above Max + 9 e)',
      });
    }
  });

export type ScaleXk3190Config = z.infer<typeof scaleXk3190ConfigSchema>;
