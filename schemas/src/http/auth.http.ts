import { z } from 'zod';
import { SubjectToken } from '../envelope';

/** What a token may do; the permission matrix lives in the gateway's auth and in docs/architecture.md. */
export const ROLES = ['admin', 'operator', 'viewer'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

/** The claims the gateway requires in a JWT besides `exp`: who, which workspace, which role. */
export const TokenClaims = z.object({
  sub: z.string({ error: 'expected a string "sub" (user)' }).min(1).max(200),
  ws: SubjectToken,
  role: z.enum(ROLES, { error: `expected "role" to be one of ${ROLES.join(', ')}` }),
});
export type TokenClaims = z.infer<typeof TokenClaims>;

/** `GET /api/v1/me`: who the token belongs to. */
export const MeResponse = z
  .strictObject({
    user: z.string(),
    workspace: z.string(),
    role: Role,
  })
  .meta({ id: 'Me' });
export type MeResponse = z.infer<typeof MeResponse>;

/** `?token=` is accepted on every route (the WebSocket cannot send headers); nothing else is. */
export const AuthQuery = z.strictObject({
  token: z.string().max(8192).optional().describe('a JWT, for clients that cannot send a header'),
});
