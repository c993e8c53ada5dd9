import {
  type Logger,
  type NatsHandle,
  PROJECTION_NAMES,
  type ProjectionName,
  projectionLockName,
  type Topology,
} from '@flywheel/core';
import type pg from 'pg';
import { notifyCheckpoint, setCheckpoint } from '../engine/checkpoints';
import { type Decoded, type Decoder, decode } from '../engine/decode';
import { writeDeadLetters } from '../engine/row-store';
import { loadCatalog } from '../engine/table-catalog';
import { type AnyMessage, feedsFor } from '../projections';
import type { ReplayProgress } from './progress-bar';
import { ProjectionRebuild } from './projection-rebuild';
import { createShadow, dropShadow, indexShadows, type ShadowTable, swapShadow } from './shadow-tables';
import { StreamReader } from './stream-reader';

export interface ReplayDeps {
  /** Two connections at least: indexes are built on two at once. */
  readonly pool: pg.Pool;
  readonly nats: NatsHandle;
  readonly topology: Topology;
  readonly logger: Logger;
  readonly progress: ReplayProgress;
  /**
   * Memory against speed: messages folded between writes (20,000) and rows kept in memory
   * per table (50,000). Tests make them small to take the paths a long log takes.
   */
  readonly limits?: { readonly flushMessages?: number; readonly cacheRows?: number };
}

export interface ReplayResult {
  readonly projections: readonly {
    readonly name: ProjectionName;
    readonly checkpoint: number;
    readonly deadLetters: number;
  }[];
  readonly messages: number;
  /** Events in those messages (a commit may hold several; an output chunk or an undecodable message is one). */
  readonly events: number;
  readonly seconds: number;
}

/** Messages decoded and folded together: few, so they die young, before the garbage collector has to copy them. */
const CHUNK = 250;
/** Messages folded between writes; a write is one COPY per table. */
const FLUSH_MESSAGES = 20_000;
/** Catch up outside the swap lock until this close to the head, so the live projector pauses briefly. */
const NEAR_HEAD = 2_000;
const SWAP_ATTEMPTS = 5;
const REPLAY_LOCK = 'fw-replay';

/** One stream being replayed and the projections fed from it. */
interface Source {
  readonly reader: StreamReader;
  readonly decoder: Decoder<AnyMessage>;
  readonly rebuilds: readonly ProjectionRebuild[];
  /** The sequence the shadows are built to. */
  head: number;
}

/**
 * Has PostgreSQL check every second that the replay is still there while a statement runs
 * (`client_connection_check_interval`, PostgreSQL 14+ on Linux; elsewhere nothing changes).
 * Otherwise a replay killed while it waits for a lock, or inside its swap, keeps its locks
 * until the lock is granted or times out: the live tables stay locked, and the next run is
 * refused as if it were still running.
 */
async function endWithTheProcess(client: pg.ClientBase): Promise<void> {
  await client.query(
    `do $$ begin perform set_config('client_connection_check_interval', '1000', false);
       exception when others then null; end $$`,
  );
}

async function advisory(client: pg.ClientBase, fn: 'pg_advisory_lock' | 'pg_advisory_unlock', name: string) {
  await client.query(`select ${fn}(hashtextextended($1, 0))`, [name]);
}

/**
 * Rebuilds `names` (all projections by default) from the first message of their streams
 * into shadow tables, catches up with the live head, then swaps the shadows in and sets
 * the checkpoints in one transaction. The live tables answer queries throughout and are
 * untouched until the swap; a replay killed before it leaves only shadows, which the next
 * run drops. The live projector pauses (advisory lock) only for the final catch-up and swap.
 */
