export { type Dispatcher, type DispatcherDeps, startDispatcher } from './dispatcher';
export { DEFAULT_TIMINGS, type DispatchTimings } from './domain/timer-rules';
export type { CredentialSource } from './handlers/timer-pass';
