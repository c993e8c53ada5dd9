import type { EventEnvelope } from '@flywheel/schemas';

/** An event as a feed delivers it: the stored envelope plus the stream sequence of its commit. */
export type LiveEvent = Omit<
  EventEnvelope<Readonly<Record<string, unknown>>>,
  'causationId' | 'correlationId'
> & {
  readonly seq: number;
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The event in a feed item, or null when the item is not one (the page then ignores it). */
export function asLiveEvent(data: unknown): LiveEvent | null {
  if (!isRecord(data) || !isRecord(data.aggregate) || !isRecord(data.data)) return null;
  const { id, type, at, seq } = data;
  if (typeof id !== 'string' || typeof type !== 'string' || typeof at !== 'string') return null;
  if (typeof seq !== 'number' || typeof data.aggregate.id !== 'string') return null;
  return data as unknown as LiveEvent;
}
