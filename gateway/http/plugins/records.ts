/**
 * Verification records: list (newest first, by instrument), show one (refused if its seal no
 * longer matches), check both hash chains as `metrogate records verify` does, and the certificate
 * (pass) or notice of rejection (fail) as a PDF carrying the record hash. Regulators read all of it.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CERTIFICATE_LANGUAGES, renderCertificate } from '../../certificates/index.js';
import { READERS } from '../auth.js';
import type { AreaOptions } from '../context.js';
import { COMMON_ERRORS } from '../errors.js';
import { asWire, storedRecordSchema } from '../schemas.js';

const recordSummarySchema = z.object({
  id: z.string(),
  sequence: z.number().int(),
  instrument: z.looseObject({ id: z.string(), kind: z.string() }),
  ruleSet: z.string(),
  stage: z.string(),
  verdict: z.enum(['pass', 'fail']),
  performedAt: z.string(),
  validUntil: z.string().optional(),
  operator: z.string(),
  hash: z.string(),
});

const chainReportSchema = z.object({
  chain: z.string(),
  intact: z.boolean(),
  count: z.number().int(),
  head: z.object({ id: z.string(), sequence: z.number().int(), hash: z.string() }).optional(),
  problem: z
    .object({ kind: z.string(), recordId: z.string(), sequence: z.number().int(), message: z.string() })
    .optional(),
});

const idParams = z.object({ id: z.string().min(1).max(64) });

export const recordsPlugin: FastifyPluginAsyncZod<AreaOptions> = async (app, { api }) => {
  app.get(
    '/records',
    {
      config: { access: READERS },
      schema: {
        tags: ['records'],
        summary: 'Verification records, newest first',
        querystring: z.object({
          instrument: z.string().min(1).max(64).optional(),
          verdict: z.enum(['pass', 'fail']).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: {
          200: z.object({ total: z.number().int(), records: z.array(recordSummarySchema) }),
          ...COMMON_ERRORS,
        },
      },
    },
    async (request) => {
      const { instrument, verdict, limit } = request.query;
      // A verdict filter reads further back than the limit, so that N matching records come back.
      const found = api.store.records
        .list({
          ...(instrument !== undefined ? { instrumentId: instrument } : {}),
          ...(verdict === undefined ? { limit } : {}),
        })
        .filter((record) => verdict === undefined || record.result.verdict === verdict)
        .slice(0, limit);
      return {
        total: api.store.records.count(),
        records: found.map((record) => ({
          id: record.id,
          sequence: record.sequence,
          instrument: { ...record.instrument },
          ruleSet: record.result.ruleSet,
          stage: record.result.stage,
          verdict: record.result.verdict,
          performedAt: record.performedAt,
          ...(record.validUntil ? { validUntil: record.validUntil } : {}),
          operator: record.operator,
          hash: record.hash,
        })),
      };
    },
  );

  app.get(
    '/records/chain',
    {
      config: { access: READERS },
      schema: {
        tags: ['records'],
        summary: 'Check the hash chains of the records and the audit trail (metrogate records verify)',
        response: {
          200: z.object({ intact: z.boolean(), records: chainReportSchema, audit: chainReportSchema }),
          ...COMMON_ERRORS,
        },
      },
    },
    async () => api.store.verify(),
  );

  app.get(
    '/records/:id',
    {
      config: { access: READERS },
      schema: {
        tags: ['records'],
        summary: 'One record in full (refused with MG_ERR_RECORD_CHAIN_BROKEN if it was altered)',
        params: idParams,
        response: { 200: storedRecordSchema, ...COMMON_ERRORS },
      },
    },
    async (request) => asWire(storedRecordSchema, api.store.records.require(request.params.id)),
  );

  app.get(
    '/records/:id/certificate',
    {
      config: { access: READERS, queryToken: true },
      schema: {
        tags: ['records'],
        summary: 'The certificate (pass) or notice of rejection (fail) as PDF',
        description: 'A download link cannot send a header: pass ?access_token= instead.',
        produces: ['application/pdf'],
        params: idParams,
        querystring: z.object({
          lang: z.enum(CERTIFICATE_LANGUAGES).default('both'),
          access_token: z.string().max(200).optional(),
        }),
      },
    },
    async (request, reply) => {
      const record = api.store.records.require(request.params.id);
      const pdf = await renderCertificate(record, {
        language: request.query.lang,
        ...(api.institute ? { institute: api.institute } : {}),
      });
      const kind = record.result.verdict === 'pass' ? 'certificate' : 'rejection';
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="${record.id}-${kind}.pdf"`)
        .header('cache-control', 'private, max-age=3600')
        .send(pdf);
    },
  );
};
