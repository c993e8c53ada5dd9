import { describe, expect, it } from 'vitest';
import { AGENT_STATUS_ORDER } from '../api/resources';
import { listHref, parseListFilter } from './list-filter';

describe('list filters', () => {
  it('reads the status and provider a list knows from its URL and drops the rest', () => {
    const parse = (qs: string) => parseListFilter(new URLSearchParams(qs), AGENT_STATUS_ORDER);
    expect(parse('status=Offline&provider=openai')).toEqual({ status: 'Offline', provider: 'openai' });
    expect(parse('status=Running&provider=acme&x=1')).toEqual({ status: null, provider: null });
    expect(parse('')).toEqual({ status: null, provider: null });
  });

  it('writes the URL of a list with only the filters set', () => {
    expect(listHref('/agents', { status: null, provider: null })).toBe('/agents');
    expect(listHref('/accounts', { status: 'Error', provider: null })).toBe('/accounts?status=Error');
    expect(listHref('/sessions', { status: 'Queued', provider: 'google', cursor: 'a.b' })).toBe(
      '/sessions?status=Queued&provider=google&cursor=a.b',
    );
  });
});
