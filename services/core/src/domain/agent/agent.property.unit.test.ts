import { AGENT_STATUSES, AgentCommand, type AgentEvent, PROVIDERS } from '@flywheel/schemas';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { emptyCoverage, runCommandSequence, type SequenceRules, stepsOf } from '../testing/command-sequence';
import { decideAgent } from './agent.decide';
import { type AgentState, agentEvolver } from './agent.state';

/** Plausible agent commands; few distinct settings, so re-registrations often repeat them. */
const agentCommand: fc.Arbitrary<AgentCommand> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('RegisterAgent' as const),
      data: fc.record({
        name: fc.constantFrom('worker-1', 'worker-2'),
        // Shuffled: the same providers in another order are the same settings.
        providers: fc.shuffledSubarray([...PROVIDERS], { minLength: 1 }),
        maxConcurrent: fc.constantFrom(1, 2),
        version: fc.constantFrom('1.4.0', '1.5.0'),
      }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('DrainAgent' as const), data: fc.constant({}) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('ResumeAgent' as const), data: fc.constant({}) }) },
  fc.record({
    type: fc.constant('MarkAgentOffline' as const),
    data: fc.record({ reason: fc.constantFrom('heartbeats stopped', 'shut down') }),
  }),
);

const sortedProviders = (providers: readonly string[]) => [...providers].sort();

const rules: SequenceRules<AgentCommand, AgentState, AgentEvent> = {
  aggregate: 'agent',
  statuses: AGENT_STATUSES,
  transitions: {
    RegisterAgent: [
      ['Initial', 'Online'],
      ['Offline', 'Online'],
      ['Online', 'Online'],
    ],
    DrainAgent: [['Online', 'Draining']],
    ResumeAgent: [['Draining', 'Online']],
    MarkAgentOffline: [
      ['Online', 'Offline'],
      ['Draining', 'Offline'],
    ],
  },
  parse: (command) => AgentCommand.parse(command),
  checkAccepted(prev, command, events, next) {
    if (command.type !== 'RegisterAgent' || next.status === 'Initial') return;
    const { name, maxConcurrent, version, providers } = command.data;
    expect({ ...next, providers: sortedProviders(next.providers) }).toMatchObject({
      name,
      maxConcurrent,
      version,
      providers: sortedProviders(providers),
    });
    // Re-registering is a no-op exactly when an Online agent announces the settings it has.
    const unchanged =
      prev.status === 'Online' &&
      prev.name === name &&
      prev.maxConcurrent === maxConcurrent &&
      prev.version === version &&
      sortedProviders(prev.providers).join() === sortedProviders(providers).join();
    expect(events.length === 0).toBe(unchanged);
  },
};

it('random agent command sequences stay within the brief and replay to the same state', () => {
  const coverage = emptyCoverage();
  fc.assert(
    fc.property(stepsOf(agentCommand, 25), (steps) => {
      runCommandSequence({ decide: decideAgent, evolver: agentEvolver }, rules, steps, coverage);
    }),
    { numRuns: 300 },
  );
  // The generators must actually reach every status and exercise every command, or the property proves little.
  expect([...coverage.statuses].sort()).toEqual([...AGENT_STATUSES].sort());
  expect([...coverage.changedBy].sort()).toEqual(Object.keys(rules.transitions).sort());
});
