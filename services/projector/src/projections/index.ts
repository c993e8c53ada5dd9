import { PROJECTIONS, type ProjectionName, type Topology } from '@flywheel/core';
import { type Decoder, decodeCommit, outputDecoder } from '../engine/decode';
import { accountsProjection } from './accounts.projection';
import { agentsProjection } from './agents.projection';
import { eventIndexProjection } from './event-index.projection';
import { outputProjection } from './output.projection';
import type { CommitMessage, OutputMessage, Projection } from './projection';
import { sessionsProjection } from './sessions.projection';

/** The projections over `EVENTS`, in the order replay feeds them each decoded commit. */
export const COMMIT_PROJECTIONS: readonly Projection<CommitMessage>[] = [
  sessionsProjection,
  accountsProjection,
  agentsProjection,
  eventIndexProjection,
];

/** The projections over `OUTPUT`. */
export const OUTPUT_PROJECTIONS: readonly Projection<OutputMessage>[] = [outputProjection];

export type AnyMessage = CommitMessage | OutputMessage;

/** A projection bound to the stream it reads and the decoder for that stream's messages. */
export interface Feed<M = AnyMessage> {
  readonly projection: Projection<M>;
  readonly stream: string;
  /** Every subject of the stream: projections read it all, so the checkpoint tracks the stream's head. */
  readonly subjects: string;
  readonly decoder: Decoder<M>;
}

/** The feeds for `names` (all projections by default), in a stable order. */
export function feedsFor(topology: Topology, names?: readonly ProjectionName[]): Feed[] {
  const decodeOutput = outputDecoder(topology);
  const all: Feed[] = [
    ...COMMIT_PROJECTIONS.map(
      (projection): Feed<CommitMessage> => ({
        projection,
        stream: topology.events.stream,
        subjects: topology.events.subjects,
        decoder: decodeCommit,
      }),
    ),
    ...OUTPUT_PROJECTIONS.map(
      (projection): Feed<OutputMessage> => ({
        projection,
        stream: topology.output.stream,
        subjects: topology.output.subjects,
        decoder: decodeOutput,
      }),
    ),
  ] as Feed[];
  return all.filter((f) => (names ?? Object.keys(PROJECTIONS)).includes(f.projection.name));
}
