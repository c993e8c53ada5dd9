import { AGENT_ROLE } from '@flywheel/schemas';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { UnauthorizedError } from '../errors/errors';

/** Agent tokens live an hour; agents mint a fresh one well before that (see `AgentTokenSource`). */
const TTL_SECONDS = 60 * 60;
const ENCODER = new TextEncoder();

/**
 * Signs the token an agent sends with every request: HS256 with the shared JWT secret,
 * `sub` = agent id, `role` = agent, `ws` = `*` (agents serve every workspace).
 */
export async function mintAgentToken(secret: string, agentId: string, now = new Date()): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({ role: AGENT_ROLE, ws: '*' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(agentId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + TTL_SECONDS)
    .sign(ENCODER.encode(secret));
}

/** Verifies an agent token and returns the agent id it was issued to; anything else is `UnauthorizedError`. */
export async function verifyAgentToken(secret: string, token: string): Promise<string> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, ENCODER.encode(secret), { algorithms: ['HS256'] }));
  } catch (cause) {
    const why = cause instanceof joseErrors.JWTExpired ? 'the agent token has expired' : 'bad agent token';
    throw new UnauthorizedError(`${why}: mint one with the gateway's JWT_SECRET`, { cause });
  }
  if (payload.role !== AGENT_ROLE || typeof payload.sub !== 'string' || payload.sub === '') {
    throw new UnauthorizedError('not an agent token: expected role "agent" and the agent id as sub');
  }
  return payload.sub;
}

/** Hands out an agent's token, minting a new one when the current one is past half its life. */
export class AgentTokenSource {
  private current: { readonly token: string; readonly renewAt: number } | null = null;

  constructor(
    private readonly secret: string,
    private readonly agentId: string,
  ) {}

  async token(now = new Date()): Promise<string> {
    if (this.current === null || now.getTime() >= this.current.renewAt) {
      const token = await mintAgentToken(this.secret, this.agentId, now);
      this.current = { token, renewAt: now.getTime() + (TTL_SECONDS * 1000) / 2 };
    }
    return this.current.token;
  }
}
