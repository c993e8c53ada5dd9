import type { FastifySchema } from 'fastify';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fastSerializerCompiler } from './fast-serializer';

const Page = z.strictObject({
  items: z.array(z.strictObject({ id: z.string(), label: z.string().nullable() })),
  nextCursor: z.string().nullable(),
});
const serialize = fastSerializerCompiler({
  schema: Page as unknown as FastifySchema,
  method: 'GET',
  url: '/x',
  httpStatus: '200',
});

describe('fastSerializerCompiler', () => {
  it('writes the declared fields and nothing else', () => {
    const page = { items: [{ id: 'a', label: null, apiKey: 'sk-secret' }], nextCursor: null, debug: 1 };
    expect(JSON.parse(serialize(page))).toEqual({ items: [{ id: 'a', label: null }], nextCursor: null });
  });

  it('refuses a page missing a required field', () => {
    expect(() => serialize({ items: [{ label: 'x' }], nextCursor: null })).toThrow(/id/);
  });
});
