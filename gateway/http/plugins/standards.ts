/**
 * `GET /api/standards`: the reference standards a session may name (weight sets, cans, pulse
 * generators, thermometers), each with whether it is within its calibration period today, so that
 * the bench page offers only the usable ones.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { describeStandard, STANDARD_KINDS } from '../../store/standards.js';
import { BENCH } from '../auth.js';
import type { AreaOptions } from '../context.js';
import { COMMON_ERRORS } from '../errors.js';

const standardSchema = z.object({
  id: z.string(),
  kind: z.enum(STANDARD_KINDS),
  description: z.string(),
  certificateNumber: z.string(),
  calibrationDate: z.string(),
  dueDate: z.string(),
  valid: z.boolean().describe('calibrated on or before today and due on or after today'),
  addedAt: z.string(),
  standard: z.record(z.string(), z.unknown()).describe('everything registered (pieces, MPE …)'),
});

export const standardsPlugin: FastifyPluginAsyncZod<AreaOptions> = async (app, { api }) => {
  app.get(
    '/standards',
    {
      config: { access: BENCH },
      schema: {
        tags: ['verification'],
        summary: 'Reference standards, with their validity today',
        querystring: z.object({ kind: z.enum(STANDARD_KINDS).optional() }),
        response: {
          200: z.object({ date: z.string(), standards: z.array(standardSchema) }),
          ...COMMON_ERRORS,
        },
      },
    },
    async (request) => {
      const today = api.now().toISOString().slice(0, 10);
      const standards = api.store.standards
        .list()
        .filter(({ standard }) => request.query.kind === undefined || standard.kind === request.query.kind)
        .map(({ standard, addedAt }) => ({
          id: standard.id,
          kind: standard.kind,
          description: describeStandard(standard),
          certificateNumber: standard.certificateNumber,
          calibrationDate: standard.calibrationDate,
          dueDate: standard.dueDate,
          valid: standard.calibrationDate <= today && today <= standard.dueDate,
          addedAt,
          standard: standard as unknown as Record<string, unknown>,
        }));
      return { date: today, standards };
    },
  );
};
