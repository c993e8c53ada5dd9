import type { Migration } from 'kysely';
import * as m0001 from './0001-foundation';
import * as m0002 from './0002-gateway';
import * as m0003 from './0003-read-models';
import * as m0004 from './0004-dispatcher';
import * as m0005 from './0005-session-items';
import * as m0006 from './0006-checkpoint-advance';
import * as m0007 from './0007-expect-created';

/**
 * Every migration, in order. Listed statically (not read from disk) so that the same code
 * runs from source under tsx, inside vitest and from a bundle.
 */
export const MIGRATIONS: Record<string, Migration> = {
  '0001-foundation': m0001,
  '0002-gateway': m0002,
  '0003-read-models': m0003,
  '0004-dispatcher': m0004,
  '0005-session-items': m0005,
  '0006-checkpoint-advance': m0006,
  '0007-expect-created': m0007,
};
