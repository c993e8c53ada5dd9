import { z } from 'zod';

const Check = z.strictObject({ ok: z.boolean(), message: z.string().optional() });

/** One projection as `/ready` reports it: where it stands against its stream. */
export const ProjectionCheck = z.strictObject({
  name: z.string(),
  ok: z.boolean(),
  checkpoint: z.number().int(),
  streamLastSeq: z.number().int(),
  lag: z.number().int(),
  deadLetters: z.number().int(),
  stopped: z.boolean(),
  updatedAt: z.string().nullable(),
});

/** `GET /ready`, 200 and 503 alike: each dependency and each projection with what is wrong. */
export const Ready = z
  .strictObject({
    status: z.enum(['ready', 'not_ready']),
    checks: z.strictObject({
      nats: Check,
      streams: Check.extend({ missing: z.array(z.string()) }),
      postgres: Check,
      migrations: Check.extend({ pending: z.array(z.string()) }),
      projections: Check.extend({ maxLag: z.number().int(), items: z.array(ProjectionCheck) }),
    }),
  })
  .meta({ id: 'Ready' });
export type Ready = z.infer<typeof Ready>;
