export { decideAccount } from './account/account.decide';
export {
  type AccountProfile,
  type AccountState,
  type ActiveAccount,
  accountEvolver,
  type Cooldown,
  type CooldownAccount,
  type ErrorAccount,
  type ExpiredAccount,
  type InitialAccount,
  type LinkedAccount,
  type RevokedAccount,
  type VerifyingAccount,
} from './account/account.state';
export { decideAgent } from './agent/agent.decide';
export {
  type AgentSettings,
  type AgentState,
  agentEvolver,
  type DrainingAgent,
  type InitialAgent,
  type OfflineAgent,
  type OnlineAgent,
} from './agent/agent.state';
export type { DecideContext } from './decide-context';
export { decideSession } from './session/session.decide';
export {
  type CancelledSession,
  type CompletedSession,
  type ExistingSession,
  type FailedSession,
  type InitialSession,
  type QueuedSession,
  type RunningSession,
  type SessionCommon,
  type SessionRequest,
  type SessionState,
  type StartingSession,
  sessionEvolver,
} from './session/session.state';
export { INITIAL } from './status-guards';
