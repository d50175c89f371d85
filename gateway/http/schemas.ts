/**
 * zod schemas shared by several areas of the API: decimal text, the evaluation result
 * (contracts.md §2) and the stored verification record. They serve validation, serialisation and
 * the OpenAPI document at once.
 */
import { z } from 'zod';
import { RULE_SET_IDS, STAGES } from '../verification/types.js';

/** A number as the contracts accept it: decimal text or a JSON number (read as exact decimal). */
export const decimalInput = z
  .union([z.string().max(40), z.number()])
  .describe('decimal number, as text ("0.1") or a JSON number');

/** A calendar date YYYY-MM-DD. */
export const dateText = z.iso.date().describe('YYYY-MM-DD');

export const testResultSchema = z
  .looseObject({ test: z.string(), pass: z.boolean(), reason: z.string().optional() })
  .describe('one test result: its inputs repeated, error and MPE as decimal text, pass');

export const evaluationResultSchema = z
  .looseObject({
    verdict: z.enum(['pass', 'fail']),
    ruleSet: z.enum(RULE_SET_IDS),
    stage: z.enum(STAGES),
    tests: z.array(testResultSchema),
    groups: z
      .array(
        z.object({
          flow: z.string(),
          runs: z.number(),
          rangePercent: z.string(),
          limitPercent: z.string(),
          pass: z.boolean(),
        }),
      )
      .optional(),
    overrides: z.record(z.string(), z.string()).optional(),
  })
  .describe('contracts.md §2');

export const storedRecordSchema = z
  .looseObject({
    id: z.string().describe('VR-000042'),
    sequence: z.number().int(),
    instrument: z.looseObject({ id: z.string(), kind: z.string() }),
    bench: z.record(z.string(), z.unknown()),
    result: evaluationResultSchema,
    validUntil: z.string().optional(),
    operator: z.string(),
    standards: z.array(z.looseObject({ id: z.string() })),
    performedAt: z.string(),
    recordedAt: z.string(),
    software: z.looseObject({ name: z.string(), version: z.string(), checksum: z.string() }),
    previousHash: z.string(),
    hash: z.string(),
    hmac: z.string(),
  })
  .describe('a stored verification record (hash-chained, HMAC-sealed)');

/**
 * A value typed as a response schema's output. The serializer checks it against the schema on the
 * way out; this only bridges TypeScript interfaces, which lack the index signature of loose objects.
 */
export function asWire<S extends z.ZodType>(_schema: S, value: unknown): z.output<S> {
  return value as z.output<S>;
}
