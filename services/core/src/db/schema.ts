import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** Where a projection has got to in the `EVENTS` stream; updated in the same transaction as its rows. */
export interface ProjectionCheckpointTable {
  name: string;
  last_seq: number;
  updated_at: Generated<Timestamp>;
}

/** Events a projection could not apply after its retries; kept for operators to inspect. */
export interface DeadLetterTable {
  id: Generated<number>;
  projection: string;
  stream_seq: number;
  event_type: string;
  error: string;
  payload: unknown;
  created_at: Generated<Timestamp>;
}

export interface Database {
  projection_checkpoints: ProjectionCheckpointTable;
  dead_letters: DeadLetterTable;
}
