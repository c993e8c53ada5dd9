import type { Database, Logger, NatsHandle, Topology } from '@flywheel/core';
import { AgentHeartbeat } from '@flywheel/schemas';
import type { Kysely } from 'kysely';
import { addMs, type DispatchTimings } from '../domain/timer-rules';
import { recordHeartbeat } from './lookup-store';

export interface HeartbeatDeps {
  readonly nats: NatsHandle;
  readonly topology: Topology;
  readonly db: Kysely<Database>;
  readonly logger: Logger;
  readonly timings: DispatchTimings;
  readonly clock: () => Date;
  /** A live agent reported in: it may have free capacity for queued sessions. */
  readonly onHeartbeat: () => void;
}

/**
 * Records agents' heartbeats (`fw.agents.heartbeat.<agentId>`) and moves each one's silence
 * timer. Replicas share the subject in one queue group: the tables are shared, so one write
 * per heartbeat is enough. The time recorded is this dispatcher's clock, not the agent's, so
 * a skewed agent clock cannot keep a dead agent alive.
 */
export function listenForHeartbeats(deps: HeartbeatDeps): { stop(): Promise<void> } {
  const pending = new Set<Promise<void>>();
  const sub = deps.nats.nc.subscribe(deps.topology.subject('agents', 'heartbeat', '*'), {
    queue: 'dispatcher',
    callback: (err, msg) => {
      if (err) return;
      let parsed: ReturnType<typeof AgentHeartbeat.safeParse>;
      try {
        parsed = AgentHeartbeat.safeParse(msg.json());
      } catch {
        return;
      }
      if (!parsed.success) {
        deps.logger.debug({ subject: msg.subject }, 'malformed heartbeat ignored');
        return;
      }
      const hb = parsed.data;
      const at = deps.clock();
      const write = recordHeartbeat(deps.db, {
        agentId: hb.agentId,
        capacity: hb.capacity,
        at,
        silentAt: addMs(at, deps.timings.agentSilenceMs),
      }).then(
        (known) => {
          if (known) deps.onHeartbeat();
        },
        (e: unknown) => deps.logger.warn({ err: e, agentId: hb.agentId }, 'recording a heartbeat failed'),
      );
      pending.add(write);
      void write.finally(() => pending.delete(write));
    },
  });
  return {
    async stop() {
      sub.unsubscribe();
      await Promise.all(pending);
    },
  };
}
