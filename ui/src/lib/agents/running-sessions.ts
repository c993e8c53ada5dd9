import type { SessionRow } from '../api/resources';

/** The sessions each agent runs now, by agent id, from a live list of Running sessions. */
export function runningByAgent(rows: readonly SessionRow[]): ReadonlyMap<string, readonly string[]> {
  const byAgent = new Map<string, string[]>();
  for (const row of rows) {
    // A row that finished since the list loaded stays in it, dimmed; it runs nowhere now.
    if (row.status !== 'Running' || !row.agentId) continue;
    const ids = byAgent.get(row.agentId) ?? [];
    ids.push(row.id);
    byAgent.set(row.agentId, ids);
  }
  return byAgent;
}
