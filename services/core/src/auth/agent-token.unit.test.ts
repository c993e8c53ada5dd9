import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../errors/errors';
import { AgentTokenSource, mintAgentToken, verifyAgentToken } from './agent-token';

const SECRET = 'agent-token-test-secret-0123456789abcdef';
const key = new TextEncoder().encode(SECRET);

describe('agent tokens', () => {
  it('verifies a minted token and returns the agent id', async () => {
    expect(await verifyAgentToken(SECRET, await mintAgentToken(SECRET, 'agent-7'))).toBe('agent-7');
  });

  it('refuses a token signed with another secret', async () => {
    const token = await mintAgentToken('another-secret-another-secret-0123456', 'agent-7');
    await expect(verifyAgentToken(SECRET, token)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('refuses an expired token, saying so', async () => {
    const token = await mintAgentToken(SECRET, 'agent-7', new Date(Date.now() - 2 * 60 * 60 * 1000));
    await expect(verifyAgentToken(SECRET, token)).rejects.toThrow(/expired/);
  });

  it('refuses a user token signed with the same secret', async () => {
    const user = await new SignJWT({ role: 'admin', ws: 'acme' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('agent-7')
      .setExpirationTime('1h')
      .sign(key);
    await expect(verifyAgentToken(SECRET, user)).rejects.toThrow(/not an agent token/);
  });

  it('refuses an unsigned token', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'agent-7', role: 'agent', ws: '*' })}.`;
    await expect(verifyAgentToken(SECRET, unsigned)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('hands out the same token until it is half-way to expiry, then a new one', async () => {
    const source = new AgentTokenSource(SECRET, 'agent-7');
    const t0 = new Date('2026-01-01T00:00:00Z');
    const first = await source.token(t0);
    expect(await source.token(new Date(t0.getTime() + 29 * 60 * 1000))).toBe(first);
    expect(await source.token(new Date(t0.getTime() + 31 * 60 * 1000))).not.toBe(first);
  });
});
