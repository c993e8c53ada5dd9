import type { Database } from '@flywheel/core';
import type { Selectable } from 'kysely';
import type { OutputMessage, Projection } from './projection';

export type OutputRow = Selectable<Database['session_output']>;

const TABLE = 'session_output';

/**
 * `output`: session output chunks by their per-session sequence. An agent that republishes
 * a chunk after a lost ack sends the same seq again; the first copy stays.
 */
export const outputProjection: Projection<OutputMessage> = {
  name: 'output',
  tables: [{ name: TABLE, key: ['workspace', 'session_id', 'seq'], mode: 'append' }],
  reads: () => [],
  apply(m) {
    const row: OutputRow = {
      workspace: m.workspace,
      session_id: m.sessionId,
      seq: m.chunk.seq,
      stream: m.chunk.stream,
      text: m.chunk.text,
      at: new Date(m.chunk.at),
      stream_seq: m.seq,
    };
    return [{ op: 'insert', table: TABLE, row }];
  },
};
