import type { AgentCommand, AgentEvent } from '@flywheel/schemas';
import { describe, it } from 'vitest';
import { NotFoundError } from '../../errors/errors';
import { deciderSpec } from '../testing/decider-spec';
import { decideAgent } from './agent.decide';
import { agentEvolver } from './agent.state';

const spec = deciderSpec({ decide: decideAgent, evolver: agentEvolver });

const settings = {
  name: 'worker-1',
  providers: ['anthropic' as const, 'openai' as const],
  maxConcurrent: 2,
  version: '1.4.0',
};
const registered = (overrides: Partial<typeof settings> = {}): AgentEvent => ({
  type: 'AgentRegistered',
  data: { ...settings, ...overrides },
});
const drainStarted: AgentEvent = { type: 'AgentDrainStarted', data: {} };
const resumed: AgentEvent = { type: 'AgentResumed', data: {} };
const wentOffline: AgentEvent = { type: 'AgentWentOffline', data: { reason: 'heartbeats stopped' } };

const register = (overrides: Partial<typeof settings> = {}): AgentCommand => ({
  type: 'RegisterAgent',
  data: { ...settings, ...overrides },
});
const drain: AgentCommand = { type: 'DrainAgent', data: {} };
const resume: AgentCommand = { type: 'ResumeAgent', data: {} };
const markOffline: AgentCommand = { type: 'MarkAgentOffline', data: { reason: 'heartbeats stopped' } };

const HISTORIES = {
  Online: [registered()],
  Draining: [registered(), drainStarted],
  Offline: [registered(), wentOffline],
} as const;
type Status = keyof typeof HISTORIES;

/** The brief's transitions (no-ops included): the statuses in which each command is accepted. */
const ACCEPTED_IN: Record<AgentCommand['type'], readonly Status[]> = {
  RegisterAgent: ['Online', 'Offline'],
  DrainAgent: ['Online'],
  ResumeAgent: ['Draining'],
  MarkAgentOffline: ['Online', 'Draining'],
};
const COMMANDS: readonly AgentCommand[] = [register(), drain, resume, markOffline];

describe('agent decider', () => {
  describe('RegisterAgent', () => {
    it('brings a new agent online with its settings', () => {
      spec.given([]).when(register()).thenEmits([registered()], {
        status: 'Online',
        name: 'worker-1',
        maxConcurrent: 2,
        version: '1.4.0',
      });
    });

    it('brings an Offline agent back online', () => {
      spec.given(HISTORIES.Offline).when(register()).thenEmits([registered()], { status: 'Online' });
    });

    it('records nothing when an Online agent re-registers with the same settings', () => {
      spec.given(HISTORIES.Online).when(register()).thenEmitsNothing();
    });

    it('treats the providers as a set', () => {
      spec
        .given(HISTORIES.Online)
        .when(register({ providers: ['openai', 'anthropic'] }))
        .thenEmitsNothing();
    });

    it('registers again when a restarted agent brings new settings', () => {
      spec
        .given(HISTORIES.Online)
        .when(register({ version: '1.5.0', maxConcurrent: 4 }))
        .thenEmits([registered({ version: '1.5.0', maxConcurrent: 4 })], {
          status: 'Online',
          version: '1.5.0',
          maxConcurrent: 4,
        });
    });
  });

  describe('draining', () => {
    it('drains an Online agent', () => {
      spec
        .given(HISTORIES.Online)
        .when(drain)
        .thenEmits([drainStarted], { status: 'Draining', name: 'worker-1' });
    });

    it('resumes a Draining agent', () => {
      spec.given(HISTORIES.Draining).when(resume).thenEmits([resumed], { status: 'Online' });
    });

    it('explains why a Draining agent cannot register', () => {
      spec
        .given(HISTORIES.Draining)
        .when(register())
        .thenRejects(/^agent is Draining; only an Online or Offline agent can register$/);
    });
  });

  describe('MarkAgentOffline', () => {
    for (const status of ['Online', 'Draining'] as const) {
      it(`takes a ${status} agent offline with the reason`, () => {
        spec
          .given(HISTORIES[status])
          .when(markOffline)
          .thenEmits([wentOffline], { status: 'Offline', reason: 'heartbeats stopped' });
      });
    }
  });

  describe('every transition outside the brief is refused', () => {
    for (const command of COMMANDS) {
      for (const status of Object.keys(HISTORIES) as Status[]) {
        if (ACCEPTED_IN[command.type].includes(status)) continue;
        it(`${command.type} on a ${status} agent`, () => {
          spec
            .given(HISTORIES[status])
            .when(command)
            .thenRejects(new RegExp(`^agent is ${status}; `));
        });
      }
      if (command.type !== 'RegisterAgent') {
        it(`${command.type} on an agent that never registered`, () => {
          spec
            .given([])
            .when(command)
            .thenThrows(NotFoundError, /^agent does not exist$/);
        });
      }
    }
  });
});
