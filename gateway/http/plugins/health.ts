/**
 * `GET /api/health`: is the gateway up, and is its database answering. Public (load balancers and
 * the demo's readiness check call it without a token), so it tells nothing an outsider should not
 * know: no device names, no paths.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { VERSION } from '../../cli/version.js';
import type { AreaOptions } from '../context.js';

const healthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  time: z.string(),
  uptimeSeconds: z.number(),
  database: z.enum(['ok', 'failed']),
  devices: z
    .object({ total: z.number().int(), online: z.number().int() })
    .optional()
    .describe('present when the gateway runs devices'),
});

export const healthPlugin: FastifyPluginAsyncZod<AreaOptions> = async (app, { api }) => {
  const startedAt = performance.now();
  app.get(
    '/health',
    {
      config: { access: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Liveness and database check (no token)',
        security: [],
        response: { 200: healthSchema, 503: healthSchema },
      },
    },
    async (_request, reply) => {
      let database: 'ok' | 'failed' = 'ok';
      try {
        api.store.db.prepare('SELECT 1').get();
      } catch {
        database = 'failed';
      }
      const devices = api.gateway?.devices();
      const body = {
        status: database === 'ok' ? ('ok' as const) : ('degraded' as const),
        version: VERSION,
        time: api.now().toISOString(),
        uptimeSeconds: Math.round((performance.now() - startedAt) / 1000),
        database,
        ...(devices
          ? { devices: { total: devices.length, online: devices.filter((d) => d.state === 'online').length } }
          : {}),
      };
      return reply.code(database === 'ok' ? 200 : 503).send(body);
    },
  );
};
