import type { Config } from '../config/config';
import { getProjectionStatus, type ProjectionStatusDeps } from '../read-models/projection-status';
import type { CheckResult } from './check';

/** Each read model: is it being projected, how far behind, and are events dead-lettered. */
export async function checkProjections(deps: ProjectionStatusDeps, config: Config): Promise<CheckResult[]> {
  const statuses = await getProjectionStatus(deps);
  const newest = statuses.some((p) => p.deadLetters > 0) ? await newestDeadLetters(deps) : new Map();
  return statuses.map((p): CheckResult => {
    const base = { area: 'projections', name: p.name } as const;
    const where = `at ${p.checkpoint} of ${p.streamLastSeq} in ${p.stream}`;
    const output = p.name === 'output';
    if (p.stopped) {
      return {
        ...base,
        status: 'fail',
        detail: `${p.consumer ? 'not moving' : 'no consumer'}: ${where}, ${p.lag} behind`,
        symptom: output ? 'Session output not appearing' : 'Slow dashboard loading',
        fix: ['start the projector (make up runs it)', 'read the projector log'],
      };
    }
    if (p.deadLetters > 0) {
      return {
        ...base,
        status: 'warn',
        detail: `${p.deadLetters} event(s) in dead_letters, newest ${newest.get(p.name) ?? 'gone meanwhile'}; ${where}`,
        fix: [
          `inspect them: select * from dead_letters where projection = '${p.name}'`,
          `after a fix, rebuild: make replay PROJECTION=${p.name}`,
        ],
      };
    }
    if (p.lag > config.readyMaxLag) {
      return {
        ...base,
        status: 'warn',
        detail: `${p.lag} behind (READY_MAX_LAG ${config.readyMaxLag}): ${where}`,
        symptom: output ? 'Session output lag' : 'Slow dashboard loading',
        fix: ['check the projector CPU and PostgreSQL load', 'it catches up by itself once the burst ends'],
      };
    }
    return { ...base, status: 'ok', detail: `${p.lag} behind: ${where}` };
  });
}

/** Longest error text shown; the whole one is in the table. */
const ERROR_CHARS = 200;

/** Each projection's newest dead letter, as a line: its sequence, event type and error. */
async function newestDeadLetters(deps: ProjectionStatusDeps): Promise<Map<string, string>> {
  const rows = await deps.db
    .selectFrom('dead_letters')
    .distinctOn('projection')
    .select(['projection', 'stream_seq', 'event_type', 'error'])
    .orderBy('projection')
    .orderBy('stream_seq', 'desc')
    .execute();
  return new Map(
    rows.map((r) => {
      const error = r.error.length > ERROR_CHARS ? `${r.error.slice(0, ERROR_CHARS)}…` : r.error;
      return [r.projection, `at ${r.stream_seq} (${r.event_type}): ${error}`];
    }),
  );
}
