import type { DomainEvent } from '@flywheel/schemas';
import { describe, expect, it } from 'vitest';
import { type AccountRow, accountsProjection } from './accounts.projection';
import type { RowChange } from './projection';
import { commit, memoryRows } from './test-events';

const linked: DomainEvent = {
  type: 'AccountLinked',
  data: {
    provider: 'anthropic',
    label: 'pool',
    authType: 'api_key',
    fingerprint: 'sk-…1',
    baseUrl: null,
    maxConcurrent: 2,
  },
};

function run(rows: ReturnType<typeof memoryRows>, changes: readonly RowChange[]) {
  for (const c of changes) {
    if (c.op === 'put') {
      const key = c.table === 'accounts' ? [c.row.workspace, c.row.id] : [c.row.workspace, c.row.session_id];
      rows.put(c.table, key as string[], c.row);
    }
  }
}

/** Given these account events, the account row. */
function account(...events: (readonly [DomainEvent, string?])[]): AccountRow {
  const rows = memoryRows();
  for (const [e, at] of events) run(rows, accountsProjection.apply(commit('account', 'a1', [e], at), rows));
  return rows.get('accounts', ['acme', 'a1']) as AccountRow;
}

describe('accounts projection', () => {
  it('follows the lifecycle, keeping only the details of the current status', () => {
    expect(account([linked])).toMatchObject({
      status: 'Verifying',
      fingerprint: 'sk-…1',
      last_used_at: null,
    });
    const cooling = account(
      [linked],
      [{ type: 'AccountVerified', data: {} }],
      [
        {
          type: 'AccountRateLimited',
          data: { until: '2026-03-01T13:00:00.000Z', source: 'retry-after', sessionId: 's1' },
        },
      ],
    );
    expect(cooling).toMatchObject({
      status: 'Cooldown',
      cooldown_until: new Date('2026-03-01T13:00:00.000Z'),
      cooldown_source: 'retry-after',
    });
    // Re-verifying during a cooldown keeps the cooldown, which still applies afterwards.
    const reverifying = account(
      [linked],
      [{ type: 'AccountVerified', data: {} }],
      [
        {
          type: 'AccountRateLimited',
          data: { until: '2026-03-01T13:00:00.000Z', source: 'default', sessionId: null },
        },
      ],
      [{ type: 'AccountVerificationRequested', data: {} }],
    );
    expect(reverifying).toMatchObject({ status: 'Verifying', cooldown_source: 'default' });
    const errored = account(
      [linked],
      [{ type: 'AccountErrored', data: { code: 'spend_limit', reason: 'monthly limit' } }],
    );
    expect(errored).toMatchObject({
      status: 'Error',
      error_code: 'spend_limit',
      error_reason: 'monthly limit',
    });
    expect(
      account(
        [linked],
        [{ type: 'AccountVerified', data: {} }],
        [{ type: 'AccountExpired', data: { cause: 'refresh refused' } }],
      ),
    ).toMatchObject({
      status: 'Expired',
      expired_cause: 'refresh refused',
    });
    expect(account([linked], [{ type: 'AccountRevoked', data: { reason: 'leaked' } }])).toMatchObject({
      status: 'Revoked',
      revoked_reason: 'leaked',
      error_code: null,
    });
  });

  it('counts a session as running on its account from assignment until it is released, and stamps last use', () => {
    const rows = memoryRows();
    run(rows, accountsProjection.apply(commit('account', 'a1', [linked]), rows));
    const assigned = commit(
      'session',
      's1',
      [{ type: 'SessionAssigned', data: { accountId: 'a1', attempt: 1 } }],
      '2026-03-01T14:00:00.000Z',
    );
    expect(accountsProjection.reads(assigned)).toEqual([['accounts', ['acme', 'a1']]]);
    const changes = accountsProjection.apply(assigned, rows);
    expect(changes).toEqual([
      {
        op: 'put',
        table: 'account_sessions',
        row: {
          workspace: 'acme',
          session_id: 's1',
          account_id: 'a1',
          since: new Date('2026-03-01T14:00:00.000Z'),
        },
      },
      {
        op: 'put',
        table: 'accounts',
        row: expect.objectContaining({ last_used_at: new Date('2026-03-01T14:00:00.000Z') }),
      },
    ]);
    for (const release of [
      'SessionCompleted',
      'SessionFailed',
      'SessionCancelled',
      'SessionRequeued',
    ] as const) {
      const data =
        release === 'SessionCompleted'
          ? { outputChunks: 0, inputTokens: null, outputTokens: null }
          : release === 'SessionRequeued'
            ? { reason: 'x', failedAccountId: 'a1', eta: null }
            : { reason: 'x' };
      expect(
        accountsProjection.apply(commit('session', 's1', [{ type: release, data } as DomainEvent]), rows),
      ).toEqual([{ op: 'delete', table: 'account_sessions', key: ['acme', 's1'] }]);
    }
  });
});
