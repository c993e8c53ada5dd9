import { describe, expect, it } from 'vitest';
import { safeNext } from './auth-guard';
import { readTokenClaims } from './token-claims';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const token = (payload: unknown) => `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}.c2ln`;
const NOW = 1_800_000_000;

describe('readTokenClaims', () => {
  it('reads who, where and which role from a pasted token', () => {
    expect(readTokenClaims(token({ sub: 'alice', ws: 'acme', role: 'admin', exp: NOW + 60 }), NOW)).toEqual({
      ok: true,
      claims: { user: 'alice', workspace: 'acme', role: 'admin', exp: NOW + 60 },
    });
  });

  it.each([
    ['', /make token/],
    ['hello world', /three dot-separated parts/],
    [`${b64({})}.!!!.x`, /three dot-separated parts/],
    [token({ ws: 'acme', role: 'admin' }), /"sub"/],
    [token({ sub: 'a', role: 'admin' }), /"ws"/],
    [token({ sub: 'a', ws: 'acme', role: 'root' }), /admin, operator, viewer/],
    [token({ sub: 'a', ws: 'acme', role: 'viewer', exp: NOW - 1 }), /expired at .*make token/],
  ])('says what is wrong with %j', (pasted, message) => {
    const read = readTokenClaims(pasted, NOW);
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.message).toMatch(message);
  });
});

describe('safeNext', () => {
  it('returns to a page of this site and nowhere else', () => {
    expect(safeNext('/sessions/s1?x=1')).toBe('/sessions/s1?x=1');
    for (const bad of [null, '', 'https://evil.example', '//evil.example', '/\\evil', '/login', '/logout']) {
      expect(safeNext(bad)).toBe('/sessions');
    }
  });
});
