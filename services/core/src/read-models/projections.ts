import type { Database } from '../db/schema';

/** The read models the projector keeps; each has its own durable consumer and checkpoint. */
export const PROJECTION_NAMES = ['sessions', 'accounts', 'agents', 'event-index', 'output'] as const;
export type ProjectionName = (typeof PROJECTION_NAMES)[number];

export function isProjectionName(name: string): name is ProjectionName {
  return (PROJECTION_NAMES as readonly string[]).includes(name);
}

/** Which stream a projection folds: domain events, or session output chunks. */
export type ProjectionSource = 'events' | 'output';

/** What each projection reads and the tables it alone writes (replay rebuilds exactly these). */
export const PROJECTIONS: Readonly<
  Record<ProjectionName, { readonly source: ProjectionSource; readonly tables: readonly (keyof Database)[] }>
> = {
  sessions: { source: 'events', tables: ['sessions'] },
  accounts: { source: 'events', tables: ['accounts', 'account_sessions'] },
  agents: { source: 'events', tables: ['agents', 'agent_sessions'] },
  'event-index': { source: 'events', tables: ['event_index'] },
  output: { source: 'output', tables: ['session_output'] },
};

/** The durable consumer a projection reads through (on the install's prefixed stream). */
export function projectionConsumerName(name: ProjectionName): string {
  return `projection-${name}`;
}

/** Postgres NOTIFY channel: payload `<projection>:<last_seq>` after every committed batch or swap. */
export const CHECKPOINT_CHANNEL = 'fw_projection_checkpoint';

/**
 * Text hashed (`hashtextextended`) into the advisory lock a projection's writers take:
 * each live batch holds it for its transaction, replay holds it while it swaps tables.
 */
export function projectionLockName(name: ProjectionName): string {
  return `fw-projection:${name}`;
}
