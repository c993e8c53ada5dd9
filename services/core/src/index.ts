export { AgentTokenSource, mintAgentToken, verifyAgentToken } from './auth/agent-token';
export { FifoCache } from './cache/fifo-cache';
export { runCli } from './cli/run-cli';
export { type Config, loadConfig, type NodeEnv } from './config/config';
export {
  createDatabase,
  createPgPool,
  ensureDatabase,
  logConnectionError,
  splitDatabaseUrl,
} from './db/database';
export { describeDatabaseError } from './db/describe-error';
export { migrateToLatest, pendingMigrations, rollback } from './db/migrator';
export type { Database } from './db/schema';
export * from './domain';
export * from './errors/errors';
export {
  type CommandResult,
  type Evolver,
  handleCommand,
  type RetryOptions,
} from './event-store/command-handler';
export {
  type AppendOptions,
  type AppendResult,
  buildCommit,
  createEventStore,
  type EventStore,
  type LoadedStream,
  readCommit,
  type StoredEvent,
  type StreamRef,
} from './event-store/event-store';
export { PublishMux, PublishRefusedError, type StoreAck } from './event-store/publish-mux';
export { DEDUPE_WINDOW_MS, desiredStreams, ensureStreams, type StreamOptions } from './event-store/streams';
export { createTopology, type Topology } from './event-store/topology';
export { derivedId, ID_PREFIXES, type IdPrefix, newId } from './ids/id';
export {
  createLogger,
  currentLogContext,
  type LogContext,
  type Logger,
  withLogContext,
} from './logging/logger';
export { connectNats, type NatsHandle } from './nats/connect';
export * from './providers';
export * from './read-models';
export { runService, type ServiceContext } from './service/run-service';
export { fingerprint } from './vault/crypto';
export { createVault, type Vault } from './vault/vault';
