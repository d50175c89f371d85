/**
 * The dispenser part of a bench record (contracts.md §1): the instrument and the `delivery` and
 * `payment` tests. Every error names its JSON path (`instrument.fuel`, `tests[2].canVolume`).
 */
import { z } from 'zod';
import type { Dec } from '../../../drivers/decimal.js';
import { decimalInput, inputError, nonNegativeDecimal, parseInput, positiveDecimal } from '../input.js';
import { CAN_MATERIALS, COMPONENTS, FUELS } from './rule-set.js';

export const dispenserInstrumentSchema = z.object({
  fuel: z.enum(FUELS).optional(),
  canMaterial: z.enum(CAN_MATERIALS).optional(),
  minPaymentStep: positiveDecimal.optional(),
  /** R 117 only: the accuracy class (Table 2), default from the rule set. */
  accuracyClass: decimalInput.optional(),
  /** R 117 only: minimum measured quantity, L. */
  mmq: positiveDecimal.optional(),
  /** R 117 only: the smallest scale interval R of the volume indication, L. */
  scaleInterval: positiveDecimal.optional(),
  /** Extension to contracts.md §1: `meter` judges a meter alone (R 117 line B, JJG 443 flow-meter limits). */
  component: z.enum(COMPONENTS).optional(),
});
export type DispenserInstrument = z.infer<typeof dispenserInstrumentSchema>;

export function parseDispenserInstrument(raw: unknown): DispenserInstrument {
  return parseInput(dispenserInstrumentSchema, raw, 'instrument');
}

const deliverySchema = z.object({
  test: z.literal('delivery'),
  flow: z.string().min(1, 'must name the flow rate, e.g. "max" or "q2"'),
  indicatedVolume: nonNegativeDecimal,
  canVolume: positiveDecimal.optional(),
  fuelTemperature: decimalInput.optional(),
  canTemperature: decimalInput.optional(),
  referenceVolume: positiveDecimal.optional(),
});

const paymentSchema = z.object({
  test: z.literal('payment'),
  unitPrice: positiveDecimal,
  indicatedVolume: nonNegativeDecimal,
  indicatedAmount: nonNegativeDecimal,
});
export type PaymentTest = z.infer<typeof paymentSchema>;

/**
 * The non-resettable volume totalizer must advance by exactly the volume the dispenser indicated
 * over the deliveries between two readings of it (JJG 443 totalizer check; exact rule UNCONFIRMED,
 * so equality at the totalizer's resolution is required).
 */
const totalizerSchema = z.object({
  test: z.literal('totalizer'),
  nozzle: z.number().int().min(1).max(15).optional(),
  totalBefore: nonNegativeDecimal,
  totalAfter: nonNegativeDecimal,
  deliveredVolume: nonNegativeDecimal,
});
export type TotalizerTest = z.infer<typeof totalizerSchema>;

const CAN_FIELDS = ['canVolume', 'fuelTemperature', 'canTemperature'] as const;

/** Where the true volume of a delivery comes from. */
export type DeliveryReference =
  | { method: 'standard-can'; canVolume: Dec; fuelTemperature: Dec; canTemperature: Dec }
  | { method: 'reference-volume'; referenceVolume: Dec };

export interface DeliveryTest {
  test: 'delivery';
  flow: string;
  indicatedVolume: Dec;
  reference: DeliveryReference;
}

export type DispenserTest = DeliveryTest | PaymentTest | TotalizerTest;

const testKindSchema = z.object({ test: z.enum(['delivery', 'payment', 'totalizer']) });
const testListSchema = z.array(z.unknown()).min(1, 'at least one test is required');

const REQUIRED: Record<DispenserTest['test'], readonly string[]> = {
  delivery: ['flow', 'indicatedVolume'],
  payment: ['unitPrice', 'indicatedVolume', 'indicatedAmount'],
  totalizer: ['totalBefore', 'totalAfter', 'deliveredVolume'],
};

function requireFields(raw: object, fields: readonly string[], path: string): void {
  for (const field of fields) {
    if ((raw as Record<string, unknown>)[field] === undefined)
      throw inputError(`${path}.${field}`, 'is required');
  }
}

export function parseDispenserTests(raw: unknown): DispenserTest[] {
  const list = parseInput(testListSchema, raw, 'tests');
  return list.map((item, index) => parseDispenserTest(item, `tests[${index}]`));
}

function parseDispenserTest(raw: unknown, path: string): DispenserTest {
  const { test } = parseInput(testKindSchema, raw, path);
  requireFields(raw as object, REQUIRED[test], path);
  if (test === 'payment') return parseInput(paymentSchema, raw, path);
  if (test === 'totalizer') return parseInput(totalizerSchema, raw, path);
  const delivery = parseInput(deliverySchema, raw, path);
  const base = { test, flow: delivery.flow, indicatedVolume: delivery.indicatedVolume } as const;
  if (delivery.referenceVolume !== undefined) {
    const extra = CAN_FIELDS.find((field) => delivery[field] !== undefined);
    if (extra) {
      throw inputError(
        `${path}.${extra}`,
        'give either referenceVolume or canVolume + fuelTemperature + canTemperature, not both',
      );
    }
    return { ...base, reference: { method: 'reference-volume', referenceVolume: delivery.referenceVolume } };
  }
  const { canVolume, fuelTemperature, canTemperature } = delivery;
  if (canVolume === undefined || fuelTemperature === undefined || canTemperature === undefined) {
    const missing = CAN_FIELDS.find((field) => delivery[field] === undefined)!;
    throw inputError(
      `${path}.${missing}`,
      'is required: a delivery gives referenceVolume, or canVolume + fuelTemperature + canTemperature (standard can)',
    );
  }
  return { ...base, reference: { method: 'standard-can', canVolume, fuelTemperature, canTemperature } };
}
