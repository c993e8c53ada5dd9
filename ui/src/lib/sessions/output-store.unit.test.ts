import { describe, expect, it } from 'vitest';
import type { OutputChunk } from '../api/resources';
import { appendChunk, type OutputState } from './output-store';

const chunk = (seq: number, text = `line ${seq}\n`): OutputChunk => ({
  seq,
  stream: 'stdout',
  text,
  at: 'T',
});
const empty: OutputState = { chunks: [], missingBefore: 0, gaps: [], following: true };
const feed = (seqs: number[], max?: number) => seqs.reduce((s, n) => appendChunk(s, chunk(n), max), empty);

describe('appendChunk', () => {
  it('keeps chunks in order and drops one it already has', () => {
    expect(feed([1, 2, 2, 1, 3]).chunks.map((c) => c.seq)).toEqual([1, 2, 3]);
  });

  it('says how many earlier chunks are gone when the stream no longer has the first ones', () => {
    expect(feed([41, 42])).toMatchObject({ missingBefore: 40, gaps: [] });
  });

  it('records a hole between two chunks instead of hiding it', () => {
    expect(feed([1, 2, 5]).gaps).toEqual([{ from: 3, to: 4 }]);
  });

  it('trims the oldest chunks past the maximum and counts them', () => {
    const s = feed([1, 2, 3, 4, 5], 3);
    expect(s.chunks.map((c) => c.seq)).toEqual([3, 4, 5]);
    expect(s.missingBefore).toBe(2);
  });
});
