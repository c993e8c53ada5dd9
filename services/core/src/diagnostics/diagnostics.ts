import type { Kysely } from 'kysely';
import type { Config } from '../config/config';
import type { Database } from '../db/schema';
import { createTopology } from '../event-store/topology';
import type { CheckResult } from './check';
import { checkGatewayHttp, checkWebSocket } from './http-checks';
import { checkDatabase, checkNats } from './infra-checks';
import { checkProjections } from './projection-checks';
import { checkAccounts, checkAgents, checkSessions } from './state-checks';
import { checkToken } from './token-check';

export interface DiagnosticsOptions {
  /** Where the gateway answers; defaults to the config's PUBLIC_URL. */
  readonly gatewayUrl?: string;
  /** A token the user has trouble with, to explain a 401. */
  readonly token?: string;
}

async function guarded(area: string, name: string, fn: () => Promise<CheckResult[]>): Promise<CheckResult[]> {
  try {
    return await fn();
  } catch (err) {
    return [{ area, name, status: 'fail', detail: `check failed: ${(err as Error).message}` }];
  }
}

/**
 * Runs every check `make diagnostics` reports: the gateway from outside (HTTP, readiness,
 * WebSocket upgrade), the infrastructure (NATS, streams, PostgreSQL, migrations) and the
 * state users see (agents, accounts, sessions). Checks that need a failed part are skipped.
 */
export async function runDiagnostics(config: Config, opts: DiagnosticsOptions = {}): Promise<CheckResult[]> {
  const url = (opts.gatewayUrl ?? config.publicUrl).replace(/\/$/, '');
  const results: CheckResult[] = [];
  const http = await checkGatewayHttp(url);
  results.push(...http);
  if (http[0]?.status === 'ok') results.push(await checkWebSocket(url));
  else
    results.push({
      area: 'gateway',
      name: 'websocket',
      status: 'skip',
      detail: 'needs the gateway to answer',
    });
  if (opts.token) results.push(await checkToken(config.jwtSecret, opts.token));

  const { results: natsResults, nats } = await checkNats(config);
  results.push(...natsResults);
  const { results: dbResults, db } = await checkDatabase(config);
  results.push(...dbResults);
  if (db === null || dbResults.some((r) => r.status === 'fail')) {
    await Promise.all([db?.destroy(), nats?.nc.close()]);
    results.push({
      area: 'state',
      name: 'projections, agents, accounts, sessions',
      status: 'skip',
      detail: 'needs a migrated PostgreSQL',
    });
    return results;
  }
  try {
    const state = db as Kysely<Database>;
    if (nats !== null && natsResults.every((r) => r.status === 'ok')) {
      const deps = { db: state, jsm: nats.jsm, topology: createTopology(config.streamPrefix) };
      results.push(...(await guarded('projections', 'status', () => checkProjections(deps, config))));
    } else {
      results.push({
        area: 'projections',
        name: 'status',
        status: 'skip',
        detail: 'needs NATS and the streams',
      });
    }
    results.push(...(await guarded('agents', 'online', () => checkAgents(state))));
    results.push(...(await guarded('accounts', 'status', () => checkAccounts(state))));
    results.push(...(await guarded('sessions', 'flow', () => checkSessions(state))));
  } finally {
    await Promise.all([db.destroy(), nats?.nc.close()]);
  }
  return results;
}

const MARK = {
  ok: '\x1b[32m ok \x1b[0m',
  warn: '\x1b[33mwarn\x1b[0m',
  fail: '\x1b[31mFAIL\x1b[0m',
  skip: '\x1b[90mskip\x1b[0m',
};

/** The human report: one line per finding, with the guide's symptom and what to do. */
export function formatReport(results: readonly CheckResult[], color = true): string {
  const lines: string[] = [];
  let area = '';
  for (const r of results) {
    if (r.area !== area) {
      area = r.area;
      lines.push('', area);
    }
    const mark = color ? MARK[r.status] : r.status.toUpperCase().padEnd(4);
    lines.push(`  [${mark}] ${r.name}: ${r.detail}`);
    if (r.symptom) lines.push(`         explains: "${r.symptom}" (troubleshooting guide)`);
    for (const f of r.fix ?? []) lines.push(`         - ${f}`);
  }
  const fails = results.filter((r) => r.status === 'fail').length;
  const warns = results.filter((r) => r.status === 'warn').length;
  lines.push('', fails === 0 && warns === 0 ? 'all checks passed' : `${fails} failing, ${warns} warnings`);
  return lines.join('\n');
}
