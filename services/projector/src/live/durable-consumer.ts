import type { Logger } from '@flywheel/core';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
} from '@nats-io/jetstream';

/** How long JetStream waits for an ack before redelivering; redeliveries are skipped by sequence. */
const ACK_WAIT_NS = 30 * 1e9;
/** At most this many messages delivered and not yet acked; bounds the projector's buffer. */
export const MAX_ACK_PENDING = 10_000;

async function info(jsm: JetStreamManager, stream: string, durable: string) {
  try {
    return await jsm.consumers.info(stream, durable);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return null;
    throw err;
  }
}

/**
 * Makes the durable consumer deliver from `checkpoint + 1`, through the manager API, once
 * at start-up (and after a lost message). The Postgres checkpoint is the truth: a consumer
 * left with unacked deliveries by a crash (committed but not acked, or not committed) would
 * hold them back for the ack wait and deliver newer ones first, so it is recreated at the
 * checkpoint instead. A consumer that is exactly at the checkpoint is kept.
 */
export async function positionConsumer(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  checkpoint: number,
  logger: Logger,
  force = false,
): Promise<void> {
  const current = await info(jsm, stream, durable);
  if (
    !force &&
    current !== null &&
    current.config.ack_policy === AckPolicy.All &&
    !current.config.filter_subject &&
    current.num_ack_pending === 0 &&
    current.ack_floor.stream_seq === checkpoint
  ) {
    return;
  }
  if (current !== null) {
    logger.info(
      { durable, checkpoint, ackFloor: current.ack_floor.stream_seq, pending: current.num_ack_pending },
      'repositioning projection consumer at its checkpoint',
    );
    await jsm.consumers.delete(stream, durable);
  }
  await jsm.consumers.add(stream, {
    durable_name: durable,
    description: 'Flywheel projector: read model fed in stream order, acked after each Postgres commit',
    ack_policy: AckPolicy.All,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: checkpoint + 1,
    ack_wait: ACK_WAIT_NS,
    max_ack_pending: MAX_ACK_PENDING,
  });
}
