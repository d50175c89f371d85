/**
 * The register of instruments (contracts.md §5) over gateway/registry: list with filters, one
 * instrument with its verification history, CSV export, and CSV import of the register or of the
 * history (admins only; all or nothing; a bad row is reported with its line and column). The CSV
 * body is sent as `text/csv` and may be larger than other bodies (`importBodyLimit`).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MetrogateError } from '../../../drivers/errors.js';
import {
  countInstruments,
  exportCsv,
  getInstrument,
  historyOf,
  INSTRUMENT_KINDS,
  INSTRUMENT_STATUSES,
  importHistory,
  importInstruments,
  listInstruments,
  VERDICTS,
} from '../../registry/index.js';
import { ADMINS, READERS } from '../auth.js';
import type { AreaOptions } from '../context.js';
import { COMMON_ERRORS, errorBodySchema } from '../errors.js';

const instrumentSchema = z.object({
  id: z.string(),
  kind: z.enum(INSTRUMENT_KINDS),
  category: z.string(),
  region: z.string(),
  owner: z.string(),
  site: z.string(),
  status: z.enum(INSTRUMENT_STATUSES),
  registered: z.string(),
  scrapped: z.string().nullable(),
  periodMonths: z.number().int().nullable().describe("null: the kind's default period"),
});

const lastVerificationSchema = z
  .object({ date: z.string(), verdict: z.enum(VERDICTS), record: z.string().nullable() })
  .nullable();

const historyEntrySchema = z.object({
  instrument: z.string(),
  date: z.string(),
  verdict: z.enum(VERDICTS),
  record: z.string().nullable(),
  source: z.enum(['import', 'gateway']),
  standardsValid: z.boolean().nullable(),
});

const importSummarySchema = z.object({
  file: z.string(),
  target: z.enum(['instruments', 'history']),
  rows: z.number().int(),
  inserted: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
});

const importQuery = z.object({
  file: z
    .string()
    .min(1)
    .max(200)
    .default('upload.csv')
    .describe('the file name, for messages and the audit trail'),
});

function csvBody(body: unknown): string {
  if (typeof body !== 'string' || body.trim() === '') {
    throw new MetrogateError(
      'MG_ERR_INPUT_INVALID',
      'body: send the CSV file as the body, Content-Type: text/csv',
      {
        path: 'body',
      },
    );
  }
  return body;
}

export const registryPlugin: FastifyPluginAsyncZod<AreaOptions> = async (app, { api }) => {
  app.get(
    '/registry',
    {
      config: { access: READERS },
      schema: {
        tags: ['registry'],
        summary: 'Instruments of the register, in id order, each with its last verification',
        querystring: z.object({
          region: z.string().min(1).max(100).optional(),
          kind: z.enum(INSTRUMENT_KINDS).optional(),
          status: z.enum(INSTRUMENT_STATUSES).optional(),
          limit: z.coerce.number().int().min(1).max(100_000).default(1000),
        }),
        response: {
          200: z.object({
            total: z.number().int().describe('instruments in the register (all filters aside)'),
            instruments: z.array(instrumentSchema.extend({ lastVerification: lastVerificationSchema })),
          }),
          ...COMMON_ERRORS,
        },
      },
    },
    async (request) => {
      const { region, kind, status, limit } = request.query;
      return {
        total: countInstruments(api.store),
        instruments: listInstruments(api.store, {
          ...(region !== undefined ? { region } : {}),
          ...(kind !== undefined ? { kind } : {}),
          ...(status !== undefined ? { status } : {}),
          limit,
        }),
      };
    },
  );

  app.get(
    '/registry/export',
    {
      config: { access: READERS, queryToken: true },
      schema: {
        tags: ['registry'],
        summary: 'The register (or the history) as CSV in the import format',
        produces: ['text/csv'],
        querystring: z.object({
          what: z.enum(['instruments', 'history']).default('instruments'),
          access_token: z.string().max(200).optional(),
        }),
      },
    },
    async (request, reply) => {
      const parts: string[] = [];
      exportCsv(api.store, request.query.what, (text) => parts.push(text));
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${request.query.what}.csv"`)
        .send(parts.join(''));
    },
  );

  app.get(
    '/registry/:id',
    {
      config: { access: READERS },
      schema: {
        tags: ['registry'],
        summary: 'One instrument with its verification history (oldest first)',
        params: z.object({ id: z.string().min(1).max(200) }),
        response: {
          200: z.object({ instrument: instrumentSchema, history: z.array(historyEntrySchema) }),
          ...COMMON_ERRORS,
        },
      },
    },
    async (request) => {
      const instrument = getInstrument(api.store, request.params.id);
      if (!instrument) {
        throw new MetrogateError('MG_ERR_NOT_FOUND', `no instrument ${request.params.id} in the register`, {
          instrument: request.params.id,
        });
      }
      return { instrument, history: historyOf(api.store, instrument.id) };
    },
  );

  const importRoute = (target: 'instruments' | 'history') => ({
    config: { access: ADMINS },
    bodyLimit: api.options.importBodyLimit,
    schema: {
      tags: ['registry'],
      summary:
        target === 'instruments'
          ? 'Import the register from CSV (upsert; all or nothing)'
          : 'Import verification history from CSV (instrument, date, verdict, record)',
      consumes: ['text/csv'],
      querystring: importQuery,
      response: { 200: importSummarySchema, ...COMMON_ERRORS, 413: errorBodySchema, 415: errorBodySchema },
    },
  });

  app.post('/registry/import', importRoute('instruments'), async (request) =>
    importInstruments(api.store, [csvBody(request.body)], {
      file: request.query.file,
      actor: request.principal?.tokenId ?? 'system',
    }),
  );

  app.post('/registry/history/import', importRoute('history'), async (request) =>
    importHistory(api.store, [csvBody(request.body)], {
      file: request.query.file,
      actor: request.principal?.tokenId ?? 'system',
    }),
  );
};
