import { readCommit, type Topology } from '@flywheel/core';
import { AGENTS_WORKSPACE, type WsTopic } from '@flywheel/schemas';
import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';

/** Where a topic's messages come from in JetStream, and where a subscription without a cursor starts. */
export interface TopicSource {
  readonly stream: string;
  readonly filter: string;
  /** Whole-history topics (one session) replay from the start; workspace feeds start live. */
  readonly fromStart: boolean;
  readonly kind: 'events' | 'output';
}

/** Maps a topic to its stream and subject filter, always inside the caller's workspace. */
export function topicSource(topology: Topology, workspace: string, topic: WsTopic): TopicSource {
  const events = (filter: string, fromStart: boolean): TopicSource => ({
    stream: topology.events.stream,
    filter,
    fromStart,
    kind: 'events',
  });
  if (topic === 'sessions') return events(topology.eventSubject(workspace, 'session', '*'), false);
  if (topic === 'accounts') return events(topology.eventSubject(workspace, 'account', '*'), false);
  // Agents serve every workspace, so their aggregates live under one shared token.
  if (topic === 'agents') return events(topology.eventSubject(AGENTS_WORKSPACE, 'agent', '*'), false);
  const [kind, id] = topic.split(':') as ['session' | 'output', string];
  if (kind === 'session') return events(topology.eventSubject(workspace, 'session', id), true);
  return {
    stream: topology.output.stream,
    filter: topology.outputSubject(workspace, id),
    fromStart: true,
    kind: 'output',
  };
}

/** One delivered item: its cursor (stream sequence) and the payload the client sees. */
export interface FeedItem {
  readonly cursor: number;
  readonly data: unknown;
}

export interface Feed {
  close(): Promise<void>;
}

/**
 * Follows a topic with an ordered consumer: in order, without gaps or duplicates, from
 * right after `after` (or per the topic's default), then live. Ordered consumers are
 * ephemeral and recreated by the client library on a gap, which is what resuming needs.
 */
export async function openFeed(
  js: JetStreamClient,
  source: TopicSource,
  after: number | undefined,
  deliver: (items: readonly FeedItem[]) => void,
  onError: (err: Error) => void,
): Promise<Feed> {
  const start =
    after !== undefined
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: after + 1 }
      : { deliver_policy: source.fromStart ? DeliverPolicy.All : DeliverPolicy.New };
  // A string filter (not an array) keeps the request valid for nats-server 2.9.
  const consumer = await js.consumers.get(source.stream, { filter_subjects: source.filter, ...start });
  const messages = await consumer.consume({ max_messages: 256 });
  (async () => {
    for await (const m of messages) {
      if (source.kind === 'events') {
        deliver(readCommit(m.seq, m.data).map((e) => ({ cursor: m.seq, data: e })));
      } else {
        deliver([{ cursor: m.seq, data: m.json() }]);
      }
    }
  })().catch(onError);
  return {
    async close() {
      await messages.close();
    },
  };
}
