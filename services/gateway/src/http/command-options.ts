import { randomUUID } from 'node:crypto';
import { type AppendOptions, derivedId, type IdPrefix, newId } from '@flywheel/core';
import type { FastifyRequest } from 'fastify';
import { principalOf } from '../plugins/auth.plugin';

/**
 * Who, when and under which command id a request's command runs. With an
 * `Idempotency-Key` the command id is derived from it, so JetStream dedupes a retry.
 */
export function commandOptions(request: FastifyRequest, now: Date): AppendOptions {
  return {
    commandId: request.idempotency?.commandId ?? randomUUID(),
    actor: { kind: 'user', id: principalOf(request).user },
    correlationId: request.id,
    now,
  };
}

/** The id of an aggregate this request creates; a retry with the same key gets the same id. */
export function creationId(request: FastifyRequest, prefix: IdPrefix): string {
  return request.idempotency ? derivedId(prefix, request.idempotency.commandId) : newId(prefix);
}
