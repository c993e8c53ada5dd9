/**
 * The sentences users read on a waiting or failed session. Kept in one place because the
 * dispatcher also recognises some of them (a start timeout is requeued only once).
 */

export const reasons = {
  allCooling: (provider: string) => `every ${provider} account is cooling down`,
  allBusy: (provider: string) => `every ${provider} account is at its concurrency limit`,
  verifying: (provider: string) => `waiting for ${provider} accounts to be verified`,
  noAccount: (provider: string) => `no ${provider} account is linked`,
  noUsableAccount: (provider: string, counts: string) =>
    `no ${provider} account can take work (${counts}); fix or re-verify one`,
  noAgent: (provider: string) => `no agent online for ${provider}`,
  agentsBusy: (provider: string) => `every ${provider} agent is busy`,

  requestedMissing: (accountId: string) => `account ${accountId} does not exist in this workspace`,
  requestedOtherProvider: (accountId: string, provider: string, wanted: string) =>
    `account ${accountId} serves ${provider}, not ${wanted}`,
  requestedUnusable: (accountId: string, status: string, why: string | null) =>
    `account ${accountId} is ${status}${why ? `: ${why}` : ''}`,
  requestedCooling: (accountId: string) => `account ${accountId} is cooling down`,
  requestedVerifying: (accountId: string) => `account ${accountId} is being verified`,
  requestedExpired: (accountId: string) => `account ${accountId} is Expired; re-authenticate it`,
  requestedBusy: (accountId: string, max: number) =>
    `account ${accountId} is at its limit of ${max} concurrent session${max === 1 ? '' : 's'}`,

  startTimeout: (timeoutMs: number) => `no agent started the session within ${formatSeconds(timeoutMs)}`,
  startTimeoutFinal: 'no agent started the session',
  agentLost: 'agent lost',
  agentSilent: (silenceMs: number) => `no heartbeat for ${formatSeconds(silenceMs)}`,
} as const;

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/** True for the reason the dispatcher gives when it requeues a session no agent started. */
export function isStartTimeoutReason(reason: string): boolean {
  return reason.startsWith('no agent started the session within ');
}
