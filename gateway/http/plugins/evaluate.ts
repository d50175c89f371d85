/**
 * `POST /api/evaluate`: a bench record in (contracts.md §1), the result out (§2), exactly what
 * `metrogate evaluate FILE` prints. Pure: nothing is stored. The config's rule overrides apply.
 * The envelope is checked by the route schema; the tests by `evaluate` itself, whose errors name
 * the JSON path (`tests[2].load`).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { evaluate } from '../../verification/evaluate.js';
import { INSTRUMENT_KINDS, RULE_SET_IDS, STAGES } from '../../verification/types.js';
import { BENCH } from '../auth.js';
import type { AreaOptions } from '../context.js';
import { COMMON_ERRORS, inBody } from '../errors.js';
import { asWire, evaluationResultSchema } from '../schemas.js';

export const benchRecordSchema = z
  .object({
    ruleSet: z.enum(RULE_SET_IDS),
    stage: z.enum(STAGES),
    instrument: z.looseObject({ kind: z.enum(INSTRUMENT_KINDS) }),
    tests: z
      .array(z.looseObject({ test: z.string() }))
      .min(1, 'at least one test is required')
      .max(10_000),
  })
  .describe('contracts.md §1 bench record');

export const evaluatePlugin: FastifyPluginAsyncZod<AreaOptions> = async (app, { api }) => {
  app.post(
    '/evaluate',
    {
      config: { access: BENCH },
      schema: {
        tags: ['verification'],
        summary: 'Evaluate a bench record against its rule set (contracts.md §1–2)',
        body: benchRecordSchema,
        response: { 200: evaluationResultSchema, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      try {
        return asWire(evaluationResultSchema, evaluate(request.body, { overrides: api.overrides }));
      } catch (error) {
        throw inBody(error);
      }
    },
  );
};