export async function replay(
  deps: ReplayDeps,
  names: readonly ProjectionName[] = PROJECTION_NAMES,
): Promise<ReplayResult> {
  const started = performance.now();
  const flushMessages = deps.limits?.flushMessages ?? FLUSH_MESSAGES;
  const client = await deps.pool.connect();
  let shadows: ShadowTable[] = [];
  const sources: Source[] = [];
  try {
    await endWithTheProcess(client);
    const { rows } = await client.query<{ ok: boolean }>(
      'select pg_try_advisory_lock(hashtextextended($1, 0)) as ok',
      [REPLAY_LOCK],
    );
    if (!rows[0]!.ok)
      throw new Error('another replay is running against this database; wait for it to finish');

    const feeds = feedsFor(deps.topology, names);
    const tables = feeds.flatMap((f) => f.projection.tables.map((t) => t.name));
    const catalog = await loadCatalog(client, tables);
    shadows = [];
    for (const t of tables) shadows.push(await createShadow(client, t));
    for (const stream of new Set(feeds.map((f) => f.stream))) {
      const mine = feeds.filter((f) => f.stream === stream);
      sources.push({
        reader: new StreamReader(deps.nats, stream),
        decoder: mine[0]!.decoder,
        rebuilds: mine.map((f) => new ProjectionRebuild(f, catalog, deps.limits?.cacheRows)),
        head: 0,
      });
    }

    let messages = 0;
    let events = 0;
    // Flush n is written while the messages after it are read and folded: Postgres and this process work at once.
    const pump = async (source: Source, upTo: number) => {
      let written: Promise<void> = Promise.resolve();
      let folded = 0;
      const flush = async () => {
        const writes = source.rebuilds.map((r) => r.takeWrites());
        await written;
        written = (async () => {
          for (const write of writes) await write(client);
        })();
        // Surfaced by the next await; this only keeps Node from calling it unhandled meanwhile.
        written.catch(() => undefined);
        folded = 0;
      };
      try {
        for (;;) {
          const raw = await source.reader.read(upTo, CHUNK);
          if (raw.length === 0) break;
          const chunk = raw.map((r) => decode(source.decoder, r));
          for (const r of source.rebuilds) await r.apply(client, chunk, written);
          folded += raw.length;
          if (folded >= flushMessages) await flush();
          const carried = eventsIn(chunk);
          messages += raw.length;
          events += carried;
          deps.progress.advance(raw.length, carried);
          // Buffered messages arrive through promises that are already resolved, so without
          // this the loop never lets Node handle I/O, and the write in flight (one round
          // trip per statement) would wait for the reader's buffer to run dry.
          await new Promise((resolve) => setImmediate(resolve));
        }
        if (folded > 0) await flush();
      } finally {
        await written;
      }
      source.head = Math.max(source.head, upTo);
    };

    // Bulk: everything up to the head as it stood at the start.
    const targets = await Promise.all(sources.map((s) => s.reader.bounds()));
    deps.progress.start(
      'replay',
      targets.reduce((n, b) => n + (b.last > 0 ? b.last - b.first + 1 : 0), 0),
    );
    for (const [i, s] of sources.entries()) await pump(s, targets[i]!.last);
    deps.progress.note(`building indexes on ${shadows.length} tables`);
    const helper = await deps.pool.connect();
    try {
      await endWithTheProcess(helper);
      await indexShadows([client, helper], shadows);
    } finally {
      helper.release();
    }

    /** Each stream's head now, and how many messages past what the replay has read. */
    const unread = async () => {
      const heads = await Promise.all(sources.map((s) => s.reader.bounds()));
      const behind = sources.reduce((n, s, i) => n + Math.max(0, heads[i]!.last - s.reader.lastSeq), 0);
      return { heads, behind };
    };
    const pumpTo = async (heads: readonly { readonly last: number }[]) => {
      for (const [i, s] of sources.entries()) await pump(s, heads[i]!.last);
    };

    // Catch up with what arrived meanwhile, outside any lock.
    for (;;) {
      const { heads, behind } = await unread();
      if (behind <= NEAR_HEAD) break;
      deps.progress.start('catch-up', behind);
      await pumpTo(heads);
    }

    // Pause the live projector for these projections, take the last events, swap.
    const locked = [...names].sort();
    for (const n of locked) await advisory(client, 'pg_advisory_lock', projectionLockName(n));
    try {
      for (let attempt = 1; ; attempt++) {
        const { heads, behind } = await unread();
        // Shown as a phase of its own, so the bar accounts for every message the closing line counts.
        if (behind > 0) deps.progress.start('last', behind);
        await pumpTo(heads);
        try {
          await swap(client, shadows, sources);
          break;
        } catch (err) {
          // A long query held a table past the lock timeout: catch up again and retry.
          if ((err as { code?: string }).code !== '55P03' || attempt >= SWAP_ATTEMPTS) throw err;
          deps.logger.warn({ attempt }, 'swap waited too long for a table lock; retrying');
        }
      }
    } finally {
      for (const n of locked) await advisory(client, 'pg_advisory_unlock', projectionLockName(n));
    }
    shadows = [];
    const seconds = (performance.now() - started) / 1000;
    const result: ReplayResult = {
      projections: sources.flatMap((s) =>
        s.rebuilds.map((r) => ({ name: r.name, checkpoint: s.head, deadLetters: r.deadLetters.length })),
      ),
      messages,
      events,
      seconds,
    };
    const lettered = result.projections.filter((p) => p.deadLetters > 0);
    deps.progress.finish(
      `replayed ${count(messages)} messages (${count(events)} events) into ${result.projections.map((p) => p.name).join(', ')} in ${seconds.toFixed(1)} s (${count(messages / seconds)} messages/s, ${count(events / seconds)} events/s)${
        lettered.length === 0
          ? ''
          : `; dead letters (messages that could not be projected, in table dead_letters): ${lettered.map((p) => `${p.name} ${p.deadLetters}`).join(', ')}`
      }`,
    );
    return result;
  } finally {
    for (const s of sources) s.reader.stop();
    // A replay that failed leaves no shadows behind (a killed one does; the next run drops them).
    for (const s of shadows) await dropShadow(client, s.table).catch(() => undefined);
    await advisory(client, 'pg_advisory_unlock', REPLAY_LOCK).catch(() => undefined);
    client.release();
  }
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');

/** Events a chunk carries: a commit's events, one per output chunk or undecodable message. */
function eventsIn(chunk: readonly Decoded<AnyMessage>[]): number {
  let n = 0;
  for (const d of chunk) n += 'message' in d && 'events' in d.message ? d.message.events.length : 1;
  return n;
}

/** The swap transaction: shadows become the live tables, checkpoints and dead letters follow. */
async function swap(client: pg.ClientBase, shadows: readonly ShadowTable[], sources: readonly Source[]) {
  try {
    await client.query('begin');
    // Queries queue behind the swap's table locks; do not let one slow query hold everyone up for long.
    await client.query(`set local lock_timeout = '5s'`);
    for (const s of shadows) await swapShadow(client, s);
    const rebuilds = sources.flatMap((s) => s.rebuilds.map((r) => ({ r, head: s.head })));
    await client.query('delete from dead_letters where projection = any($1)', [
      rebuilds.map(({ r }) => r.name),
    ]);
    await writeDeadLetters(
      client,
      rebuilds.flatMap(({ r }) => r.deadLetters),
    );
    for (const { r, head } of rebuilds) {
      await setCheckpoint(client, r.name, head);
      await notifyCheckpoint(client, r.name, head);
    }
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  }
}
