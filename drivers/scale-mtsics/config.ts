/**
 * Configuration of one MT-SICS balance. MT-SICS has no universal factory line setting (9600 8N1 is
 * the commonest documented one, reference §1.1), so every line setting can be overridden.
 */
import { z } from 'zod';
import { serialDeviceSchema } from '../definition.js';

export const MTSICS_MODES = ['poll', 'stream'] as const;
export const MTSICS_WEIGH_COMMANDS = ['SI', 'S'] as const;

export const mtsicsConfigSchema = serialDeviceSchema.extend({
  /**
   * `poll`: one weigh command per poll. `stream`: the balance repeats the weight on its own (`SIR`)
   * and a poll takes the newest line; the stream is stopped with `@` when the driver closes.
   */
  mode: z.enum(MTSICS_MODES).default('poll'),
  /**
   * Poll mode only. `SI` answers at once, stable (`S S`) or not (`S D`); `S` makes the balance hold
   * its answer until the weight is stable, so every reading is stable but a poll can take as long as
   * `stabilityWaitMs`.
   */
  weighCommand: z.enum(MTSICS_WEIGH_COMMANDS).default('SI'),
  /**
   * How long to wait for the answer to a command that the balance holds until the weight is stable
   * (`S`, `Z`, `T`). The balance's own stability timeout (after which it answers `S I`) is model
   * specific and UNCONFIRMED; this must be at least as long as it.
   */
  stabilityWaitMs: z.number().int().positive().max(120_000).default(5000),
  /**
   * Stream mode only: a streamed line older than this is not used for a poll; the driver waits for
   * the next line instead.
   */
  streamMaxAgeMs: z.number().int().positive().max(60_000).default(500),
});

export type MtsicsConfig = z.infer<typeof mtsicsConfigSchema>;
