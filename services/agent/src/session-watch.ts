import { readCommit } from '@flywheel/core';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';

/** Why a running session must stop although its driver has not finished. */
export type StopCause = 'cancelled' | 'superseded';

/**
 * Watches a session's event subject (core NATS, read only: the agent never writes EVENTS)
 * and reports when someone else ended the attempt: a user cancelled it, or the dispatcher
 * failed or re-queued it (for instance after deciding this agent was lost).
 */
export async function watchSession(
  nc: NatsConnection,
  subject: string,
  onStop: (cause: StopCause) => void,
): Promise<Subscription> {
  const sub = nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err) return;
      let types: string[];
      try {
        types = readCommit(0, msg.data).map((e) => e.type);
      } catch {
        return;
      }
      if (types.includes('SessionCancelled')) onStop('cancelled');
      else if (types.includes('SessionFailed') || types.includes('SessionRequeued')) onStop('superseded');
    },
  });
  // The subscription must be live on the server before the session starts, or a cancel
  // right after the start could pass unseen.
  await nc.flush();
  return sub;
}
