import { describe, expect, it } from 'vitest';
import { PageCache } from './page-cache';

/** A change source whose generation the test moves by hand. */
function source(initial: string | null = 'g1') {
  const s = { value: initial, generation: () => s.value };
  return s;
}

describe('PageCache', () => {
  it('renders a page once per generation and key', async () => {
    const changes = source();
    const cache = new PageCache(changes, 'sessions');
    let renders = 0;
    const render = async () => `page ${++renders}`;
    expect(await cache.get('a', render)).toBe('page 1');
    expect(await cache.get('a', render)).toBe('page 1');
    expect(await cache.get('b', render)).toBe('page 2');
    changes.value = 'g2';
    expect(await cache.get('a', render)).toBe('page 3');
  });

  it('keeps a page rendered across a change out of the cache', async () => {
    const changes = source();
    const cache = new PageCache(changes, 'sessions');
    expect(
      await cache.get('a', async () => {
        changes.value = 'g2';
        return 'before the commit';
      }),
    ).toBe('before the commit');
    expect(await cache.get('a', async () => 'after')).toBe('after');
  });

  it('caches nothing while no change would be seen', async () => {
    const cache = new PageCache(source(null), 'sessions');
    let renders = 0;
    await cache.get('a', async () => String(++renders));
    expect(await cache.get('a', async () => String(++renders))).toBe('2');
  });

  it('evicts the oldest page beyond its capacity', async () => {
    const cache = new PageCache(source(), 'sessions', 2);
    for (const k of ['a', 'b', 'c']) await cache.get(k, async () => k);
    expect(await cache.get('a', async () => 'rendered again')).toBe('rendered again');
    expect(await cache.get('c', async () => 'rendered again')).toBe('c');
  });
});
