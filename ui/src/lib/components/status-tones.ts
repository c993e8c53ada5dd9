import type { AccountStatus, AgentStatus, SessionStatus } from '@flywheel/schemas';

export type Tone = 'green' | 'blue' | 'amber' | 'orange' | 'red' | 'gray';

/** Colour per status; a Record so a new status fails to compile until it has one. */
export const SESSION_TONES: Readonly<Record<SessionStatus, Tone>> = {
  Queued: 'amber',
  Starting: 'blue',
  Running: 'blue',
  Completed: 'green',
  Failed: 'red',
  Cancelled: 'gray',
};

export const ACCOUNT_TONES: Readonly<Record<AccountStatus, Tone>> = {
  Verifying: 'blue',
  Active: 'green',
  Cooldown: 'amber',
  Expired: 'orange',
  Error: 'red',
  Revoked: 'gray',
};

export const AGENT_TONES: Readonly<Record<AgentStatus, Tone>> = {
  Online: 'green',
  Draining: 'amber',
  Offline: 'red',
};

/** Statuses that are still moving, shown with a pulse. */
export const ACTIVE_STATUSES: ReadonlySet<string> = new Set(['Starting', 'Running', 'Verifying']);
