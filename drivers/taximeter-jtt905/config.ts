import { z } from 'zod';
import { serialDeviceSchema } from '../definition.js';

export const taximeterJtt905ConfigSchema = serialDeviceSchema.extend({
  /**
   * Where a poll's trip comes from. `request`: each poll asks the meter for its newest stored trip
   * with a resend request (0x00F2 with a 4-byte trip number 0; metrogate's extension, UNCONFIRMED
   * on real meters). `notifications`: the poll reports the newest trip record the meter pushed
   * (0x00E8 at the end of a trip, 0x00F2 when it resends one) since connect. Pushed records are
   * acknowledged and kept in both modes.
   */
  trip: z.enum(['request', 'notifications']).default('request'),
  /** Also report the meter's status (0x0000) and fare parameters (0x0004) as channels. */
  status: z.boolean().default(false),
  /** Unit of the fare, surcharge and rate channels (the protocol counts yuan). */
  currency: z.string().min(1).max(8).default('CNY'),
  /** Device type addressed in requests and accepted in replies (0x02 = taximeter). */
  deviceType: z.number().int().min(0).max(255).default(0x02),
});

export type TaximeterJtt905Config = z.infer<typeof taximeterJtt905ConfigSchema>;
