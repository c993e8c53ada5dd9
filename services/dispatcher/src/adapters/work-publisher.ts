import type { NatsHandle, Topology } from '@flywheel/core';
import { WorkItem, workItemMsgId } from '@flywheel/schemas';

const ENCODER = new TextEncoder();

/**
 * Puts a dispatched session on its provider's work queue. The message id is the session and
 * attempt, so publishing the same dispatch twice (a retry after a lost ack) stores it once.
 */
export async function publishWorkItem(nats: NatsHandle, topology: Topology, item: WorkItem): Promise<void> {
  await nats.js.publish(
    topology.workSubject(item.provider),
    ENCODER.encode(JSON.stringify(WorkItem.parse(item))),
    {
      msgID: workItemMsgId(item.sessionId, item.attempt),
    },
  );
}
