import type { StreamRef } from '@flywheel/core';
import type { DomainEvent } from '@flywheel/schemas';

/** One command's worth of events for one aggregate, in the order a real system would append them. */
export interface WorkloadCommit {
  readonly ref: StreamRef;
  readonly events: readonly DomainEvent[];
}

export interface WorkloadOptions {
  readonly workspaces?: number;
  readonly accountsPerWorkspace?: number;
  readonly agentsPerWorkspace?: number;
  /** Sessions in flight at once; their events interleave in the stream. */
  readonly inFlight?: number;
  readonly seed?: number;
  /** Prefix of generated ids, so two workloads in one stream do not collide. */
  readonly idPrefix?: string;
}

/** mulberry32: a small seeded generator, so a workload is the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Flight {
  readonly ref: StreamRef;
  step: 'requested' | 'assigned' | 'started';
  attempt: number;
  accountId: string;
}

/**
 * Generates a realistic event log of about `total` events: accounts and agents first, then
 * sessions that wait, get assigned, start, and complete, fail, get re-queued after a rate
 * limit, or are cancelled, interleaved across `inFlight` sessions; accounts cool down and
 * recover along the way.
 */
export function* generateWorkload(total: number, opts: WorkloadOptions = {}): Generator<WorkloadCommit> {
  const rnd = random(opts.seed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const p = opts.idPrefix ?? 'w';
  const workspaces = Array.from({ length: opts.workspaces ?? 3 }, (_, i) => `ws${i}`);
  const accounts = new Map<string, string[]>();
  const agents = new Map<string, string[]>();
  let emitted = 0;
  const emit = (ref: StreamRef, events: DomainEvent[]): WorkloadCommit => {
    emitted += events.length;
    return { ref, events };
  };

  for (const ws of workspaces) {
    const ids = Array.from({ length: opts.accountsPerWorkspace ?? 4 }, (_, i) => `${p}acc${ws}x${i}`);
    accounts.set(ws, ids);
    for (const id of ids) {
      const ref: StreamRef = { workspace: ws, type: 'account', id };
      yield emit(ref, [
        {
          type: 'AccountLinked',
          data: {
            provider: 'anthropic',
            label: `key ${id}`,
            authType: 'api_key',
            fingerprint: `fp-${id}`,
            baseUrl: null,
            maxConcurrent: 8,
          },
        },
      ]);
      yield emit(ref, [{ type: 'AccountVerified', data: {} }]);
    }
    const agentIds = Array.from({ length: opts.agentsPerWorkspace ?? 2 }, (_, i) => `${p}agt${ws}x${i}`);
    agents.set(ws, agentIds);
    for (const id of agentIds) {
      yield emit({ workspace: ws, type: 'agent', id }, [
        {
          type: 'AgentRegistered',
          data: { name: id, providers: ['anthropic'], maxConcurrent: 4, version: '1.0.0' },
        },
      ]);
    }
  }

  const flights: Flight[] = [];
  const cooling = new Set<string>();
  let sessions = 0;
  const inFlight = opts.inFlight ?? 20;
  while (emitted < total) {
    if (flights.length < inFlight) {
      const ws = pick(workspaces);
      const ref: StreamRef = { workspace: ws, type: 'session', id: `${p}ses${sessions++}` };
      flights.push({ ref, step: 'requested', attempt: 0, accountId: '' });
      const events: DomainEvent[] = [
        {
          type: 'SessionRequested',
          data: {
            provider: 'anthropic',
            prompt: `Refactor module ${sessions} and explain the change.\nKeep\ttabs and "quotes" \\ intact.`,
            model: rnd() < 0.5 ? null : 'claude-sonnet',
            requestedAccountId: null,
            metadata: rnd() < 0.3 ? { team: `t${Math.floor(rnd() * 5)}` } : {},
            maxAttempts: 3,
          },
        },
      ];
      if (rnd() < 0.2) events.push({ type: 'SessionWaiting', data: { reason: 'no free agent', eta: null } });
      yield emit(ref, events);
      continue;
    }
    const i = Math.floor(rnd() * flights.length);
    const f = flights[i]!;
    const ws = f.ref.workspace;
    const done = () => flights.splice(i, 1);
    if (f.step === 'requested') {
      if (rnd() < 0.03) {
        done();
        yield emit(f.ref, [{ type: 'SessionCancelled', data: { reason: 'cancelled by the user' } }]);
        continue;
      }
      f.attempt++;
      f.accountId = pick(accounts.get(ws)!);
      f.step = 'assigned';
      yield emit(f.ref, [{ type: 'SessionAssigned', data: { accountId: f.accountId, attempt: f.attempt } }]);
    } else if (f.step === 'assigned') {
      f.step = 'started';
      yield emit(f.ref, [
        { type: 'SessionStarted', data: { agentId: pick(agents.get(ws)!), attempt: f.attempt } },
      ]);
    } else {
      const r = rnd();
      if (r < 0.08 && f.attempt < 3) {
        f.step = 'requested';
        const until = new Date(Date.UTC(2026, 0, 1, 0, 0, emitted)).toISOString();
        yield emit(f.ref, [
          {
            type: 'SessionRequeued',
            data: { reason: 'rate limited', failedAccountId: f.accountId, eta: until },
          },
        ]);
        const acc: StreamRef = { workspace: ws, type: 'account', id: f.accountId };
        if (cooling.has(f.accountId)) {
          cooling.delete(f.accountId);
          yield emit(acc, [{ type: 'AccountCooldownEnded', data: {} }]);
        } else {
          cooling.add(f.accountId);
          yield emit(acc, [
            { type: 'AccountRateLimited', data: { until, source: 'retry-after', sessionId: f.ref.id } },
          ]);
        }
      } else if (r < 0.13) {
        done();
        yield emit(f.ref, [{ type: 'SessionFailed', data: { reason: 'the agent crashed' } }]);
      } else {
        done();
        yield emit(f.ref, [
          {
            type: 'SessionCompleted',
            data: {
              outputChunks: Math.floor(rnd() * 20),
              inputTokens: 1200,
              outputTokens: Math.floor(rnd() * 9000),
            },
          },
        ]);
      }
    }
  }
}
