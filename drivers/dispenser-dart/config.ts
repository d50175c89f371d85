import { z } from 'zod';
import { serialDeviceSchema } from '../definition.js';
import { MAX_ADDRESS, MIN_ADDRESS } from './protocol.js';

/** A pump address as a technician writes it: 0x50, "0x50" or 80. */
const pumpAddress = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const text = String(value).trim();
  const number = /^0x[0-9a-f]+$/i.test(text)
    ? Number.parseInt(text, 16)
    : /^\d+$/.test(text)
      ? Number(text)
      : Number.NaN;
  if (!Number.isInteger(number) || number < MIN_ADDRESS || number > MAX_ADDRESS) {
    ctx.addIssue({
      code: 'custom',
      message: `must be a DART pump address 0x50–0x6F (80–111), got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return number;
});

export const dartDecimalsSchema = z.object({
  /** DPVOL: decimals of volumes (0–8). */
  volume: z.number().int().min(0).max(8),
  /** DPAMO: decimals of amounts (0–8). */
  amount: z.number().int().min(0).max(8),
  /** DPUNP: decimals of unit prices (0–4). */
  unitPrice: z.number().int().min(0).max(4),
});

export const dispenserDartConfigSchema = serialDeviceSchema.extend({
  /** The pump's (fuelling point's) DART address, 0x50–0x6F. */
  address: pumpAddress.default(MIN_ADDRESS),
  /**
   * How long to wait for the pump's answer to one frame before sending it again. The pump must
   * answer within 25 ms on the wire (UNCONFIRMED against the spec text); the default is larger
   * because a USB adapter's latency timer (16 ms on FTDI chips, each way) and a loaded host add to
   * the round trip, and a longer wait costs time only when a pump is dead.
   */
  responseTimeoutMs: z.number().int().min(1).max(5000).default(100),
  /** Retransmissions of a frame after a NAK, a timeout or a bad CRC (level 2). */
  retries: z.number().int().min(0).max(10).default(3),
  /**
   * Decimal positions of volume, amount and unit price. When absent they are read from the pump at
   * connect (CD1 RETURN PUMP PARAMETERS → DC7).
   */
  decimals: dartDecimalsSchema.optional(),
  /** Offset of DPVOL within DC7 when the pump's DC7 layout differs from the two known ones. */
  dc7DecimalsOffset: z.number().int().min(0).max(240).optional(),
  /** Also read the totalizers (CD101) of `nozzles` in every poll. */
  totals: z.boolean().default(false),
  /** Logical nozzles of this pump, for the totals (DART total counters exist for nozzles 1–9). */
  nozzles: z
    .preprocess(
      // `-o nozzles=1,2` on the command line arrives as text, `-o nozzles=2` as a number.
      (value) =>
        typeof value === 'number'
          ? [value]
          : typeof value === 'string'
            ? value.split(',').map((part) => (/^\s*\d+\s*$/.test(part) ? Number(part) : part))
            : value,
      z
        .array(z.number().int().min(1).max(9))
        .min(1)
        .refine((list) => new Set(list).size === list.length, { message: 'nozzles must not repeat' }),
    )
    .default([1]),
  /** Currency of amounts (the unit of `amount`; unit prices are `<currency>/L`). */
  currency: z.string().min(1).max(8).default('CNY'),
});

export type DispenserDartConfig = z.infer<typeof dispenserDartConfigSchema>;
