/**
 * One error shape for every failure of the API: `{ error: { code: 'MG_ERR_…', message, details? } }`
 * with the codes of drivers/errors.ts, so that a script handles the CLI's, the API's and MQTT's
 * errors alike. Fastify's own errors (bad JSON, body too large, schema violations) are translated
 * here; anything unexpected is MG_ERR_INTERNAL with no internals in the message (the log has them).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type ErrorCode, type ErrorDetails, isMetrogateError, MetrogateError } from '../../drivers/errors.js';
import type { Logger } from '../../drivers/logger.js';

/** A MetrogateError with the HTTP status it deserves when the code alone does not say it. */
export class ApiError extends MetrogateError {
  constructor(
    readonly statusCode: number,
    code: ErrorCode,
    message: string,
    details: ErrorDetails = {},
  ) {
    super(code, message, details);
  }
}

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().describe('an MG_ERR_* code (README.md "Error codes")'),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .describe('Every error of the API');

export type ErrorBody = z.infer<typeof errorBodySchema>;

/** The error responses every /api route may give, for the OpenAPI document. */
export const COMMON_ERRORS = {
  400: errorBodySchema,
  401: errorBodySchema,
  403: errorBodySchema,
  404: errorBodySchema,
  429: errorBodySchema,
} as const;

const STATUS_OF_CODE: Partial<Record<ErrorCode, number>> = {
  MG_ERR_INPUT_INVALID: 400,
  MG_ERR_CONFIG_INVALID: 400,
  MG_ERR_DRIVER_UNKNOWN: 400,
  MG_ERR_UNAUTHORIZED: 401,
  MG_ERR_FORBIDDEN: 403,
  MG_ERR_NOT_FOUND: 404,
  MG_ERR_ABORTED: 409,
  MG_ERR_BODY_TOO_LARGE: 413,
  // The request was understood, but a standard it names cannot be used for it.
  MG_ERR_STANDARD_INVALID: 422,
  MG_ERR_RATE_LIMITED: 429,
  MG_ERR_INTERNAL: 500,
  MG_ERR_STORE_FAILED: 500,
  MG_ERR_RECORD_CHAIN_BROKEN: 500,
  MG_ERR_NOT_CONNECTED: 503,
  MG_ERR_TIMEOUT: 504,
};

/** The HTTP status of an error: its own for an ApiError, else by code; device trouble is 502. */
export function statusOf(error: MetrogateError): number {
  if (error instanceof ApiError) return error.statusCode;
  return STATUS_OF_CODE[error.code] ?? 502;
}

export function errorBody(code: string, message: string, details?: Record<string, unknown>): ErrorBody {
  return {
    error: { code, message, ...(details && Object.keys(details).length > 0 ? { details } : {}) },
  };
}

/** `/a/b/0/c` (a schema violation's instancePath) in the `a.b[0].c` form the CLI uses. */
export function pathOf(context: string | undefined, instancePath: string): string {
  const base = context === 'querystring' ? 'query' : (context ?? '');
  let out = base;
  for (const part of instancePath.split('/').filter(Boolean)) {
    const segment = part.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out || '(root)';
}

function translate(error: FastifyError & { validationContext?: string }): MetrogateError | undefined {
  if (isMetrogateError(error)) return error;
  if (hasZodFastifySchemaValidationErrors(error) || Array.isArray(error.validation)) {
    const problems = (error.validation ?? []).map((issue) => ({
      path: pathOf(error.validationContext, issue.instancePath),
      message: issue.message ?? 'invalid',
    }));
    const first = problems[0] ?? { path: '(root)', message: error.message };
    return new ApiError(400, 'MG_ERR_INPUT_INVALID', `${first.path}: ${first.message}`, {
      path: first.path,
      problems,
    });
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, 'MG_ERR_INPUT_INVALID', `body: ${error.message}`, { path: 'body' });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, 'MG_ERR_BODY_TOO_LARGE', 'body: the request body is larger than the limit', {
        path: 'body',
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, 'MG_ERR_INPUT_INVALID', 'body: unsupported content type', {
        path: 'headers.content-type',
      });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError(400, 'MG_ERR_INPUT_INVALID', 'headers.content-length: does not match the body', {
        path: 'headers.content-length',
      });
    default:
  }
  // Fastify's and its plugins' client errors (4xx) keep their status, with our code.
  const status = error.statusCode ?? 500;
  if (status === 429) return new ApiError(429, 'MG_ERR_RATE_LIMITED', error.message);
  if (status >= 400 && status < 500) return new ApiError(status, 'MG_ERR_INPUT_INVALID', error.message);
  return undefined;
}

export function installErrorHandling(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const known = translate(error);
    if (!known) {
      logger.error(
        { err: error, method: request.method, route: request.routeOptions.url },
        'unexpected error in an API route',
      );
      return reply
        .code(500)
        .send(errorBody('MG_ERR_INTERNAL', 'an unexpected error occurred; the gateway log has the details'));
    }
    const status = statusOf(known);
    if (status >= 500)
      logger.warn({ code: known.code, err: known.message, route: request.routeOptions.url }, 'API error');
    return reply.code(status).send(errorBody(known.code, known.message, known.details));
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .send(errorBody('MG_ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
  });
}

/**
 * An input error of the verification code names a path inside the record (`tests[2].load`); in
 * the API that is inside the request body (`body.tests[2].load`). Other errors pass unchanged.
 */
export function inBody(error: unknown): unknown {
  if (
    error instanceof ApiError ||
    !isMetrogateError(error, 'MG_ERR_INPUT_INVALID') ||
    typeof error.details.path !== 'string'
  ) {
    return error;
  }
  const path = `body.${error.details.path}`;
  const message = error.message.startsWith(`${error.details.path}:`)
    ? `body.${error.message}`
    : `body: ${error.message}`;
  return new ApiError(400, 'MG_ERR_INPUT_INVALID', message, { ...error.details, path });
}
