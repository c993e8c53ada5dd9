import {
  FlywheelError,
  ForbiddenError,
  IdempotencyInProgressError,
  IdempotencyKeyReusedError,
  InfrastructureError,
  InvalidTransitionError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
  VersionConflictError,
} from '@flywheel/core';
import type { ErrorResponse, FieldIssue } from '@flywheel/schemas';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

/** Fastify rejects bodies above this before reading them whole. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

interface Mapped {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

/** Named errors and the status each means; anything not listed is a 500. */
const STATUS_OF: readonly (readonly [abstract new (...args: never[]) => FlywheelError, number])[] = [
  [ValidationError, 400],
  [UnauthorizedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [InvalidTransitionError, 409],
  [IdempotencyInProgressError, 409],
  [IdempotencyKeyReusedError, 422],
];

/** Fastify's own request errors that are the client's to fix. */
const FASTIFY_ERRORS: Readonly<Record<string, Omit<Mapped, 'details'>>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'payload_too_large',
    message: `the body is larger than ${BODY_LIMIT_BYTES} bytes (1 MiB); send less`,
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    message: 'send the body as JSON with Content-Type: application/json',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'invalid_body',
    message: 'Content-Type is application/json but the body is empty: send a JSON object or drop the header',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    code: 'invalid_json',
    message: 'the body is not valid JSON',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'invalid_body',
    message: 'the body length does not match Content-Length',
  },
  FST_ERR_BAD_URL: { status: 400, code: 'invalid_url', message: 'the URL is not validly percent-encoded' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 400, code: 'invalid_url', message: 'a path parameter is too long' },
};

const SECTION: Readonly<Record<string, string>> = {
  body: 'body',
  querystring: 'query',
  params: 'params',
  headers: 'headers',
};

/** What an unknown field's name may look like to be repeated in the answer (our fields are identifiers). */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,31}$/;

/** Zod issues as `{ path, message }`, one per bad field; an unknown key becomes its own issue. */
function fieldIssues(
  section: string,
  validation: readonly {
    instancePath: string;
    message?: string;
    keyword: string;
    params: Record<string, unknown>;
  }[],
): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const v of validation) {
    const base = [section, ...v.instancePath.split('/').filter(Boolean)].join('.');
    if (v.keyword === 'unrecognized_keys' && Array.isArray(v.params.keys)) {
      for (const key of v.params.keys) {
        // A name that could not be a field (a pasted key, say) is not echoed back or logged.
        out.push(
          FIELD_NAME.test(String(key))
            ? { path: `${base}.${String(key)}`, message: 'unknown field; remove it' }
            : { path: base, message: 'a field whose name is not an identifier; remove it' },
        );
      }
    } else {
      out.push({ path: base, message: v.message ?? 'invalid' });
    }
  }
  return out;
}

/** Maps any thrown value to the answer a client gets; `null` means an unexpected (500) error. */
export function mapError(err: unknown): Mapped | null {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const section = SECTION[(err as { validationContext?: string }).validationContext ?? 'body'] ?? 'body';
    const issues = fieldIssues(section, err.validation);
    return {
      status: 400,
      code: 'validation_failed',
      message: `invalid request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      details: { issues },
    };
  }
  if (err instanceof VersionConflictError) {
    return {
      status: 409,
      code: err.code,
      message: 'the resource was changed by other requests while this one ran; retry',
      details: { expectedVersion: err.expectedVersion },
    };
  }
  if (err instanceof InfrastructureError) {
    return {
      status: 503,
      code: err.code,
      message: 'a backing service (NATS or PostgreSQL) is unavailable; retry shortly',
    };
  }
  if (err instanceof FlywheelError) {
    const found = STATUS_OF.find(([type]) => err instanceof type);
    if (!found) return null;
    return { status: found[1], code: err.code, message: err.message, details: err.details };
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code in FASTIFY_ERRORS) return FASTIFY_ERRORS[code]!;
  const status = (err as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, code: 'bad_request', message: (err as Error).message };
  }
  return null;
}

function body(request: FastifyRequest, m: Omit<Mapped, 'status'>): ErrorResponse {
  return {
    error: { code: m.code, message: m.message, ...(m.details ? { details: m.details } : {}) },
    requestId: request.id,
  };
}

/** Sends the one error shape for `err`; unexpected errors are logged and answered without internals. */
export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const mapped = mapError(err);
  if (mapped === null || mapped.status >= 500) {
    request.log.error({ err }, 'request failed');
  } else {
    // Client errors can quote the client's input; the code and the request id are enough here.
    request.log.info({ code: mapped.code, status: mapped.status }, 'request rejected');
  }
  const m = mapped ?? {
    status: 500,
    code: 'internal_error',
    message: `an unexpected error occurred; quote request id ${request.id} to the operators`,
  };
  // Set here too: errors raised before routing (bad URLs) skip the hook that usually sets it.
  return reply.code(m.status).header('x-request-id', request.id).send(body(request, m));
}

/**
 * The one error handler: named errors to status codes, the `{ error, requestId }` shape
 * for every failure, including unknown routes and malformed URLs.
 */
export const errorHandlerPlugin = fp(
  async (app) => {
    app.setErrorHandler((err, request, reply) => sendError(err, request, reply));
    app.setNotFoundHandler((request, reply) =>
      sendError(new NotFoundError(`no route ${request.method} ${request.url.split('?')[0]}`), request, reply),
    );
  },
  { name: 'error-handler' },
);
