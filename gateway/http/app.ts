/**
 * The HTTP API as a fastify app (ARCHITECTURE.md "Interfaces"). `buildApp(deps)` builds it and
 * never listens (tests call `app.inject()`); server.ts listens. One encapsulated plugin per area in
 * plugins/, each declaring its routes' zod schemas (the OpenAPI document at /docs is generated from
 * them) and who may call them (auth.ts). Errors of every kind leave as one JSON shape (errors.ts).
 */
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { Histogram, Registry } from 'prom-client';
import { VERSION } from '../cli/version.js';
import { DEFAULT_COVERAGE_CONFIG } from '../config/gateway-config.js';
import { getInstrument } from '../registry/index.js';
import { TokenStore } from '../store/tokens.js';
import { COVERAGE_READERS, installAuth, loggableUrl, withAccess } from './auth.js';
import type { ApiContext } from './context.js';
import { DEFAULT_HTTP_OPTIONS, type HttpDeps, type HttpOptions } from './deps.js';
import { ApiError, installErrorHandling } from './errors.js';
import { coveragePlugin } from './plugins/coverage.js';
import { devicesPlugin } from './plugins/devices.js';
import { evaluatePlugin } from './plugins/evaluate.js';
import { healthPlugin } from './plugins/health.js';
import { metricsPlugin } from './plugins/metrics.js';
import { recordsPlugin } from './plugins/records.js';
import { registryPlugin } from './plugins/registry.js';
import { sessionsPlugin } from './plugins/sessions.js';
import { standardsPlugin } from './plugins/standards.js';
import { webPlugin } from './plugins/web.js';
import { SessionManager } from './sessions/manager.js';

export const API_PREFIX = '/api';
export const DOCS_PREFIX = '/docs';

export async function buildApp(deps: HttpDeps): Promise<FastifyInstance> {
  const options: HttpOptions = { ...DEFAULT_HTTP_OPTIONS, ...deps.options };
  const now = deps.now ?? (() => new Date());
  const coverage = deps.coverage ?? DEFAULT_COVERAGE_CONFIG;
  const overrides = deps.overrides ?? {};
  const tokens = new TokenStore(deps.store, { now });
  const sessions = new SessionManager({
    store: deps.store,
    ...(deps.gateway ? { gateway: deps.gateway } : {}),
    overrides,
    now,
    stableTimeoutMs: options.stableTimeoutMs,
    maxSessions: options.maxSessions,
    idleMs: options.sessionIdleMs,
    periodMonths: (id, kind) => getInstrument(deps.store, id)?.periodMonths ?? coverage.periods[kind],
    registerFields: (id) => {
      const known = getInstrument(deps.store, id);
      if (!known) return undefined;
      const fields: Record<string, string> = {};
      for (const field of ['owner', 'site', 'region', 'category'] as const) {
        if (known[field]) fields[field] = known[field];
      }
      return { kind: known.kind, fields };
    },
    ...(deps.scaleAssist ? { scaleAssist: deps.scaleAssist } : {}),
  });
  const api: ApiContext = {
    store: deps.store,
    logger: deps.logger,
    gateway: deps.gateway,
    coverage,
    overrides,
    institute: deps.institute,
    options,
    now,
    tokens,
    sessions,
    metrics: new Registry(),
    liveStreams: new Set(),
  };

  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit,
    // Query strings such as ?device=a&device=b arrive as arrays; nothing else is coerced.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    forceCloseConnections: true,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app, deps.logger);
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_request, body, done) => {
    done(null, body);
  });
  // Action routes (capture, complete) take no body, and clients often still say application/json:
  // an empty JSON body is no body. Anything else goes to fastify's own parser (prototype-poisoning safe).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text === '') done(null, undefined);
    else parseJson(request, text, done);
  });

  const requestSeconds = new Histogram({
    name: 'metrogate_http_request_duration_seconds',
    help: 'Time to answer an API request, by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1, 5],
    registers: [api.metrics],
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unrouted';
    requestSeconds.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    deps.logger.debug(
      {
        method: request.method,
        url: loggableUrl(request.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        ...(request.principal ? { token: request.principal.tokenId } : {}),
      },
      'api request',
    );
  });

  await app.register(helmet, {
    // The docs page loads its own script and style; every other answer is JSON, a PDF or CSV.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        scriptSrc: ["'self'"],
        connectSrc: ["'self'"],
      },
    },
  });
  if (options.corsOrigins.length > 0) {
    await app.register(cors, { origin: [...options.corsOrigins], credentials: false });
  }
  if (options.rateLimit) {
    const limit = options.rateLimit;
    await app.register(rateLimit, {
      max: limit.max,
      timeWindow: limit.timeWindowMs,
      errorResponseBuilder: (_request, context) =>
        new ApiError(
          429,
          'MG_ERR_RATE_LIMITED',
          `more than ${context.max} requests in ${context.after}; retry in ${Math.ceil(context.ttl / 1000)} s`,
          { retryAfterSeconds: Math.ceil(context.ttl / 1000) },
        ),
    });
  }
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'metrogate HTTP API',
        version: VERSION,
        description:
          'Devices and live readings, verification sessions, evaluation, the register of instruments, ' +
          'coverage indicators, verification records and certificates. Every route under /api except ' +
          '/api/health needs `Authorization: Bearer <token>` (`metrogate token create --role …`). ' +
          'Errors: `{ "error": { "code": "MG_ERR_…", "message": "…", "details": {…} } }`.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX, staticCSP: true });

  installAuth(app, tokens, deps.logger);

  await app.register(healthPlugin, { prefix: API_PREFIX, api });
  await app.register(metricsPlugin, { api });
  await app.register(devicesPlugin, { prefix: API_PREFIX, api });
  await app.register(sessionsPlugin, { prefix: API_PREFIX, api });
  await app.register(evaluatePlugin, { prefix: API_PREFIX, api });
  await app.register(registryPlugin, { prefix: API_PREFIX, api });
  // Who reads coverage is decided where the area is mounted, whatever its routes declare:
  // regulators and admins (a bench technician has no use for a city's indicators).
  await app.register(withAccess(COVERAGE_READERS, coveragePlugin), { prefix: API_PREFIX, api });
  await app.register(recordsPlugin, { prefix: API_PREFIX, api });
  await app.register(standardsPlugin, { prefix: API_PREFIX, api });
  // The web dashboards (plugins/web.ts) are registered here, at `/`, after the API.
  await app.register(webPlugin);

  // Open SSE streams would keep close() waiting for their clients.
  app.addHook('preClose', async () => {
    for (const close of [...api.liveStreams]) close();
  });
  app.addHook('onClose', async () => {
    sessions.close();
  });
  return app;
}
