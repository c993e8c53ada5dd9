import { describe, expect, it } from 'vitest';
import { apiGetEvery } from './api-client';
import { ApiError } from './api-error';

/** A gateway list of `total` numbered items served `limit` at a time, recording each URL asked for. */
function pagedList(total: number) {
  const urls: string[] = [];
  const fetchFn = (async (input: string | URL | Request) => {
    const url = new URL(String(input), 'http://gateway');
    urls.push(`${url.pathname}${url.search}`);
    if (url.searchParams.get('status') === 'Bad') {
      return new Response(
        JSON.stringify({ error: { code: 'validation', message: 'bad status', details: {} } }),
        { status: 400 },
      );
    }
    const from = Number(url.searchParams.get('cursor') ?? 0);
    const limit = Number(url.searchParams.get('limit'));
    const to = Math.min(total, from + limit);
    const items = Array.from({ length: to - from }, (_, i) => from + i);
    return new Response(JSON.stringify({ items, nextCursor: to < total ? String(to) : null }));
  }) as typeof fetch;
  return { urls, fetchFn };
}

describe('apiGetEvery', () => {
  it('follows nextCursor to the last page and returns every item once, in order', async () => {
    const { urls, fetchFn } = pagedList(1203);
    const all = await apiGetEvery<number>('/accounts', { status: 'Active' }, fetchFn);
    expect(all.items).toEqual(Array.from({ length: 1203 }, (_, i) => i));
    expect(all.nextCursor).toBeNull();
    expect(urls).toEqual([
      '/api/v1/accounts?status=Active&limit=500',
      '/api/v1/accounts?status=Active&limit=500&cursor=500',
      '/api/v1/accounts?status=Active&limit=500&cursor=1000',
    ]);
  });

  it('asks once for a list that fits one page, and passes a failure on', async () => {
    const { urls, fetchFn } = pagedList(3);
    expect((await apiGetEvery<number>('/agents', {}, fetchFn)).items).toEqual([0, 1, 2]);
    expect(urls).toHaveLength(1);
    await expect(apiGetEvery('/agents', { status: 'Bad' }, fetchFn)).rejects.toBeInstanceOf(ApiError);
  });
});
