import type { Migration } from 'kysely';
import * as m0001 from './0001-foundation';

/**
 * Every migration, in order. Listed statically (not read from disk) so that the same code
 * runs from source under tsx, inside vitest and from a bundle.
 */
export const MIGRATIONS: Record<string, Migration> = {
  '0001-foundation': m0001,
};
