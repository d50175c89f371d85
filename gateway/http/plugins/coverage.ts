/**
 * Coverage indicators (contracts.md §6): `GET /api/coverage` gives the report of
 * `metrogate coverage --json` — rows per region × kind, the totals, the targets, the traceability
 * rate and the reference standards falling due — and `GET /api/coverage/overdue` the recall list,
 * as JSON or CSV (`?format=csv`, the columns of `metrogate coverage overdue --csv`). Without
 * `from`/`to` the period is the current calendar year to date by the API's clock (contracts.md §7).
 *
 * Answers come from a CoverageCache kept for the app's lifetime: a dashboard asking again for the
 * same period is answered from memory, brought up to date incrementally when verification records
 * were added since (by this gateway or by `metrogate verify` in another process).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  COVERAGE_KINDS,
  CoverageCache,
  type CoverageFilter,
  type CoveragePeriod,
  dayKey,
  formatDate,
  localDay,
  overdueCsv,
  parseDate,
  standardsDue,
  yearOf,
} from '../../coverage/index.js';
import { READERS } from '../auth.js';
import type { AreaOptions } from '../context.js';
import { ApiError, COMMON_ERRORS } from '../errors.js';

const rateSchema = z
  .string()
  .nullable()
  .describe('decimal rounded half-up to 4 places; null: zero denominator');

const coverageRowSchema = z.object({
  region: z.string().describe('a district, or `*` in a total'),
  kind: z.string().describe('scale | dispenser | taximeter, or `*` in a total'),
  inUse: z.number().int(),
  due: z.number().int(),
  inspected: z.number().int(),
  inspectionRate: rateSchema,
  valid: z.number().int(),
  validRate: rateSchema,
  overdue: z.number().int(),
  passRate: rateSchema,
  target: z.string(),
  meetsTarget: z
    .boolean()
    .nullable()
    .describe('inspectionRate ≥ target, exactly; null when nothing fell due'),
  traceabilityRate: rateSchema.describe(
    'share of the period’s verifications whose reference standards were all within calibration; null: none recorded',
  ),
});

const standardDueSchema = z.object({
  id: z.string(),
  kind: z.string(),
  description: z.string(),
  certificateNumber: z.string(),
  dueDate: z.string(),
  daysLeft: z.number().int().describe('negative: already past due'),
});

const overdueSchema = z.object({
  instrument: z.string(),
  region: z.string(),
  kind: z.string(),
  owner: z.string(),
  site: z.string(),
  dueDate: z.string(),
  daysOverdue: z.number().int().describe('days from the due date to the end of the period'),
  lastVerified: z.string().nullable(),
});

const periodQuery = {
  from: z.string().max(10).optional().describe('first day (YYYY-MM-DD); default January 1 of `to`’s year'),
  to: z.string().max(10).optional().describe('last day (YYYY-MM-DD); default today'),
  region: z.string().min(1).max(200).optional(),
  kind: z.enum(COVERAGE_KINDS).optional(),
};

function dateParameter(text: string | undefined, name: 'from' | 'to') {
  if (text === undefined) return undefined;
  const day = parseDate(text);
  if (day === undefined) {
    throw new ApiError(
      400,
      'MG_ERR_INPUT_INVALID',
      `query.${name}: ${JSON.stringify(text)} is not a date YYYY-MM-DD`,
      {
        path: `query.${name}`,
      },
    );
  }
  return day;
}

export const coveragePlugin: FastifyPluginAsyncZod<AreaOptions> = async (app, { api }) => {
  const cache = new CoverageCache({ databasePath: api.store.databasePath, config: api.coverage });
  app.addHook('onClose', async () => cache.close());

  const periodOf = (query: { from?: string | undefined; to?: string | undefined }): CoveragePeriod => {
    const to = dateParameter(query.to, 'to') ?? localDay(api.now());
    const from = dateParameter(query.from, 'from') ?? dayKey(yearOf(to), 1, 1);
    if (from > to) {
      throw new ApiError(
        400,
        'MG_ERR_INPUT_INVALID',
        `query.from: ${formatDate(from)} is after ${formatDate(to)}`,
        {
          path: 'query.from',
        },
      );
    }
    return { from, to };
  };
  const filterOf = (query: { region?: string | undefined; kind?: string | undefined }): CoverageFilter => ({
    ...(query.region !== undefined ? { region: query.region } : {}),
    ...(query.kind !== undefined ? { kind: query.kind } : {}),
  });

  app.get(
    '/coverage',
    {
      config: { access: READERS },
      schema: {
        tags: ['coverage'],
        summary: 'Coverage indicators per region × kind with totals (contracts.md §6)',
        querystring: z.object(periodQuery),
        response: {
          200: z.object({
            from: z.string(),
            to: z.string(),
            rows: z.array(coverageRowSchema),
            totals: z
              .array(coverageRowSchema)
              .describe('per region (kind `*`), per kind (region `*`), over all'),
            standardsDue: z
              .array(standardDueSchema)
              .describe('reference standards due within 60 days of today, or past due'),
          }),
          ...COMMON_ERRORS,
        },
      },
    },
    async (request) => {
      const period = periodOf(request.query);
      const coverage = await cache.get(period, filterOf(request.query));
      return {
        from: coverage.from,
        to: coverage.to,
        rows: coverage.rows,
        totals: coverage.totals,
        standardsDue: standardsDue(api.store.standards.list(), localDay(api.now())),
      };
    },
  );

  app.get(
    '/coverage/overdue',
    {
      config: { access: READERS, queryToken: true },
      schema: {
        tags: ['coverage'],
        summary: 'The recall list: instruments due in the period and not verified (JSON, or CSV)',
        produces: ['application/json', 'text/csv'],
        querystring: z.object({
          ...periodQuery,
          format: z.enum(['json', 'csv']).default('json'),
          access_token: z.string().max(200).optional(),
        }),
        response: {
          200: z.union([
            z.object({ from: z.string(), to: z.string(), overdue: z.array(overdueSchema) }),
            z.string().describe('format=csv: the columns of `metrogate coverage overdue --csv`'),
          ]),
          ...COMMON_ERRORS,
        },
      },
    },
    async (request, reply) => {
      const coverage = await cache.get(periodOf(request.query), filterOf(request.query));
      // Sent as text made once per cached list (a city's recall list runs to tens of thousands).
      const passThrough = (payload: unknown) => payload as string;
      if (request.query.format === 'json') {
        const json = coverage.overdueText('json', (overdue) =>
          JSON.stringify({ from: coverage.from, to: coverage.to, overdue }),
        );
        return reply.type('application/json; charset=utf-8').serializer(passThrough).send(json);
      }
      const csv = coverage.overdueText('csv', overdueCsv);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="overdue-${coverage.from}-${coverage.to}.csv"`)
        .serializer(passThrough)
        .send(csv);
    },
  );
};
