/**
 * Verification sessions (sessions/session.ts): start one for a device, an instrument, a rule set
 * and a stage; capture each step (the gateway takes the stable reading from the scale); enter a
 * rounding load or a step's values; complete to get the evaluated result and the stored record.
 * Every call answers with the session as it then stands, its `prompt` saying what comes next.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MetrogateError } from '../../../drivers/errors.js';
import { INSTRUMENT_KINDS, RULE_SET_IDS, STAGES } from '../../verification/types.js';
import { BENCH } from '../auth.js';
import type { AreaOptions } from '../context.js';
import { COMMON_ERRORS, errorBodySchema, inBody } from '../errors.js';
import {
  asWire,
  decimalInput,
  evaluationResultSchema,
  storedRecordSchema,
  testResultSchema,
} from '../schemas.js';
import { SESSION_STATES } from '../sessions/session.js';

const localized = z.object({ en: z.string(), zh: z.string() });
const fieldSchema = z.object({ name: z.string(), unit: z.string(), description: z.string() });

export const sessionSchema = z.object({
  id: z.string(),
  kind: z.string(),
  device: z.string().optional(),
  ruleSet: z.string(),
  stage: z.string(),
  instrument: z.record(z.string(), z.unknown()),
  operator: z.string(),
  standards: z.array(z.string()),
  rounding: z.boolean().optional(),
  unit: z.string().optional(),
  state: z.enum(SESSION_STATES),
  step: z.number().int().describe('index of the current step'),
  totalSteps: z.number().int(),
  prompt: z
    .object({
      action: z.enum(['place-load', 'rounding-load', 'extra-load', 'values']),
      step: z.number().int(),
      instruction: localized,
      load: z.string().optional(),
      position: z.string().optional(),
      extraLoad: z.string().optional(),
      indication: z.string().optional(),
      roundingWeight: z.string().optional(),
      fields: z.array(fieldSchema).optional(),
      retry: z.object({ code: z.string(), message: z.string() }).optional(),
    })
    .optional()
    .describe(
      'what the technician does next: place-load/extra-load → POST capture; rounding-load/values → POST reference',
    ),
  steps: z.array(
    z.object({
      index: z.number().int(),
      id: z.string(),
      kind: z.string(),
      instruction: localized,
      load: z.string().optional(),
      position: z.string().optional(),
      direction: z.string().optional(),
      extraLoad: z.string().optional(),
      fields: z.array(fieldSchema).optional(),
      preset: z.record(z.string(), z.string()).optional(),
      expected: z.record(z.string(), z.string()).optional(),
      captured: z.record(z.string(), z.string()).optional(),
      result: testResultSchema.optional(),
      summary: z.string().optional(),
    }),
  ),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  result: evaluationResultSchema.optional(),
  record: z
    .object({ id: z.string(), hash: z.string(), verdict: z.string(), validUntil: z.string().optional() })
    .optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const startBody = z.object({
  device: z.string().min(1).max(64).optional().describe('a scale device of GET /api/devices (scales only)'),
  kind: z.enum(INSTRUMENT_KINDS).optional(),
  ruleSet: z.enum(RULE_SET_IDS).optional().describe('default by kind: JJG539-2016, JJG443-2023, JJG517-2016'),
  stage: z.enum(STAGES).default('initial'),
  instrument: z
    .looseObject({
      id: z.string().trim().min(1).max(64).describe('register id (器具编号)'),
    })
    .describe('contracts.md §1 instrument (accuracyClass, max, e, d, unit …) plus id and register fields'),
  standards: z.array(z.string().min(1).max(64)).max(50).default([]),
  operator: z.string().trim().min(1).max(100).optional().describe('default: the token name'),
  rounding: z.boolean().default(true).describe('scales: rounding-error elimination (enter ΔL at each step)'),
  variant: z.enum(['bench', 'installed']).optional().describe('taximeters'),
});

const referenceBody = z
  .object({
    value: decimalInput.optional().describe('the rounding load ΔL'),
    values: z.record(z.string().max(64), decimalInput).optional().describe("a step's values by field name"),
  })
  .refine((body) => body.value !== undefined || body.values !== undefined, {
    message: 'give value (a rounding load) or values (a step of entered values)',
  });

const idParams = z.object({ id: z.string().min(1).max(64) });

const SESSION_ERRORS = { ...COMMON_ERRORS, 409: errorBodySchema, 422: errorBodySchema };

export const sessionsPlugin: FastifyPluginAsyncZod<AreaOptions> = async (app, { api }) => {
  const config = { access: BENCH };

  app.get(
    '/sessions',
    {
      config,
      schema: {
        tags: ['sessions'],
        summary: 'Verification sessions, newest first',
        response: { 200: z.object({ sessions: z.array(sessionSchema) }), ...COMMON_ERRORS },
      },
    },
    async () => ({ sessions: api.sessions.list().map((view) => asWire(sessionSchema, view)) }),
  );

  app.post(
    '/sessions',
    {
      config,
      schema: {
        tags: ['sessions'],
        summary: 'Start a verification session; answers when it first waits for the technician',
        body: startBody,
        response: { 201: sessionSchema, ...SESSION_ERRORS },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      if (!principal) throw new MetrogateError('MG_ERR_INTERNAL', 'no principal on an authenticated route');
      const { device, kind, ruleSet, variant, operator, ...rest } = request.body;
      const session = await api.sessions
        .start(
          {
            ...rest,
            ...(device !== undefined ? { device } : {}),
            ...(kind !== undefined ? { kind } : {}),
            ...(ruleSet !== undefined ? { ruleSet } : {}),
            ...(variant !== undefined ? { variant } : {}),
            ...(operator !== undefined ? { operator } : {}),
          },
          principal,
        )
        .catch((error: unknown) => {
          throw inBody(error);
        });
      return reply.code(201).send(asWire(sessionSchema, session));
    },
  );

  app.get(
    '/sessions/:id',
    {
      config,
      schema: {
        tags: ['sessions'],
        summary: 'A session as it stands',
        params: idParams,
        response: { 200: sessionSchema, ...COMMON_ERRORS },
      },
    },
    async (request) => asWire(sessionSchema, api.sessions.require(request.params.id).view()),
  );

  app.post(
    '/sessions/:id/capture',
    {
      config,
      schema: {
        tags: ['sessions'],
        summary: 'The load is in place (or the extra load added): take the stable reading',
        params: idParams,
        response: { 200: sessionSchema, ...SESSION_ERRORS },
      },
    },
    async (request) => asWire(sessionSchema, await api.sessions.require(request.params.id).capture()),
  );

  app.post(
    '/sessions/:id/reference',
    {
      config,
      schema: {
        tags: ['sessions'],
        summary: "Enter the rounding load ΔL, or a step's values (dispensers, taximeters)",
        params: idParams,
        body: referenceBody,
        response: { 200: sessionSchema, ...SESSION_ERRORS },
      },
    },
    async (request) => {
      const { value, values } = request.body;
      const view = await api.sessions
        .require(request.params.id)
        .enter({ ...(value !== undefined ? { value } : {}), ...(values !== undefined ? { values } : {}) });
      return asWire(sessionSchema, view);
    },
  );

  app.post(
    '/sessions/:id/complete',
    {
      config,
      schema: {
        tags: ['sessions'],
        summary: 'Evaluate every captured step and store the record',
        params: idParams,
        response: {
          200: z.object({
            session: sessionSchema,
            result: evaluationResultSchema,
            record: storedRecordSchema,
          }),
          ...SESSION_ERRORS,
        },
      },
    },
    async (request) => {
      const { session, record } = api.sessions.require(request.params.id).complete();
      return {
        session: asWire(sessionSchema, session),
        result: asWire(evaluationResultSchema, record.result),
        record: asWire(storedRecordSchema, record),
      };
    },
  );

  app.delete(
    '/sessions/:id',
    {
      config,
      schema: {
        tags: ['sessions'],
        summary: 'Cancel a session (nothing is stored)',
        params: idParams,
        response: { 200: sessionSchema, ...COMMON_ERRORS },
      },
    },
    async (request) => asWire(sessionSchema, api.sessions.require(request.params.id).cancel()),
  );
};
