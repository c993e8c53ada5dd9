import { z } from 'zod';
import { Timestamp } from './common';

/** Which stream a piece of output came from; `system` is the gateway's or agent's own note. */
export const OUTPUT_STREAMS = ['stdout', 'stderr', 'system'] as const;
export const OutputStream = z.enum(OUTPUT_STREAMS);
export type OutputStream = z.infer<typeof OutputStream>;

/** Most bytes of text in one chunk: agents flush before a chunk grows past it. */
export const OUTPUT_CHUNK_MAX_BYTES = 32 * 1024;

/**
 * One message on `fw.output.<workspace>.<sessionId>`. `seq` is gap-free per session from 1,
 * across attempts, so a reader can tell a missing chunk from a slow one.
 */
export const OutputChunk = z.object({
  seq: z.number().int().min(1),
  stream: OutputStream,
  // zod counts UTF-16 units, never more than the UTF-8 bytes the agent bounds the chunk by.
  text: z.string().max(OUTPUT_CHUNK_MAX_BYTES),
  at: Timestamp,
});
export type OutputChunk = z.infer<typeof OutputChunk>;
