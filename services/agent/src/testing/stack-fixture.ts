import { randomUUID } from 'node:crypto';
import {
  type AccountState,
  accountEvolver,
  createVault,
  type SessionState,
  type StreamRef,
  sessionEvolver,
} from '@flywheel/core';
import { sessionRequested, type TestContext } from '@flywheel/core/testing';
import { type DomainEvent, OutputChunk, type WorkItem, workItemMsgId } from '@flywheel/schemas';

/**
 * What the agent's integration tests share besides a real gateway process
 * (`startServiceProcess`): the dispatcher's part played by hand (append the session's
 * events, publish the work item), so the agent is tested against the real protocol alone.
 */

export const WS = 'acme';

const appendOpts = (commandId = randomUUID()) => ({
  commandId,
  actor: { kind: 'system' as const, id: 'test-dispatcher' },
  correlationId: commandId,
  now: new Date(),
});

export const sessionRef = (id: string): StreamRef => ({ workspace: WS, type: 'session', id });
export const accountRef = (id: string): StreamRef => ({ workspace: WS, type: 'account', id });

async function append(ctx: TestContext, ref: StreamRef, events: DomainEvent[]): Promise<void> {
  await ctx.eventStore.append(ref, await ctx.eventStore.version(ref), events, appendOpts());
}

/** Links an Active API-key account whose key is `apiKey`, behind `baseUrl` (the emulator). */
export async function linkAccount(
  ctx: TestContext,
  id: string,
  label: string,
  apiKey: string,
  baseUrl: string,
): Promise<void> {
  await append(ctx, accountRef(id), [
    {
      type: 'AccountLinked',
      data: {
        provider: 'anthropic',
        label,
        authType: 'api_key',
        fingerprint: 'fp',
        baseUrl,
        maxConcurrent: 10,
      },
    },
    { type: 'AccountVerified', data: {} },
  ]);
  await createVault(ctx.db, Buffer.from(ctx.env.GATEWAY_MASTER_KEY!, 'hex')).store(WS, id, apiKey);
}

/** A new session, requested but not yet dispatched. */
export async function requestSession(
  ctx: TestContext,
  prompt = 'Write a haiku about queues',
): Promise<string> {
  const id = `ses_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  await append(ctx, sessionRef(id), [sessionRequested(prompt)]);
  return id;
}

/** Plays the dispatcher: assigns the queued session to `accountId` and publishes its work item. */
export async function dispatch(ctx: TestContext, sessionId: string, accountId: string): Promise<WorkItem> {
  const state = await session(ctx, sessionId);
  if (state.status !== 'Queued') throw new Error(`session ${sessionId} is ${state.status}, not Queued`);
  const attempt = state.attempts + 1;
  await append(ctx, sessionRef(sessionId), [{ type: 'SessionAssigned', data: { accountId, attempt } }]);
  const item: WorkItem = {
    sessionId,
    workspace: WS,
    provider: 'anthropic',
    accountId,
    attempt,
    model: null,
    prompt: state.prompt,
  };
  await publishWorkItem(ctx, item);
  return item;
}

export async function publishWorkItem(ctx: TestContext, item: WorkItem, msgID?: string): Promise<void> {
  await ctx.nats.js.publish(ctx.topology.workSubject(item.provider), JSON.stringify(item), {
    msgID: msgID ?? workItemMsgId(item.sessionId, item.attempt),
  });
}

/** Cancels a session as the HTTP API does. */
export async function cancel(ctx: TestContext, sessionId: string): Promise<void> {
  await append(ctx, sessionRef(sessionId), [
    { type: 'SessionCancelled', data: { reason: 'cancelled by test' } },
  ]);
}

async function fold<S>(
  ctx: TestContext,
  ref: StreamRef,
  evolver: { initialState(): S; evolve(s: S, e: never): S },
): Promise<S> {
  const { events } = await ctx.eventStore.load(ref);
  return events.reduce((s, e) => evolver.evolve(s, e as never), evolver.initialState());
}
export const session = (ctx: TestContext, id: string): Promise<SessionState> =>
  fold(ctx, sessionRef(id), sessionEvolver);
export const account = (ctx: TestContext, id: string): Promise<AccountState> =>
  fold(ctx, accountRef(id), accountEvolver);

/** Every output chunk stored for a session, in stream order, and how many messages the subject holds. */
export async function readOutput(
  ctx: TestContext,
  sessionId: string,
): Promise<{ readonly chunks: OutputChunk[]; readonly stored: number }> {
  const subject = ctx.topology.outputSubject(WS, sessionId);
  const chunks: OutputChunk[] = [];
  for (let next = 1; ; ) {
    const msg = await ctx.nats.jsm.direct.getMessage(ctx.topology.output.stream, {
      seq: next,
      next_by_subj: subject,
    });
    if (msg === null) break;
    chunks.push(OutputChunk.parse(msg.json()));
    next = msg.seq + 1;
  }
  const info = await ctx.nats.jsm.streams.info(ctx.topology.output.stream, { subjects_filter: subject });
  return { chunks, stored: info.state.subjects?.[subject] ?? 0 };
}
