import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema';
import type { CheckResult } from './check';

const STARTING_TOO_LONG_S = 60;
const HEARTBEAT_STALE_S = 15;
const SILENT_RUNNING_S = 120;

const ago = (d: Date) => `${Math.round((Date.now() - d.getTime()) / 1000)} s ago`;
const list = (xs: readonly string[], max = 5) =>
  xs.slice(0, max).join(', ') + (xs.length > max ? `, +${xs.length - max} more` : '');

/** Agents online per provider, and agents whose heartbeats stopped. */
export async function checkAgents(db: Kysely<Database>): Promise<CheckResult[]> {
  const agents = await db.selectFrom('agents').select(['id', 'name', 'status', 'providers']).execute();
  const heartbeats = await db
    .selectFrom('dispatch_agents')
    .select(['agent_id', 'last_heartbeat_at'])
    .execute();
  const lastBeat = new Map(heartbeats.map((h) => [h.agent_id, new Date(h.last_heartbeat_at)]));
  const online = agents.filter((a) => a.status === 'Online');
  const results: CheckResult[] = [];
  if (online.length === 0) {
    results.push({
      area: 'agents',
      name: 'online',
      status: 'fail',
      detail:
        agents.length === 0 ? 'no agent has ever registered' : `none of ${agents.length} agents is Online`,
      symptom: "Session stuck in 'Starting' state",
      fix: [
        'start an agent (make up runs one)',
        'read the agent log for errors',
        'check the agent host has CPU and memory to spare',
      ],
    });
  } else {
    const providers = [...new Set(online.flatMap((a) => a.providers))].sort();
    results.push({
      area: 'agents',
      name: 'online',
      status: 'ok',
      detail: `${online.length} online, serving ${providers.join(', ')}`,
    });
  }
  const stale = online.filter((a) => {
    const beat = lastBeat.get(a.id);
    return beat !== undefined && Date.now() - beat.getTime() > HEARTBEAT_STALE_S * 1000;
  });
  if (stale.length > 0) {
    results.push({
      area: 'agents',
      name: 'heartbeats',
      status: 'warn',
      detail: `no heartbeat for over ${HEARTBEAT_STALE_S} s: ${list(stale.map((a) => `${a.name} (${ago(lastBeat.get(a.id)!)})`))}`,
      fix: [
        'check the agent process is alive',
        'the dispatcher marks it Offline and fails or re-queues its sessions',
      ],
    });
  }
  return results;
}

/** Accounts that cannot take work, and why. */
export async function checkAccounts(db: Kysely<Database>): Promise<CheckResult[]> {
  const rows = await db
    .selectFrom('accounts')
    .select([
      'id',
      'label',
      'provider',
      'status',
      'cooldown_until',
      'cooldown_source',
      'error_reason',
      'expired_cause',
      'updated_at',
    ])
    .where('status', '!=', 'Revoked')
    .execute();
  const results: CheckResult[] = [];
  const by = (status: string) => rows.filter((r) => r.status === status);
  const active = by('Active');
  const providers = [...new Set(rows.map((r) => r.provider))].sort();
  for (const p of providers) {
    if (!active.some((a) => a.provider === p)) {
      results.push({
        area: 'accounts',
        name: `${p} capacity`,
        status: 'fail',
        detail: `no Active ${p} account: sessions for ${p} wait Queued`,
        fix: ['see the account findings below', 'link another account'],
      });
    }
  }
  if (rows.length === 0) {
    results.push({
      area: 'accounts',
      name: 'linked',
      status: 'warn',
      detail: 'no account linked yet',
      fix: ['POST /api/v1/accounts or the dashboard'],
    });
  } else {
    results.push({
      area: 'accounts',
      name: 'linked',
      status: 'ok',
      detail: `${rows.length} linked, ${active.length} Active`,
    });
  }
  const errored = by('Error');
  if (errored.length > 0) {
    results.push({
      area: 'accounts',
      name: 'errors',
      status: 'warn',
      detail: list(errored.map((a) => `${a.label} (${a.id}): ${a.error_reason}`)),
      symptom: 'Account verification failed',
      fix: [
        'check the API key is correct and active',
        'check it has the required permissions',
        'check the provider is operational',
        'verify again, or re-link the account',
      ],
    });
  }
  const cooling = by('Cooldown');
  if (cooling.length > 0) {
    results.push({
      area: 'accounts',
      name: 'cooldown',
      status: 'warn',
      detail: list(
        cooling.map(
          (a) =>
            `${a.label}: until ${a.cooldown_until ? new Date(a.cooldown_until).toISOString() : '?'} (${a.cooldown_source})`,
        ),
      ),
      symptom: 'Rate limit exceeded',
      fix: [
        'wait for the cooldown to end (sessions fail over meanwhile)',
        'add accounts for load balancing',
        'reduce concurrent sessions',
        'ask the provider for higher limits',
      ],
    });
  }
  const expired = by('Expired');
  if (expired.length > 0) {
    results.push({
      area: 'accounts',
      name: 'expired',
      status: 'warn',
      detail: list(expired.map((a) => `${a.label}: ${a.expired_cause}`)),
      symptom: 'Tokens expired',
      fix: [
        'Re-authenticate the account in the dashboard',
        'complete the OAuth flow again',
        'if it persists, revoke and re-link',
      ],
    });
  }
  const verifying = by('Verifying').filter((a) => Date.now() - new Date(a.updated_at).getTime() > 120_000);
  if (verifying.length > 0) {
    results.push({
      area: 'accounts',
      name: 'verifying',
      status: 'warn',
      detail: `still Verifying after 2 min: ${list(verifying.map((a) => a.label))}`,
      fix: [
        'check the dispatcher is running (it verifies accounts)',
        'check the provider is reachable from the dispatcher',
      ],
    });
  }
  return results;
}

