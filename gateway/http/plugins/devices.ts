/**
 * Devices of the running gateway and their live readings: the fleet list (status, last reading,
 * poll rate, errors), one device with its recent readings (sparklines), and `GET /api/live`, a
 * Server-Sent-Event stream of readings, device states, poll errors and verification-session changes.
 *
 * SSE events (each `data:` is one JSON object):
 *   snapshot      { devices: Device[] }                      once, first
 *   reading       { device, channel, value, unit, quality, ts }
 *   device-state  { device, state, ts, error? }
 *   poll-error    { device, ts, error: { code, message } }
 *   session       Session (as GET /api/sessions/:id returns it)
 * and a `: keep-alive` comment line while idle.
 */
import { PassThrough } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MetrogateError } from '../../../drivers/errors.js';
import type { LiveEvent } from '../../runtime/live-events.js';
import { BENCH } from '../auth.js';
import type { AreaOptions } from '../context.js';
import type { DeviceView } from '../deps.js';
import { ApiError, COMMON_ERRORS } from '../errors.js';
import type { SessionView } from '../sessions/session.js';

export const liveReadingSchema = z.object({
  device: z.string(),
  channel: z.string(),
  value: z.string().describe('exact decimal text with the device resolution; empty on overload'),
  unit: z.string(),
  quality: z.enum(['good', 'unstable', 'overload', 'underload', 'comm-error', 'stale']).or(z.string()),
  ts: z.string(),
});

export const deviceSchema = z.object({
  id: z.string(),
  driver: z.string(),
  kind: z.string(),
  region: z.string().optional(),
  instrumentId: z.string().optional(),
  bus: z.string(),
  pollIntervalMs: z.number(),
  pollRateHz: z.number().describe('configured polls per second'),
  state: z.enum(['online', 'offline', 'demoted']),
  phase: z.string(),
  polls: z.number().int(),
  pollErrors: z.number().int(),
  skipped: z.number().int(),
  consecutiveFailures: z.number().int(),
  lastPollAt: z.string().optional(),
  lastError: z.object({ code: z.string(), message: z.string() }).optional(),
  readings: z.array(liveReadingSchema).describe('the last reading of each channel'),
});

const deviceParams = z.object({ id: z.string().min(1).max(64) });

function present(device: DeviceView): z.infer<typeof deviceSchema> {
  return { ...device, pollRateHz: Math.round((1000 / device.pollIntervalMs) * 1000) / 1000 };
}

export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export const devicesPlugin: FastifyPluginAsyncZod<AreaOptions> = async (app, { api }) => {
  const devices = (): DeviceView[] => api.gateway?.devices() ?? [];
  const find = (id: string): DeviceView => {
    const device = devices().find((d) => d.id === id);
    if (!device) throw new MetrogateError('MG_ERR_NOT_FOUND', `no device ${id}`, { device: id });
    return device;
  };

  app.get(
    '/devices',
    {
      config: { access: BENCH },
      schema: {
        tags: ['devices'],
        summary: 'Every device with its status, last reading, poll rate and errors',
        response: {
          200: z.object({ gateway: z.string().optional(), devices: z.array(deviceSchema) }),
          ...COMMON_ERRORS,
        },
      },
    },
    async () => ({
      ...(api.gateway ? { gateway: api.gateway.id } : {}),
      devices: devices().map(present),
    }),
  );

  app.get(
    '/devices/:id',
    {
      config: { access: BENCH },
      schema: {
        tags: ['devices'],
        summary: 'One device, with its recent readings per channel (oldest first)',
        params: deviceParams,
        response: {
          200: deviceSchema.extend({ history: z.record(z.string(), z.array(liveReadingSchema)) }),
          ...COMMON_ERRORS,
        },
      },
    },
    async (request) => {
      const device = find(request.params.id);
      return { ...present(device), history: api.gateway?.live.historyOf(device.id) ?? {} };
    },
  );

  app.get(
    '/live',
    {
      config: { access: BENCH, queryToken: true },
      schema: {
        tags: ['devices'],
        summary: 'Server-Sent Events: live readings, device states, poll errors and session changes',
        description:
          'text/event-stream. Events: snapshot {devices}, reading, device-state, poll-error, session. ' +
          'Filter with ?device=ID (repeatable). EventSource cannot send headers: pass ?access_token=.',
        produces: ['text/event-stream'],
        querystring: z.object({
          device: z
            .union([z.string().min(1).max(64), z.array(z.string().min(1).max(64)).max(100)])
            .optional(),
          access_token: z.string().max(200).optional(),
        }),
      },
    },
    async (request, reply) => {
      if (api.liveStreams.size >= api.options.maxLiveClients) {
        throw new ApiError(
          429,
          'MG_ERR_RATE_LIMITED',
          `already ${api.liveStreams.size} live streams open; close one first`,
        );
      }
      const filter = request.query.device === undefined ? undefined : new Set([request.query.device].flat());
      const wanted = (device: string | undefined) => !filter || (device !== undefined && filter.has(device));
      const stream = new PassThrough();
      const write = (text: string) => {
        if (!stream.destroyed && !stream.writableEnded) stream.write(text);
      };
      const unsubscribers: (() => void)[] = [];
      const heartbeat = setInterval(() => write(': keep-alive\n\n'), api.options.liveHeartbeatMs);
      heartbeat.unref();
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        api.liveStreams.delete(close);
        clearInterval(heartbeat);
        for (const unsubscribe of unsubscribers) unsubscribe();
        stream.end();
      };
      request.raw.on('close', close);
      reply.raw.on('close', close);
      stream.on('close', close);
      api.liveStreams.add(close);

      write('retry: 3000\n\n');
      write(
        sseFrame('snapshot', {
          devices: devices()
            .filter((d) => wanted(d.id))
            .map(present),
        }),
      );
      if (api.gateway) {
        unsubscribers.push(
          api.gateway.live.subscribe((event: LiveEvent) => {
            if (event.type === 'reading') {
              if (wanted(event.reading.device)) write(sseFrame('reading', event.reading));
            } else if (wanted(event.device)) {
              const { type, ...body } = event;
              write(sseFrame(type, body));
            }
          }),
        );
      }
      unsubscribers.push(
        api.sessions.subscribe((session: SessionView) => {
          if (!filter || wanted(session.device)) write(sseFrame('session', session));
        }),
      );
      return reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no')
        .send(stream);
    },
  );
};
