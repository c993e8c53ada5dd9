import type { AgentRow } from '../api/resources';
import type { LiveEvent } from '../live/live-event';

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Folds one agent event into its row; from null, only `AgentRegistered` makes a row. */
export function reduceAgent(row: AgentRow | null, event: LiveEvent): AgentRow | null {
  const d = event.data;
  const seen = { streamSeq: event.seq, lastSeenAt: event.at };
  if (event.type === 'AgentRegistered') {
    // A restarted agent registers again under its id: it is back, with its new settings.
    return {
      id: event.aggregate.id,
      name: str(d.name) ?? event.aggregate.id,
      status: 'Online',
      providers: Array.isArray(d.providers) ? (d.providers as AgentRow['providers']) : [],
      maxConcurrent: typeof d.maxConcurrent === 'number' ? d.maxConcurrent : 1,
      version: str(d.version) ?? '',
      offlineReason: null,
      sessionsRunning: row?.sessionsRunning ?? 0,
      registeredAt: row?.registeredAt ?? event.at,
      // Heartbeats are no events: the list's periodic reload brings them.
      lastHeartbeatAt: row?.lastHeartbeatAt ?? null,
      ...seen,
    };
  }
  if (!row) return null;
  switch (event.type) {
    case 'AgentDrainStarted':
      return { ...row, ...seen, status: 'Draining' };
    case 'AgentResumed':
      return { ...row, ...seen, status: 'Online', offlineReason: null };
    case 'AgentWentOffline':
      // Going offline is what silence looks like; it is not a sign of life.
      return {
        ...row,
        streamSeq: event.seq,
        status: 'Offline',
        offlineReason: str(d.reason),
        sessionsRunning: 0,
      };
    default:
      return row;
  }
}
