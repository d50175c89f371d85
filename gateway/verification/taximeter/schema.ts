/**
 * Bench-record input for taximeters (contracts.md §1): the instrument's constant k and tariff, and
 * the three test kinds. Every error names its JSON path relative to the record.
 */
import { z } from 'zod';
import type { Dec } from '../../../drivers/decimal.js';
import { inputError, nonNegativeDecimal, parseInput, positiveDecimal } from '../input.js';

export const tariffSchema = z.object({
  flagFall: nonNegativeDecimal,
  /** Metres covered by the flag fall. */
  includedDistance: nonNegativeDecimal,
  /** Money per km. */
  distanceRate: nonNegativeDecimal,
  /** Money per hour. */
  timeRate: nonNegativeDecimal,
  mode: z.enum(['S', 'D']),
  /** The least significant digit of the fare indication (0.1, 0.01...). */
  fareResolution: positiveDecimal,
});
export type Tariff = z.output<typeof tariffSchema>;

export const taximeterInstrumentSchema = z.object({
  /** Pulses per km (计价器常数); needed by bench distance tests. */
  k: positiveDecimal.optional(),
  /** Needed by fare tests. */
  tariff: tariffSchema.optional(),
});
export type TaximeterInstrument = z.output<typeof taximeterInstrumentSchema>;

const testKindSchema = z.object({ test: z.enum(['distance', 'time', 'fare']) });

const installedDistanceSchema = z.object({
  indicatedDistance: nonNegativeDecimal,
  trueDistance: positiveDecimal,
});
const benchDistanceSchema = z.object({
  /** Metres shown by the meter when the bench count was read. */
  testDistance: nonNegativeDecimal,
  /** Pulses (or revolutions) counted by the bench; true distance = pulses / k km. */
  pulses: positiveDecimal,
});
const timeSchema = z.object({ indicated: nonNegativeDecimal, reference: positiveDecimal });
const fareSchema = z.object({
  indicatedFare: nonNegativeDecimal,
  distance: nonNegativeDecimal,
  duration: nonNegativeDecimal,
});

export type TaximeterTest =
  | { test: 'distance'; variant: 'installed'; indicatedDistance: Dec; trueDistance: Dec }
  | { test: 'distance'; variant: 'bench'; testDistance: Dec; pulses: Dec }
  | { test: 'time'; indicated: Dec; reference: Dec }
  | { test: 'fare'; indicatedFare: Dec; distance: Dec; duration: Dec };

const INSTALLED_FIELDS = ['indicatedDistance', 'trueDistance'];
const BENCH_FIELDS = ['testDistance', 'pulses'];

/** Parses one entry of `tests`; `path` is its JSON path (`tests[2]`). */
export function parseTaximeterTest(raw: unknown, path: string): TaximeterTest {
  const { test } = parseInput(testKindSchema, raw, path);
  const fields = raw as Record<string, unknown>;
  switch (test) {
    case 'distance': {
      const installed = INSTALLED_FIELDS.some((f) => f in fields);
      const bench = BENCH_FIELDS.some((f) => f in fields);
      if (installed && bench) {
        throw inputError(
          path,
          'a distance test is either installed (indicatedDistance, trueDistance) or bench (testDistance, pulses), not both',
        );
      }
      if (!installed && !bench) {
        throw inputError(
          path,
          'a distance test needs indicatedDistance and trueDistance (installed) or testDistance and pulses (bench)',
        );
      }
      return installed
        ? { test, variant: 'installed', ...parseInput(installedDistanceSchema, raw, path) }
        : { test, variant: 'bench', ...parseInput(benchDistanceSchema, raw, path) };
    }
    case 'time':
      return { test, ...parseInput(timeSchema, raw, path) };
    case 'fare':
      return { test, ...parseInput(fareSchema, raw, path) };
  }
}
