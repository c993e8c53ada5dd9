import type { AgentCommand, AgentEvent } from '@flywheel/schemas';
import type { DecideContext } from '../decide-context';
import { INITIAL, requireStatus, unknownCommand } from '../status-guards';
import type { AgentSettings, AgentState } from './agent.state';

type Command<T extends AgentCommand['type']> = Extract<AgentCommand, { readonly type: T }>;

function sameSettings(a: AgentSettings, b: AgentSettings): boolean {
  // Providers are a set: announcing them in another order is not a change.
  const providers = (s: AgentSettings) => [...s.providers].sort().join(',');
  return (
    a.name === b.name &&
    a.maxConcurrent === b.maxConcurrent &&
    a.version === b.version &&
    providers(a) === providers(b)
  );
}

/**
 * Brings an agent online. An agent that is already Online re-registering with the same
 * settings records nothing; with new settings (it restarted) it registers again.
 */
export function registerAgent(command: Command<'RegisterAgent'>, state: AgentState): AgentEvent[] {
  const s = requireStatus('agent', state, command.type, [INITIAL, 'Online', 'Offline'], 'register');
  const { name, providers, maxConcurrent, version } = command.data;
  const announced = { name, providers, maxConcurrent, version };
  if (s.status === 'Online' && sameSettings(s, announced)) return [];
  return [{ type: 'AgentRegistered', data: announced }];
}

/** Stops new work going to an online agent; it finishes what it runs. */
export function drainAgent(command: Command<'DrainAgent'>, state: AgentState): AgentEvent[] {
  requireStatus('agent', state, command.type, ['Online'], 'be drained');
  return [{ type: 'AgentDrainStarted', data: {} }];
}

/** Lets a draining agent take new work again. */
export function resumeAgent(command: Command<'ResumeAgent'>, state: AgentState): AgentEvent[] {
  requireStatus('agent', state, command.type, ['Draining'], 'be resumed');
  return [{ type: 'AgentResumed', data: {} }];
}

/** Records that an agent is gone (its heartbeats stopped, or it shut down). */
export function markAgentOffline(command: Command<'MarkAgentOffline'>, state: AgentState): AgentEvent[] {
  requireStatus('agent', state, command.type, ['Online', 'Draining'], 'go offline');
  return [{ type: 'AgentWentOffline', data: { reason: command.data.reason } }];
}

/**
 * Decides what an agent command means for the agent in `state`: the events to append
 * (empty for a no-op), or a thrown `InvalidTransitionError` / `NotFoundError`.
 */
export function decideAgent(
  command: AgentCommand,
  state: AgentState,
  // Agents decide nothing by the clock; the context keeps every decider's signature the same.
  _ctx: DecideContext,
): AgentEvent[] {
  switch (command.type) {
    case 'RegisterAgent':
      return registerAgent(command, state);
    case 'DrainAgent':
      return drainAgent(command, state);
    case 'ResumeAgent':
      return resumeAgent(command, state);
    case 'MarkAgentOffline':
      return markAgentOffline(command, state);
    default:
      return unknownCommand('agent', command);
  }
}