/** Sessions that are stuck, waiting, failing or silent. */
export async function checkSessions(db: Kysely<Database>): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const starting = await db
    .selectFrom('sessions')
    .select(['id', 'assigned_at', 'account_id'])
    .where('status', '=', 'Starting')
    .where('assigned_at', '<', sql<Date>`now() - make_interval(secs => ${STARTING_TOO_LONG_S})`)
    .execute();
  if (starting.length > 0) {
    results.push({
      area: 'sessions',
      name: 'starting',
      status: 'fail',
      detail: `${starting.length} in Starting for over ${STARTING_TOO_LONG_S} s: ${list(starting.map((s) => s.id))}`,
      symptom: "Session stuck in 'Starting' state",
      fix: [
        'check an agent is running and healthy (agents above)',
        'read the agent log',
        'check the account is Active',
        'check system resources',
      ],
    });
  }
  const queued = await db
    .selectFrom('sessions')
    .select(['queue_reason', sql<number>`count(*)::int`.as('n'), sql<Date | null>`min(queue_eta)`.as('eta')])
    .where('status', '=', 'Queued')
    .groupBy('queue_reason')
    .execute();
  if (queued.length > 0) {
    results.push({
      area: 'sessions',
      name: 'queued',
      status: 'warn',
      detail: queued
        .map(
          (q) =>
            `${q.n} waiting: ${q.queue_reason ?? 'not dispatched yet'}${q.eta ? ` (earliest ${new Date(q.eta).toISOString()})` : ''}`,
        )
        .join('; '),
      fix: [
        'they start by themselves when an account and an agent are free',
        'see accounts and agents above',
      ],
    });
  }
  const failed = await db
    .selectFrom('sessions')
    .select(['reason', sql<number>`count(*)::int`.as('n')])
    .where('status', '=', 'Failed')
    .where('finished_at', '>', sql<Date>`now() - interval '1 hour'`)
    .groupBy('reason')
    .orderBy('n', 'desc')
    .limit(5)
    .execute();
  if (failed.length > 0) {
    results.push({
      area: 'sessions',
      name: 'failed',
      status: 'warn',
      detail: `failed in the last hour: ${failed.map((f) => `${f.n} x "${f.reason}"`).join('; ')}`,
      symptom: 'Session failed immediately',
      fix: [
        'read the reason in the session detail',
        'read the agent log around the failure',
        'check the account quota',
        'check for rate limiting (accounts above)',
      ],
    });
  }
  const silent = await db
    .selectFrom('sessions as s')
    .leftJoin('session_output as o', (j) =>
      j.onRef('o.session_id', '=', 's.id').onRef('o.workspace', '=', 's.workspace'),
    )
    .select(['s.id', sql<Date | null>`max(o.at)`.as('last_output')])
    .where('s.status', '=', 'Running')
    .where('s.started_at', '<', sql<Date>`now() - make_interval(secs => ${SILENT_RUNNING_S})`)
    .groupBy('s.id')
    .having(
      sql`coalesce(max(o.at), 'epoch')`,
      '<',
      sql<Date>`now() - make_interval(secs => ${SILENT_RUNNING_S})`,
    )
    .execute();
  if (silent.length > 0) {
    results.push({
      area: 'sessions',
      name: 'output',
      status: 'warn',
      detail: `Running with no output for over ${SILENT_RUNNING_S} s: ${list(silent.map((s) => s.id))}`,
      symptom: 'Session output not appearing',
      fix: [
        'check the WebSocket connection (above)',
        'refresh the page',
        'check the output projection lag (above)',
        'read the agent log for that session',
      ],
    });
  }
  if (results.length === 0)
    results.push({
      area: 'sessions',
      name: 'flow',
      status: 'ok',
      detail: 'nothing stuck, waiting or failing',
    });
  return results;
}
