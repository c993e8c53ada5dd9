import type { Readable } from 'svelte/store';
import { apiGetEvery } from '../api/api-client';
import type { AgentRow } from '../api/resources';
import { type LiveListState, liveListStore } from '../live/live-list-store';
import type { LiveSocket } from '../live/live-socket';
import { reduceAgent } from './agent-reducer';

/** Sessions started and finished move an agent's load and last-seen time without an agent event: reload that often. */
export const AGENTS_REFRESH_MS = 10_000;

/** Every agent worker, kept live by the `agents` feed. */
export function agentsStore(socket: LiveSocket): Readable<LiveListState<AgentRow>> {
  return liveListStore<AgentRow>({
    socket,
    topic: 'agents',
    load: () => apiGetEvery<AgentRow>('/agents'),
    refreshMs: AGENTS_REFRESH_MS,
    rules: { reduce: reduceAgent, accepts: () => true, showsNew: true, mayEnter: () => false },
  });
}
