import pg from 'pg';
import type { Logger } from '../logging/logger';
import { CHECKPOINT_CHANNEL, isProjectionName, type ProjectionName } from './projections';

/** Read-your-writes: waits until a projection has applied a given stream sequence. */
export interface CheckpointWatcher {
  /** Resolves true once `name` reached `seq`, false after `timeoutMs` (the answer may be stale). */
  waitFor(name: ProjectionName, seq: number, timeoutMs: number): Promise<boolean>;
  /**
   * A value that changes whenever `name`'s tables may have changed: on every checkpoint
   * notification (a replay swap notifies too, even at an unchanged sequence) and on every
   * reconnect. Null while not listening, when no change would be seen.
   */
  generation(name: ProjectionName): string | null;
  close(): Promise<void>;
}

interface Waiter {
  readonly seq: number;
  readonly done: (reached: boolean) => void;
}

const RECONNECT_MS = 1000;

/**
 * One Postgres connection LISTENing to the projector's checkpoint notifications, shared by
 * every request: a waiting request costs a timer and a map entry, never a query loop. If a
 * notification is missed (reconnect), a waiter that times out re-reads the checkpoint once.
 */
export async function createCheckpointWatcher(
  databaseUrl: string,
  logger: Pick<Logger, 'warn'>,
): Promise<CheckpointWatcher> {
  const reached = new Map<ProjectionName, number>();
  const waiters = new Map<ProjectionName, Set<Waiter>>();
  const notified = new Map<ProjectionName, number>();
  let connections = 0;
  let client: pg.Client | null = null;
  let closed = false;

  const advance = (name: ProjectionName, seq: number) => {
    if (seq <= (reached.get(name) ?? 0)) return;
    reached.set(name, seq);
    for (const w of waiters.get(name) ?? []) if (w.seq <= seq) w.done(true);
  };

  const read = async (c: pg.ClientBase) => {
    const { rows } = await c.query<{ name: string; last_seq: number }>(
      'select name, last_seq from projection_checkpoints',
    );
    for (const r of rows) if (isProjectionName(r.name)) advance(r.name, Number(r.last_seq));
  };

  const connect = async (): Promise<void> => {
    const c = new pg.Client({
      connectionString: databaseUrl,
      application_name: 'flywheel-checkpoint-watcher',
    });
    c.on('notification', (n) => {
      const [name, seq] = (n.payload ?? '').split(':');
      if (name === undefined || !isProjectionName(name)) return;
      notified.set(name, (notified.get(name) ?? 0) + 1);
      advance(name, Number(seq));
    });
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (client === c) client = null;
      c.end().catch(() => undefined);
      if (closed) return;
      logger.warn({ err }, 'checkpoint watcher lost its connection; reconnecting');
      setTimeout(keepConnected, RECONNECT_MS);
    };
    c.on('error', onLost);
    c.on('end', () => onLost());
    try {
      await c.connect();
      await c.query(`listen ${CHECKPOINT_CHANNEL}`);
      await read(c);
      connections++;
    } catch (err) {
      lost = true;
      await c.end().catch(() => undefined);
      throw err;
    }
    client = c;
  };

  // Until Postgres answers, waits time out and queries answer marked stale; /ready says why.
  function keepConnected(): void {
    if (closed) return;
    connect().catch((err: Error) => {
      logger.warn({ err }, 'checkpoint watcher cannot reach PostgreSQL; retrying');
      setTimeout(keepConnected, RECONNECT_MS);
    });
  }

  await connect().catch((err: Error) => {
    logger.warn({ err }, 'checkpoint watcher cannot reach PostgreSQL; retrying');
    setTimeout(keepConnected, RECONNECT_MS);
  });

  return {
    waitFor(name, seq, timeoutMs) {
      if ((reached.get(name) ?? 0) >= seq) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const set = waiters.get(name) ?? new Set<Waiter>();
        waiters.set(name, set);
        const timer = setTimeout(async () => {
          // A notification may have been lost while reconnecting: look once before giving up.
          if (client !== null) await read(client).catch(() => undefined);
          waiter.done((reached.get(name) ?? 0) >= seq);
        }, timeoutMs);
        const waiter: Waiter = {
          seq,
          done(ok) {
            clearTimeout(timer);
            set.delete(waiter);
            resolve(ok);
          },
        };
        set.add(waiter);
      });
    },
    generation(name) {
      return client === null ? null : `${connections}.${notified.get(name) ?? 0}`;
    },
    async close() {
      closed = true;
      for (const set of waiters.values()) for (const w of set) w.done(false);
      await client?.end();
    },
  };
}
