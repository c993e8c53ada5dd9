export { getAccount, type ListAccountsQuery, listAccounts } from './accounts.queries';
export { type ListAgentsQuery, listAgents } from './agents.queries';
export { type AuditLogQuery, listAuditEvents } from './audit.queries';
export { type CheckpointWatcher, createCheckpointWatcher } from './checkpoint-watcher';
export { type CursorCodec, createCursorCodec } from './cursor';
export { getAggregateHistory, type HistoryEntry } from './history.queries';
export { listOutput, type OutputPageQuery } from './output.queries';
export {
  getProjectionStatus,
  type ProjectionStatus,
  type ProjectionStatusDeps,
  type ProjectionStatusOptions,
} from './projection-status';
export {
  CHECKPOINT_CHANNEL,
  isProjectionName,
  PROJECTION_NAMES,
  PROJECTIONS,
  type ProjectionName,
  type ProjectionSource,
  projectionConsumerName,
  projectionLockName,
} from './projections';
export { type SessionItemSource, sessionItemJson } from './session-item';
export { getSession, type ListSessionsQuery, listSessions, listSessionsJson } from './sessions.queries';
export { isoString } from './time';
