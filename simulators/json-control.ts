/**
 * The small JSON-over-HTTP server every simulator's control API runs on (localhost only): routes by
 * method and path (with `:param` segments), bodies validated by zod, errors as
 * `{code, message, path}` with MG_ERR_INPUT_INVALID, a body size limit.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import { type FaultInjector, faultRequestSchema } from './faults.js';

const MAX_BODY = 64 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

/** A reply with another status than 200 (202 accepted, 409 refused …). */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

export interface RouteRequest {
  params: Record<string, string>;
  body(): Promise<unknown>;
  /** Aborts when the client goes away before the reply (a long action should stop then). */
  signal: AbortSignal;
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** e.g. `/pumps/:address/deliver` */
  path: string;
  handle(request: RouteRequest): Promise<unknown> | unknown;
}

/**
 * `POST /fault` (inject a fault, or `disconnect` the simulator for a while) and `DELETE /fault`:
 * the same on every simulator's control API; each answers with the simulator's `state()`.
 */
export function faultRoutes(
  sim: { faults: FaultInjector; disconnect(durationMs: number): Promise<void> },
  state: () => unknown,
): Route[] {
  return [
    {
      method: 'POST',
      path: '/fault',
      handle: async (request) => {
        const body = validate(faultRequestSchema, await request.body());
        if (body.kind === 'disconnect') void sim.disconnect(body.durationMs);
        else sim.faults.inject(body);
        return state();
      },
    },
    {
      method: 'DELETE',
      path: '/fault',
      handle: () => {
        sim.faults.clear();
        return state();
      },
    },
  ];
}

function readJson(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, { code: 'MG_ERR_INPUT_INVALID', message: 'body too large' }));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(
          new HttpError(400, {
            code: 'MG_ERR_INPUT_INVALID',
            message: `malformed JSON: ${(error as Error).message}`,
          }),
        );
      }
    });
    request.on('error', reject);
  });
}

/** Parses a body with a schema; a 400 names the field at fault. */
export function validate<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.map(String).join('.');
  throw new HttpError(400, {
    code: 'MG_ERR_INPUT_INVALID',
    message: `${path || '(body)'}: ${issue.message}`,
    path,
  });
}

export function notFound(message: string): HttpError {
  return new HttpError(404, { code: 'MG_ERR_NOT_FOUND', message });
}

function match(route: Route, method: string, path: string): Record<string, string> | undefined {
  if (route.method !== method) return undefined;
  const want = route.path.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i]!;
    if (segment.startsWith(':')) params[segment.slice(1)] = decodeURIComponent(got[i]!);
    else if (segment !== got[i]) return undefined;
  }
  return params;
}

export interface ControlServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startJsonControlServer(
  routes: readonly Route[],
  port = 0,
  host = '127.0.0.1',
): Promise<ControlServer> {
  const server: Server = createServer((request, response: ServerResponse) => {
    const method = request.method ?? 'GET';
    const path = (request.url ?? '/').split('?')[0]!;
    const gone = new AbortController();
    response.once('close', () => {
      if (!response.writableEnded) gone.abort(new Error('client went away'));
    });
    const run = async (): Promise<[number, unknown]> => {
      for (const route of routes) {
        const params = match(route, method, path);
        if (params) {
          const result = await route.handle({ params, body: () => readJson(request), signal: gone.signal });
          return result instanceof Reply ? [result.status, result.body] : [200, result];
        }
      }
      const known = routes.map((r) => `${r.method} ${r.path}`).join(', ');
      return [404, { code: 'MG_ERR_INPUT_INVALID', message: `no route ${method} ${path}; routes: ${known}` }];
    };
    run()
      .then(([status, body]) => send(response, status, body))
      .catch((error: unknown) => {
        if (error instanceof HttpError) send(response, error.status, error.body);
        else send(response, 500, { code: 'MG_ERR_DEVICE_ERROR', message: String(error) });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.writableEnded || response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}
