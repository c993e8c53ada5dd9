import { type Readable, readable } from 'svelte/store';
import type { OutputChunk } from '../api/resources';
import type { LiveSocket } from '../live/live-socket';

/** What the output console renders. */
export interface OutputState {
  readonly chunks: readonly OutputChunk[];
  /** Chunks before the first one shown: expired from the stream, or trimmed to keep the page fast. */
  readonly missingBefore: number;
  /** Chunk sequences that never arrived between two that did; the feed should make this 0. */
  readonly gaps: readonly { readonly from: number; readonly to: number }[];
  /** Whether the feed stands now; false before it first does and while the socket is down. */
  readonly following: boolean;
}

/** The console keeps this many chunks; older ones stay readable through the API. */
export const MAX_CHUNKS = 5000;

function asChunk(data: unknown): OutputChunk | null {
  if (typeof data !== 'object' || data === null) return null;
  const c = data as Record<string, unknown>;
  if (typeof c.seq !== 'number' || typeof c.text !== 'string') return null;
  if (c.stream !== 'stdout' && c.stream !== 'stderr' && c.stream !== 'system') return null;
  return data as OutputChunk;
}

const EMPTY: OutputState = { chunks: [], missingBefore: 0, gaps: [], following: false };

/** Adds one chunk in sequence order: repeats are dropped, a jump is recorded as a gap. */
export function appendChunk(state: OutputState, chunk: OutputChunk, max: number = MAX_CHUNKS): OutputState {
  const last = state.chunks.at(-1)?.seq ?? state.missingBefore;
  if (chunk.seq <= last) return state;
  let { missingBefore, gaps } = state;
  if (state.chunks.length === 0 && missingBefore === 0) missingBefore = chunk.seq - 1;
  else if (chunk.seq > last + 1) gaps = [...gaps, { from: last + 1, to: chunk.seq - 1 }];
  let chunks = [...state.chunks, chunk];
  if (chunks.length > max) {
    const drop = chunks.length - max;
    missingBefore = chunks[drop - 1]!.seq;
    chunks = chunks.slice(drop);
    gaps = gaps.filter((g) => g.to > missingBefore);
  }
  return { ...state, chunks, missingBefore, gaps };
}

/**
 * A session's output as a store, from the `output:<id>` feed: the feed replays from the
 * first chunk still stored and then follows; after a reconnect it resumes behind the last
 * chunk, so the console neither loses nor repeats a line.
 */
export function outputStore(socket: Pick<LiveSocket, 'subscribe'>, sessionId: string): Readable<OutputState> {
  return readable(EMPTY, (set) => {
    let state = EMPTY;
    const off = socket.subscribe(`output:${sessionId}`, {
      subscribed: (continued) => {
        state = continued ? { ...state, following: true } : { ...EMPTY, following: true };
        set(state);
      },
      interrupted: () => {
        state = { ...state, following: false };
        set(state);
      },
      event: (data) => {
        const chunk = asChunk(data);
        if (!chunk) return;
        const next = appendChunk(state, chunk);
        if (next === state) return;
        state = next;
        set(state);
      },
    });
    return off;
  });
}
