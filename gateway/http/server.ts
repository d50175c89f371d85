/**
 * Listening: the only place the API opens a port (app.ts builds it, tests inject into it). Used by
 * `metrogate start` (the API over the running gateway), `metrogate serve` (over a data directory
 * alone) and `metrogate demo`.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../drivers/logger.js';
import { type HttpConfig, httpConfigSchema } from '../config/gateway-config.js';
import { overridesOf } from '../config/verification-config.js';
import type { GatewayService } from '../runtime/service.js';
import { buildApp } from './app.js';
import type { HttpDeps, HttpOptions } from './deps.js';
import { gatewayViewOf } from './service-view.js';

export interface HttpServer {
  app: FastifyInstance;
  /** `http://host:port` as bound (the real port when 0 was asked for). */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The API options a config section gives (the rest keep their defaults). */
export function httpOptionsOf(config: HttpConfig): Partial<HttpOptions> {
  return {
    bodyLimit: config.bodyLimitBytes,
    rateLimit: config.rateLimit,
    corsOrigins: config.corsOrigins,
    publicMetrics: config.publicMetrics,
  };
}

export async function startHttpServer(
  deps: HttpDeps,
  listen: { port: number; host: string },
): Promise<HttpServer> {
  const app = await buildApp(deps);
  try {
    await app.listen({ port: listen.port, host: listen.host });
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return {
    app,
    url: `http://${host}:${port}`,
    port,
    close: () => app.close(),
  };
}

/**
 * The API over a running gateway service: its store, devices, live readings and counters, with the
 * config's coverage periods and targets, rule overrides and `http` section (or `override`).
 */
export function serveGateway(
  service: GatewayService,
  logger: Logger,
  override: Partial<HttpConfig> = {},
  extra: Partial<HttpDeps> = {},
): Promise<HttpServer> {
  const { config } = service.loaded;
  const http = httpConfigSchema.parse({ ...config.http, ...override });
  return startHttpServer(
    {
      store: service.store,
      logger: logger.child({ part: 'http' }),
      gateway: gatewayViewOf(service),
      coverage: config.coverage,
      overrides: overridesOf(config.verification),
      options: httpOptionsOf(http),
      ...extra,
    },
    { port: http.port, host: http.host },
  );
}
