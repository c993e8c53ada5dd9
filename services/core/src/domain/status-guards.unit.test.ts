import type { AccountEvent, AgentCommand, AgentEvent, SessionEvent } from '@flywheel/schemas';
import { describe, expect, it } from 'vitest';
import { CorruptStreamError, ValidationError } from '../errors/errors';
import { accountEvolver } from './account/account.state';
import { decideAgent } from './agent/agent.decide';
import { agentEvolver } from './agent/agent.state';
import { sessionEvolver } from './session/session.state';
import { fold, SPEC_NOW } from './testing/decider-spec';

describe('a stream whose events contradict each other', () => {
  it('fails loudly instead of folding into an undefined session', () => {
    const started: SessionEvent = { type: 'SessionStarted', data: { agentId: 'agent-1', attempt: 1 } };
    expect(() => fold(sessionEvolver, [started])).toThrow(CorruptStreamError);
    expect(() => fold(sessionEvolver, [started])).toThrow(
      'session is Initial and cannot follow with SessionStarted; its event stream is inconsistent',
    );
  });

  it('fails loudly for an account cooldown ending twice', () => {
    const events: AccountEvent[] = [
      {
        type: 'AccountLinked',
        data: {
          provider: 'openai',
          label: 'k',
          authType: 'api_key',
          fingerprint: 'f',
          baseUrl: null,
          maxConcurrent: 1,
        },
      },
      { type: 'AccountCooldownEnded', data: {} },
    ];
    expect(() => fold(accountEvolver, events)).toThrow(
      /account is Verifying and cannot follow with AccountCooldownEnded/,
    );
  });

  it('fails loudly for an event of another aggregate', () => {
    const foreign = { type: 'SessionFailed', data: { reason: 'x' } } as unknown as AgentEvent;
    expect(() => fold(agentEvolver, [foreign])).toThrow(
      'agent stream holds an event it does not know: SessionFailed',
    );
  });
});

it('names the command when a caller skips validation', () => {
  const bogus = { type: 'RebootAgent', data: {} } as unknown as AgentCommand;
  expect(() => decideAgent(bogus, agentEvolver.initialState(), { now: SPEC_NOW })).toThrow(ValidationError);
  expect(() => decideAgent(bogus, agentEvolver.initialState(), { now: SPEC_NOW })).toThrow(
    'agent has no command RebootAgent',
  );
});
