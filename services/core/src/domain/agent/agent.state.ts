import type { AgentEvent, EventData } from '@flywheel/schemas';
import type { Evolver } from '../../event-store/command-handler';
import { expectStatus, INITIAL, unknownEvent } from '../status-guards';

/** What an agent worker announced about itself when it last registered. */
export type AgentSettings = Readonly<EventData<'AgentRegistered'>>;

export interface InitialAgent {
  readonly status: typeof INITIAL;
}

export interface OnlineAgent extends AgentSettings {
  readonly status: 'Online';
}

/** Finishes the sessions it runs but takes no new work. */
export interface DrainingAgent extends AgentSettings {
  readonly status: 'Draining';
}

export interface OfflineAgent extends AgentSettings {
  readonly status: 'Offline';
  readonly reason: string;
}

export type AgentState = InitialAgent | OnlineAgent | DrainingAgent | OfflineAgent;

function initialState(): AgentState {
  return { status: INITIAL };
}

function settings(state: Exclude<AgentState, InitialAgent>): AgentSettings {
  return {
    name: state.name,
    providers: state.providers,
    maxConcurrent: state.maxConcurrent,
    version: state.version,
  };
}

function evolve(state: AgentState, event: AgentEvent): AgentState {
  switch (event.type) {
    case 'AgentRegistered': {
      expectStatus('agent', state, event, [INITIAL, 'Online', 'Offline']);
      const { name, providers, maxConcurrent, version } = event.data;
      return { status: 'Online', name, providers, maxConcurrent, version };
    }
    case 'AgentDrainStarted': {
      const s = expectStatus('agent', state, event, ['Online']);
      return { ...settings(s), status: 'Draining' };
    }
    case 'AgentResumed': {
      const s = expectStatus('agent', state, event, ['Draining']);
      return { ...settings(s), status: 'Online' };
    }
    case 'AgentWentOffline': {
      const s = expectStatus('agent', state, event, ['Online', 'Draining']);
      return { ...settings(s), status: 'Offline', reason: event.data.reason };
    }
    default:
      return unknownEvent('agent', event);
  }
}

/** Folds an agent's events into its state. */
export const agentEvolver: Evolver<AgentState, AgentEvent> = { initialState, evolve };
