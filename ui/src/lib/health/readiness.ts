import type { Ready } from '@flywheel/schemas';
import { type Readable, readable } from 'svelte/store';

/** What the dashboard says about how far it can be trusted; null when the gateway is ready. */
export interface Readiness {
  /** `stale`: some read model is stopped or behind, so the pages may show old states. */
  readonly kind: 'stale' | 'degraded';
  readonly problems: readonly string[];
}

const count = (n: number) => n.toLocaleString('en-US');

/** Turns a `/ready` answer into the lines the banner shows. */
export function describeReadiness(body: Ready): Readiness | null {
  if (body.status === 'ready') return null;
  const problems: string[] = [];
  const projections = body.checks.projections;
  for (const p of projections.items) {
    if (p.ok) continue;
    if (p.stopped && p.lag === 0) {
      problems.push(
        `${p.name}: not being projected; up to date at ${count(p.checkpoint)}, new events will not show`,
      );
    } else if (p.stopped) {
      problems.push(
        `${p.name}: not being projected, ${count(p.lag)} events behind (at ${count(p.checkpoint)} of ${count(p.streamLastSeq)})`,
      );
    } else {
      problems.push(`${p.name}: ${count(p.lag)} events behind (more than ${count(projections.maxLag)})`);
    }
  }
  const stale = problems.length > 0;
  for (const [name, check] of Object.entries(body.checks)) {
    if (check.ok || (name === 'projections' && stale)) continue;
    problems.push(`${name}: ${check.message ?? 'not ready'}`);
  }
  return { kind: stale ? 'stale' : 'degraded', problems };
}

/** How often the dashboard asks; `/ready` measures every projection, so not more. */
export const READINESS_POLL_MS = 10_000;

/**
 * The gateway's readiness, asked while anything shows it: at once, then every
 * READINESS_POLL_MS. A gateway that cannot be reached keeps the last answer: the
 * connection indicator already says it is unreachable.
 */
export function readinessStore(fetchFn: typeof fetch = fetch): Readable<Readiness | null> {
  return readable<Readiness | null>(null, (set) => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ask = async () => {
      try {
        const res = await fetchFn('/ready', { headers: { accept: 'application/json' } });
        if (!stopped && (res.status === 200 || res.status === 503)) {
          set(describeReadiness((await res.json()) as Ready));
        }
      } catch {
        // Unreachable or not JSON: keep what was shown.
      }
      if (!stopped) timer = setTimeout(ask, READINESS_POLL_MS);
    };
    void ask();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  });
}
