import type { OutputPage, OutputStream } from '@flywheel/schemas';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { iso } from './time';

export interface OutputPageQuery {
  readonly workspace: string;
  readonly sessionId: string;
  /** Chunks with a seq greater than this (0 for the start). */
  readonly after: number;
  readonly limit: number;
}

/**
 * A session's output chunks after `after`, in sequence order. Null when the workspace has
 * no such session and no output for it (another workspace's session is not revealed).
 */
export async function listOutput(db: Kysely<Database>, q: OutputPageQuery): Promise<OutputPage | null> {
  const rows = await db
    .selectFrom('session_output')
    .select(['seq', 'stream', 'text', 'at'])
    .where('workspace', '=', q.workspace)
    .where('session_id', '=', q.sessionId)
    .where('seq', '>', q.after)
    .orderBy('seq')
    .limit(q.limit)
    .execute();
  if (rows.length === 0) {
    // Output can be projected before the session row (separate streams), so either counts.
    const known = await db
      .selectNoFrom((eb) => [
        eb
          .or([
            eb.exists(
              eb
                .selectFrom('sessions')
                .select('id')
                .where('workspace', '=', q.workspace)
                .where('id', '=', q.sessionId),
            ),
            eb.exists(
              eb
                .selectFrom('session_output')
                .select('seq')
                .where('workspace', '=', q.workspace)
                .where('session_id', '=', q.sessionId),
            ),
          ])
          .as('known'),
      ])
      .executeTakeFirstOrThrow();
    if (!known.known) return null;
  }
  return {
    sessionId: q.sessionId,
    chunks: rows.map((r) => ({ seq: r.seq, stream: r.stream as OutputStream, text: r.text, at: iso(r.at) })),
    nextAfter: rows.at(-1)?.seq ?? q.after,
  };
}
