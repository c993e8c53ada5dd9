import { Writable } from 'node:stream';
import {
  CorruptStreamError,
  createLogger,
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
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandlerPlugin } from './error-handler.plugin';

let app: FastifyInstance;
const logs: string[] = [];

const THROWN: Record<string, () => Error> = {
  validation: () => new ValidationError('bad', { details: { issues: [{ path: 'body.x', message: 'no' }] } }),
  unauthorized: () => new UnauthorizedError('who are you'),
  forbidden: () => new ForbiddenError('not you'),
  missing: () => new NotFoundError('gone'),
  transition: () => new InvalidTransitionError('session is Completed; no'),
  conflict: () => new VersionConflictError('prefix.fw.events.acme.session.s1', 7),
  busy: () => new IdempotencyInProgressError('wait'),
  reused: () => new IdempotencyKeyReusedError('other body'),
  outage: () => new InfrastructureError('append to nats://10.0.0.7 failed: timeout'),
  corrupt: () => new CorruptStreamError('session stream is inconsistent'),
  bug: () => new TypeError("Cannot read properties of undefined (reading 'password=hunter2')"),
};

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  app = Fastify({ loggerInstance: createLogger('test', 'info', sink) as FastifyBaseLogger });
  await app.register(errorHandlerPlugin);
  for (const [name, make] of Object.entries(THROWN)) {
    app.get(`/${name}`, async () => {
      throw make();
    });
  }
});
afterAll(async () => {
  await app.close();
});

describe('error handler', () => {
  it.each([
    ['validation', 400, 'validation_failed'],
    ['unauthorized', 401, 'unauthorized'],
    ['forbidden', 403, 'forbidden'],
    ['missing', 404, 'not_found'],
    ['transition', 409, 'invalid_transition'],
    ['conflict', 409, 'version_conflict'],
    ['busy', 409, 'idempotency_in_progress'],
    ['reused', 422, 'idempotency_key_reused'],
    ['outage', 503, 'infrastructure_unavailable'],
  ])('maps %s to %i %s', async (name, status, code) => {
    const res = await app.inject({ method: 'GET', url: `/${name}` });
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
    expect(res.json().requestId).toBe(res.headers['x-request-id']);
  });

  it('names each bad field of a validation error', async () => {
    const res = await app.inject({ method: 'GET', url: '/validation' });
    expect(res.json().error.details).toEqual({ issues: [{ path: 'body.x', message: 'no' }] });
  });

  it('answers a version conflict without internal subjects, asking for a retry', async () => {
    const body = (await app.inject({ method: 'GET', url: '/conflict' })).json();
    expect(body.error.message).toMatch(/retry/);
    expect(JSON.stringify(body)).not.toContain('fw.events');
  });

  it('answers an outage without hosts or causes', async () => {
    const body = (await app.inject({ method: 'GET', url: '/outage' })).json();
    expect(JSON.stringify(body)).not.toContain('10.0.0.7');
  });

  it('answers unexpected errors 500 without internals, and logs them in full', async () => {
    for (const name of ['bug', 'corrupt']) {
      const res = await app.inject({ method: 'GET', url: `/${name}` });
      expect(res.statusCode).toBe(500);
      const body = res.json();
      expect(body.error.code).toBe('internal_error');
      expect(body.error.message).toContain(body.requestId);
      expect(res.body).not.toMatch(/hunter2|inconsistent|TypeError|stack/);
    }
    expect(logs.some((l) => l.includes('hunter2') && l.includes('"level":50'))).toBe(true);
  });

  it('answers unknown routes and malformed URLs in the same shape', async () => {
    const missing = await app.inject({ method: 'GET', url: '/no/such/route?token=abc' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toEqual({ code: 'not_found', message: 'no route GET /no/such/route' });
  });
});
