import type { NatsHandle } from '@flywheel/core';
import { decode, decodeCommit } from '../engine/decode';
import { StreamReader } from '../replay/stream-reader';

/** Messages read per call, as the replay reads them. */
const CHUNK = 250;

/**
 * The replay's first step alone: reads a whole `EVENTS` stream through the replay's reader
 * and decodes every commit (JSON, envelope, upcast, validation), writing nothing. No replay
 * can be faster on the same thread, so the bench reports it beside `make replay`.
 */
export async function readAndDecode(
  nats: NatsHandle,
  stream: string,
): Promise<{ readonly messages: number; readonly events: number; readonly seconds: number }> {
  const reader = new StreamReader(nats, stream);
  const { last } = await reader.bounds();
  const started = performance.now();
  let messages = 0;
  let events = 0;
  try {
    while (reader.lastSeq < last) {
      const chunk = await reader.read(last, CHUNK);
      if (chunk.length === 0) break;
      for (const raw of chunk) {
        const d = decode(decodeCommit, raw);
        messages += 1;
        events += 'message' in d ? d.message.events.length : 1;
      }
    }
  } finally {
    reader.stop();
  }
  return { messages, events, seconds: (performance.now() - started) / 1000 };
}
