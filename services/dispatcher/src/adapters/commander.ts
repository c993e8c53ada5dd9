import { randomUUID } from 'node:crypto';
import {
  type AccountState,
  type AgentState,
  accountEvolver,
  agentEvolver,
  type CommandResult,
  decideAccount,
  decideAgent,
  decideSession,
  type EventStore,
  handleCommand,
  type SessionState,
  sessionEvolver,
} from '@flywheel/core';
import type {
  AccountCommand,
  AccountEvent,
  AgentCommand,
  AgentEvent,
  SessionCommand,
  SessionEvent,
} from '@flywheel/schemas';

/**
 * A state check run against the aggregate as freshly loaded from the event store: when it
 * fails, the command is a no-op. The dispatcher's own tables trail the stream by a few
 * milliseconds, so every effect it takes is re-checked here, where optimistic concurrency
 * makes the check exact.
 */
export type Guard<S> = (state: S) => boolean;

/** Sends commands as the dispatcher (a trusted system actor) through the decide-append loop. */
export interface Commander {
  session(
    workspace: string,
    id: string,
    command: SessionCommand,
    guard?: Guard<SessionState>,
  ): Promise<CommandResult<SessionState, SessionEvent>>;
  account(
    workspace: string,
    id: string,
    command: AccountCommand,
    guard?: Guard<AccountState>,
  ): Promise<CommandResult<AccountState, AccountEvent>>;
  agent(
    workspace: string,
    id: string,
    command: AgentCommand,
    guard?: Guard<AgentState>,
  ): Promise<CommandResult<AgentState, AgentEvent>>;
}

export function createCommander(store: EventStore, clock: () => Date): Commander {
  const options = () => {
    const commandId = `dsp-${randomUUID()}`;
    return {
      commandId,
      actor: { kind: 'system' as const, id: 'dispatcher' },
      correlationId: commandId,
      now: clock(),
    };
  };
  return {
    session(workspace, id, command, guard = () => true) {
      const opts = options();
      return handleCommand(
        store,
        { workspace, type: 'session', id },
        sessionEvolver,
        (s) => (guard(s) ? decideSession(command, s, { now: opts.now }) : []),
        opts,
      );
    },
    account(workspace, id, command, guard = () => true) {
      const opts = options();
      return handleCommand(
        store,
        { workspace, type: 'account', id },
        accountEvolver,
        (s) => (guard(s) ? decideAccount(command, s, { now: opts.now }) : []),
        opts,
      );
    },
    agent(workspace, id, command, guard = () => true) {
      const opts = options();
      return handleCommand(
        store,
        { workspace, type: 'agent', id },
        agentEvolver,
        (s) => (guard(s) ? decideAgent(command, s, { now: opts.now }) : []),
        opts,
      );
    },
  };
}
