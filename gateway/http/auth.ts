/**
 * Bearer tokens and roles. Every route says who may call it in its config (`access`); a route
 * under /api that says nothing is for admins only, so a forgotten declaration fails closed. Routes
 * outside /api (the docs, the web UI's files) are public unless they say otherwise.
 *
 * - `regulator` reads coverage, the register and the records (read-only);
 * - `technician` runs verifications and reads everything a bench needs (the register and the
 *   records included, coverage not);
 * - `admin` does everything (register imports included).
 *
 * Browsers cannot put a header on an EventSource or a plain download link, so routes marked
 * `queryToken` also accept `?access_token=` (RFC 6750 §2.3); the request log never shows it.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Logger } from '../../drivers/logger.js';
import type { ApiToken, TokenRole, TokenStore } from '../store/tokens.js';
import { ApiError } from './errors.js';

export type Access = 'public' | readonly TokenRole[];

export interface Principal {
  tokenId: string;
  name: string;
  role: TokenRole;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (default under /api: admins only). */
    access?: Access;
    /** Also accept the token as `?access_token=` (SSE streams, downloads). */
    queryToken?: boolean;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** Everyone with a token. */
export const READERS: readonly TokenRole[] = ['regulator', 'technician', 'admin'];
/** The bench: verification sessions, devices, evaluation, standards. */
export const BENCH: readonly TokenRole[] = ['technician', 'admin'];
export const ADMINS: readonly TokenRole[] = ['admin'];
/** The coverage indicators (app.ts mounts the coverage area with this rule). */
export const COVERAGE_READERS: readonly TokenRole[] = ['regulator', 'admin'];

const REJECTIONS = {
  malformed: 'the bearer token is not a metrogate token (mgt_…)',
  unknown: 'the bearer token is not known to this gateway',
  revoked: 'the bearer token was revoked',
  expired: 'the bearer token has expired',
} as const;

function presentedToken(request: FastifyRequest, allowQuery: boolean): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      throw new ApiError(401, 'MG_ERR_UNAUTHORIZED', 'the Authorization header must be "Bearer <token>"', {
        path: 'headers.authorization',
      });
    }
    return match[1];
  }
  if (allowQuery) {
    const query = request.query as Record<string, unknown> | undefined;
    const value = query?.access_token;
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

/** The access rule of a request's route: declared, or the default of its URL. */
export function accessOf(request: FastifyRequest): Access {
  const declared = request.routeOptions.config?.access;
  if (declared !== undefined) return declared;
  const url = request.routeOptions.url ?? '';
  return url === '/api' || url.startsWith('/api/') ? ADMINS : 'public';
}

/** The URL as logs show it: any access_token in the query replaced. */
export function loggableUrl(url: string): string {
  return url.replace(/([?&]access_token=)[^&]*/g, '$1…');
}

/** Authenticates and authorises every routed request before its body is read. */
export function installAuth(app: FastifyInstance, tokens: TokenStore, logger: Logger): void {
  app.addHook('onRequest', async (request) => {
    // Unrouted requests (404) carry no config: the not-found handler answers them.
    if (request.is404) return;
    const access = accessOf(request);
    if (access === 'public') return;
    const presented = presentedToken(request, request.routeOptions.config?.queryToken === true);
    if (presented === undefined) {
      throw new ApiError(
        401,
        'MG_ERR_UNAUTHORIZED',
        'this route needs a bearer token (Authorization: Bearer mgt_…)',
        {
          path: 'headers.authorization',
        },
      );
    }
    const check = tokens.check(presented);
    if (!check.ok) {
      logger.info({ reason: check.reason, route: request.routeOptions.url }, 'API request with a bad token');
      throw new ApiError(401, 'MG_ERR_UNAUTHORIZED', REJECTIONS[check.reason], {
        path: 'headers.authorization',
      });
    }
    const token: ApiToken = check.token;
    request.principal = { tokenId: token.id, name: token.name, role: token.role };
    if (!access.includes(token.role)) {
      throw new ApiError(
        403,
        'MG_ERR_FORBIDDEN',
        `a ${token.role} token may not ${request.method} ${request.routeOptions.url}; it needs ${access.join(' or ')}`,
        { role: token.role, allowed: [...access] },
      );
    }
  });
}

/**
 * A plugin whose every route gets `access`, whatever the route itself declares: the rule of an
 * area decided where it is mounted. Its other route config (queryToken …) is kept.
 */
export function withAccess<O extends object>(
  access: Access,
  plugin: FastifyPluginAsync<O>,
): FastifyPluginAsync<O> {
  return async (scope, options) => {
    scope.addHook('onRoute', (route) => {
      route.config = { ...route.config, access };
    });
    // The prefix was applied to this scope already; the inner plugin must not add it twice.
    const { prefix: _applied, ...inner } = options as O & { prefix?: string };
    await scope.register(plugin, inner as O);
  };
}
