/**
 * Listening: the only place the API opens a port (app.ts builds it, tests inject into it). Used by
 * `metrogate start` (the API over the running gateway), `metrogate serve` (over a data directory
 * alone) and `metrogate demo`.
 */
import type { FastifyInstance } from 'fastify';
import { MetrogateError } from '../../drivers/errors.js';
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

/** A failed listen as the user can act on it: which address, and what to do instead. */
function listenError(error: unknown, listen: { port: number; host: string }): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${listen.host}:${listen.port}`;
  if (code === 'EADDRINUSE') {
    return new MetrogateError(
      'MG_ERR_PORT_BUSY',
      `cannot serve HTTP on ${where}: the address is in use (another metrogate or another program); choose another port (--http-port, http.port; 0 picks a free one)`,
      { path: where },
      { cause: error },
    );
  }
  if (code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    return new MetrogateError(
      code === 'EACCES' ? 'MG_ERR_PORT_ACCESS' : 'MG_ERR_PORT_OPEN_FAILED',
      `cannot serve HTTP on ${where}: ${code === 'EACCES' ? 'not allowed (ports below 1024 need privileges)' : 'no such address on this machine'}`,
      { path: where },
      { cause: error },
    );
  }
  return error;
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
    throw listenError(error, listen);
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
