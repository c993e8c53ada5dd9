import type { OutputChunk } from '@flywheel/schemas';
import { describe, expect, it, vi } from 'vitest';
import { OutputPublisher, type PublishChunk } from './output-publisher';

/** A sink in place of the OUTPUT stream: what would be stored, by msg id, dedupe included. */
function sink(fail: (msgId: string, attempt: number) => boolean = () => false) {
  const stored = new Map<string, OutputChunk>();
  const tries = new Map<string, number>();
  const publish: PublishChunk = async (_subject, data, msgId) => {
    const attempt = (tries.get(msgId) ?? 0) + 1;
    tries.set(msgId, attempt);
    if (fail(msgId, attempt)) throw new Error('publish failed');
    if (!stored.has(msgId)) stored.set(msgId, JSON.parse(new TextDecoder().decode(data)) as OutputChunk);
  };
  return { publish, stored, tries, chunks: () => [...stored.values()] };
}

const make = (publish: PublishChunk, over: Partial<ConstructorParameters<typeof OutputPublisher>[0]> = {}) =>
  new OutputPublisher({
    publish,
    subject: 'fw.output.acme.ses_1',
    sessionId: 'ses_1',
    attempt: 1,
    firstSeq: 1,
    flushMs: 10_000,
    ...over,
  });

describe('OutputPublisher', () => {
  it('joins text written within the window into one chunk', async () => {
    const s = sink();
    const out = make(s.publish);
    for (const t of ['a', 'b', 'c']) out.write('stdout', t);
    await out.flush();
    expect(s.chunks()).toEqual([{ seq: 1, stream: 'stdout', text: 'abc', at: expect.any(String) }]);
    expect(out.lastSeq).toBe(1);
  });

  it('flushes on its own once the window passes', async () => {
    const s = sink();
    const out = make(s.publish, { flushMs: 5 });
    out.write('stdout', 'tick');
    await vi.waitFor(() => expect(s.chunks().map((c) => c.text)).toEqual(['tick']));
  });

  it('cuts at the byte limit without splitting a character, and numbers chunks from firstSeq', async () => {
    const s = sink();
    const out = make(s.publish, { maxBytes: 8, firstSeq: 5 });
    // "é" is 2 bytes and "😀" 4: the limit falls inside characters more than once.
    const text = 'abcdefé😀xyzé😀😀q';
    out.write('stdout', text);
    await out.flush();
    const chunks = s.chunks();
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i + 5));
    expect(chunks.map((c) => c.text).join('')).toBe(text);
    for (const c of chunks) {
      expect(Buffer.byteLength(c.text)).toBeLessThanOrEqual(8);
      expect(c.text).not.toMatch(/\uFFFD/);
    }
    expect(out.lastSeq).toBe(4 + chunks.length);
  });

  it('starts a new chunk when the stream changes, keeping the order', async () => {
    const s = sink();
    const out = make(s.publish);
    out.write('stdout', 'one');
    out.write('stdout', 'two');
    out.write('system', 'note');
    out.write('stdout', 'three');
    await out.flush();
    expect(s.chunks().map((c) => [c.seq, c.stream, c.text])).toEqual([
      [1, 'stdout', 'onetwo'],
      [2, 'system', 'note'],
      [3, 'stdout', 'three'],
    ]);
  });

  it('retries a failed publish under the same msg id, so nothing is stored twice', async () => {
    const s = sink((msgId, attempt) => msgId === 'ses_1.1.2' && attempt === 1);
    const out = make(s.publish, { maxBytes: 4 });
    out.write('stdout', 'aaaabbbbcccc');
    await out.flush();
    expect(s.tries.get('ses_1.1.2')).toBe(2);
    expect(s.chunks().map((c) => c.text)).toEqual(['aaaa', 'bbbb', 'cccc']);
  });

  it('gives up after its tries and stores nothing after the lost chunk, so readers see no gap', async () => {
    const s = sink((msgId) => msgId === 'ses_1.1.2');
    const out = make(s.publish, { maxBytes: 4, publishAttempts: 2 });
    out.write('stdout', 'aaaabbbbcccc');
    await expect(out.flush()).rejects.toThrow(/chunk 2 could not be stored/);
    expect(s.chunks().map((c) => c.seq)).toEqual([1]);
    out.write('stdout', 'more');
    await expect(out.flush()).rejects.toThrow();
    expect(s.chunks().map((c) => c.seq)).toEqual([1]);
  });
});
