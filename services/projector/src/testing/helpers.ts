import { randomUUID } from 'node:crypto';
import type { NatsHandle } from '@flywheel/core';
import {
  buildCommit,
  type Database,
  type EventStore,
  getProjectionStatus,
  PROJECTIONS,
  type ProjectionName,
  type StreamRef,
  type Topology,
} from '@flywheel/core';
import type { DomainEvent, OutputChunk } from '@flywheel/schemas';
import { type Kysely, sql } from 'kysely';
import type { WorkloadCommit } from './workload';

/** Appends commits through the event store with the right expected versions, `lanes` aggregates at a time. */
export async function appendWorkload(
  store: EventStore,
  commits: Iterable<WorkloadCommit>,
  lanes = 16,
  onCommit: (n: number) => void = () => undefined,
): Promise<number> {
  const byLane = Array.from({ length: lanes }, () => [] as WorkloadCommit[]);
  const laneOf = new Map<string, number>();
  for (const c of commits) {
    const key = `${c.ref.workspace}/${c.ref.type}/${c.ref.id}`;
    const lane = laneOf.get(key) ?? laneOf.size % lanes;
    laneOf.set(key, lane);
    byLane[lane]!.push(c);
  }
  const versions = new Map<string, number>();
  let appended = 0;
  await Promise.all(
    byLane.map(async (lane) => {
      for (const c of lane) {
        const key = `${c.ref.workspace}/${c.ref.type}/${c.ref.id}`;
        const id = randomUUID();
        const r = await store.append(c.ref, versions.get(key) ?? 0, c.events, {
          commandId: id,
          correlationId: id,
          actor: { kind: 'system', id: 'workload' },
          now: new Date(Date.UTC(2026, 0, 1) + appended * 1000),
        });
        versions.set(key, r.version);
        onCommit(++appended);
      }
    }),
  );
  return appended;
}

/**
 * Publishes a commit past the event store's checks (its expected version, its schemas), as
 * another writer might have; `edit` changes its JSON text first. Resolves with its stream sequence.
 */
export async function publishUnchecked(
  deps: { nats: NatsHandle; topology: Topology },
  ref: StreamRef,
  events: DomainEvent[],
  edit = (json: string) => json,
): Promise<number> {
  const id = randomUUID();
  const commit = buildCommit(ref, events, {
    commandId: id,
    correlationId: id,
    actor: { kind: 'user', id: 'u1' },
    now: new Date('2026-02-01T10:00:00Z'),
  });
  const subject = deps.topology.eventSubject(ref.workspace, ref.type, ref.id);
  return (await deps.nats.js.publish(subject, edit(JSON.stringify(commit)))).seq;
}

/** Publishes session output chunks the way agents do. */
export async function publishOutput(
  nats: NatsHandle,
  topology: Topology,
  workspace: string,
  sessionId: string,
  chunks: readonly OutputChunk[],
): Promise<void> {
  for (const c of chunks) {
    await nats.js.publish(topology.outputSubject(workspace, sessionId), JSON.stringify(c), {
      msgID: `${sessionId}:${c.seq}`,
    });
  }
}

/** Waits until every listed projection has applied its stream up to the current head. */
export async function waitForProjections(
  deps: { db: Kysely<Database>; nats: NatsHandle; topology: Topology },
  names: readonly ProjectionName[] = Object.keys(PROJECTIONS) as ProjectionName[],
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await getProjectionStatus({ db: deps.db, jsm: deps.nats.jsm, topology: deps.topology });
    const behind = status.filter((s) => names.includes(s.name) && s.lag > 0);
    if (behind.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`projections still behind: ${behind.map((s) => `${s.name} lag ${s.lag}`).join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A checksum of each table's rows in a total order, to compare two builds of the same model. */
export async function tableChecksums(
  db: Kysely<Database>,
  tables: readonly string[],
): Promise<Record<string, { rows: number; md5: string }>> {
  const out: Record<string, { rows: number; md5: string }> = {};
  for (const t of tables) {
    const r = await sql<{ rows: number; md5: string | null }>`
      select count(*)::int as rows, md5(coalesce(string_agg(x.t, E'\n' order by x.t), '')) as md5
        from (select r::text as t from ${sql.table(t)} r) x`.execute(db);
    out[t] = { rows: r.rows[0]!.rows, md5: r.rows[0]!.md5 ?? '' };
  }
  return out;
}
