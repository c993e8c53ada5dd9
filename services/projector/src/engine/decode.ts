import { FifoCache, ProjectionError, type StoredEvent, type Topology } from '@flywheel/core';
import {
  AGGREGATE_TYPES,
  type AggregateType,
  type DomainEvent,
  OutputChunk,
  SubjectToken,
  upcastEventData,
} from '@flywheel/schemas';
import type { CommitMessage, OutputMessage } from '../projections/projection';
import { jsonbProblem } from './table-catalog';

const DECODER = new TextDecoder();

/** A stream message as the engine sees it: its sequence, subject and bytes. */
export interface RawMessage {
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
}

/** A message decoded for the projections, or the reason it could not be. */
export type Decoded<M> =
  | { readonly seq: number; readonly raw: RawMessage; readonly message: M }
  | { readonly seq: number; readonly raw: RawMessage; readonly error: Error };

/** Turns raw bytes into a projection's message; throws `ProjectionError` when they are not one. */
export type Decoder<M> = (raw: RawMessage) => M;

function parseJson(raw: RawMessage): unknown {
  try {
    return JSON.parse(DECODER.decode(raw.data));
  } catch (cause) {
    throw new ProjectionError(`message ${raw.seq} is not JSON`, { cause });
  }
}

const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** What is wrong with a stored envelope, or null. Hand-written: it runs once per event on replay. */
function envelopeProblem(e: Record<string, unknown>): string | null {
  if (!isText(e.id) || !isText(e.type)) return 'id and type must be text';
  if (!Number.isInteger(e.version)) return 'version must be an integer';
  if (!isText(e.workspace)) return 'workspace must be text';
  const aggregate = e.aggregate as Record<string, unknown> | null;
  if (
    typeof aggregate !== 'object' ||
    aggregate === null ||
    !isAggregateType(aggregate.type) ||
    !isText(aggregate.id)
  ) {
    return 'aggregate must be { type, id }';
  }
  if (!isText(e.at) || !ISO_TIME.test(e.at)) return 'at must be an ISO 8601 time';
  const actor = e.actor as Record<string, unknown> | null;
  if (typeof actor !== 'object' || actor === null || !isText(actor.kind) || !isText(actor.id)) {
    return 'actor must be { kind, id }';
  }
  if (!isText(e.causationId) || !isText(e.correlationId)) return 'causationId and correlationId must be text';
  return null;
}

const isAggregateType = (v: unknown): v is AggregateType =>
  (AGGREGATE_TYPES as readonly unknown[]).includes(v);

/**
 * Decodes one `EVENTS` commit: checks the envelope, upcasts each event to its current
 * version (validating its data against that version's schema), and checks that every
 * event belongs to the same aggregate (one commit, one aggregate).
 */
export const decodeCommit: Decoder<CommitMessage> = (raw) => {
  const parsed = parseJson(raw) as { events?: unknown } | null;
  const list = typeof parsed === 'object' && parsed !== null ? parsed.events : undefined;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ProjectionError(`message ${raw.seq} is not a commit: events must be a non-empty list`);
  }
  const first = list[0] as StoredEvent;
  const events = list.map((item: unknown, i): StoredEvent => {
    const e = item as Record<string, unknown>;
    const problem = typeof e === 'object' && e !== null ? envelopeProblem(e) : 'not an object';
    if (problem !== null) throw new ProjectionError(`commit ${raw.seq}: event ${i}: ${problem}`);
    const event = e as unknown as StoredEvent;
    if (
      event.workspace !== first.workspace ||
      event.aggregate.type !== first.aggregate.type ||
      event.aggregate.id !== first.aggregate.id
    ) {
      throw new ProjectionError(`commit ${raw.seq} mixes aggregates`);
    }
    try {
      // The parsed object is this call's own: completed in place rather than copied per event.
      const stored = e as { data: unknown; seq: number };
      stored.data = upcastEventData(event.type as DomainEvent['type'], event.version, event.data);
      stored.seq = raw.seq;
      return event;
    } catch (cause) {
      throw new ProjectionError(`commit ${raw.seq}: ${(cause as Error).message}`, { cause });
    }
  });
  return { seq: raw.seq, events };
};

/** Decodes `OUTPUT` chunks; the workspace and session come from the subject. */
export function outputDecoder(topology: Topology): Decoder<OutputMessage> {
  // `<prefix>.fw.output.>` without the wildcard.
  const prefix = topology.output.subjects.slice(0, -1);
  return (raw) => {
    const tokens = raw.subject.startsWith(prefix) ? raw.subject.slice(prefix.length).split('.') : [];
    const [workspace, sessionId] = tokens;
    if (
      tokens.length !== 2 ||
      !SubjectToken.safeParse(workspace).success ||
      !SubjectToken.safeParse(sessionId).success
    ) {
      throw new ProjectionError(`output message ${raw.seq} has an unexpected subject ${raw.subject}`);
    }
    const chunk = OutputChunk.safeParse(parseJson(raw));
    if (!chunk.success) {
      const where = chunk.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new ProjectionError(`output message ${raw.seq} is not a chunk: ${where}`, { cause: chunk.error });
    }
    return { seq: raw.seq, workspace: workspace!, sessionId: sessionId!, chunk: chunk.data };
  };
}

/** Decodes a message, keeping the error instead of throwing so one bad message does not stop a batch. */
export function decode<M>(decoder: Decoder<M>, raw: RawMessage): Decoded<M> {
  try {
    return { seq: raw.seq, raw, message: decoder(raw) };
  } catch (error) {
    return { seq: raw.seq, raw, error: error as Error };
  }
}

/** A dead letter's payload: the message as JSON when it is JSON Postgres can store, else its text. */
export function deadLetterPayload(raw: RawMessage): unknown {
  // jsonb refuses NUL characters, escaped or not, and unpaired surrogates; keep such a
  // message as plain text (its escapes then stay text), or it could never be stored.
  const text = DECODER.decode(raw.data).replaceAll('\u0000', '\uFFFD');
  try {
    const value: unknown = JSON.parse(text);
    if (jsonbProblem(JSON.stringify(value)) === null) return value;
  } catch {
    // Not JSON: stored as text below.
  }
  return { subject: raw.subject, text: text.slice(0, 65_536) };
}

/**
 * Decodes each message of one stream once for all the projections of this process that
 * read it: they receive the same messages at about the same time, and decoding (JSON,
 * envelope, upcast and validation of every event) is most of a small batch's CPU.
 * Projections never change a message, so sharing the decoded value is safe.
 */
export function sharedDecoder<M>(decoder: Decoder<M>, capacity = 20_000): (raw: RawMessage) => Decoded<M> {
  const recent = new FifoCache<number, Decoded<M>>(capacity);
  return (raw) => {
    const hit = recent.get(raw.seq);
    if (hit !== undefined) return hit;
    const decoded = decode(decoder, raw);
    recent.set(raw.seq, decoded);
    return decoded;
  };
}
