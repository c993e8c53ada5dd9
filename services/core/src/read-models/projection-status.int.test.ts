import { AckPolicy } from '@nats-io/jetstream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../testing';
import { getProjectionStatus } from './projection-status';
import { PROJECTIONS, type ProjectionName, projectionConsumerName } from './projections';

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext();
  // What the projector sets up: a durable consumer per projection.
  for (const [name, p] of Object.entries(PROJECTIONS)) {
    const stream = p.source === 'events' ? ctx.topology.events.stream : ctx.topology.output.stream;
    await ctx.nats.jsm.consumers.add(stream, {
      durable_name: projectionConsumerName(name as ProjectionName),
      ack_policy: AckPolicy.All,
    });
  }
});

afterAll(async () => {
  await ctx?.dispose();
});

const publish = async () =>
  (await ctx.nats.js.publish(ctx.topology.eventSubject('acme', 'session', 'ses_1'), '{}')).seq;

/** Sets a projection's checkpoint as a projector that last committed `ago` ms before now would have. */
async function checkpoint(name: ProjectionName, seq: number, agoMs: number) {
  await sql`insert into projection_checkpoints (name, last_seq, updated_at)
            values (${name}, ${seq}, now() - make_interval(secs => ${agoMs / 1000}))
            on conflict (name) do update set last_seq = excluded.last_seq, updated_at = excluded.updated_at`.execute(
    ctx.db,
  );
}

const statusOf = async (name: ProjectionName, now?: Date) =>
  (await getProjectionStatus({ db: ctx.db, jsm: ctx.nats.jsm, topology: ctx.topology }, { now })).find(
    (s) => s.name === name,
  )!;

describe('a projection counts as stopped', () => {
  it('not when the first message after a quiet spell has just arrived', async () => {
    const applied = await publish();
    await checkpoint('sessions', applied, 60_000);
    await publish();
    expect(await statusOf('sessions')).toMatchObject({ lag: 1, consumer: true, stopped: false });
  });

  it('when its checkpoint stood still while the first message it has not applied waited too', async () => {
    const applied = await publish();
    await checkpoint('accounts', applied, 60_000);
    await publish();
    const later = new Date(Date.now() + 31_000);
    expect(await statusOf('accounts', later)).toMatchObject({ lag: 1, stopped: true });
  });

  it('when its consumer is gone, however fresh its checkpoint', async () => {
    await checkpoint('agents', await publish(), 0);
    await ctx.nats.jsm.consumers.delete(ctx.topology.events.stream, projectionConsumerName('agents'));
    expect(await statusOf('agents')).toMatchObject({ lag: 0, consumer: false, stopped: true });
  });
});
