/**
 * `make token ROLE=admin WS=acme [SUB=alice] [TTL=12h]`: prints a user token signed with the
 * gateway's JWT_SECRET (the same development secret under DATA_DIR when none is set).
 */
import { parseArgs } from 'node:util';
import { loadConfig, runCli, ValidationError } from '@flywheel/core';
import { ROLES, Role, SubjectToken } from '@flywheel/schemas';
import { signUserToken, tokenKey } from '../auth/user-token';

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };
const MAX_TTL_SECONDS = 30 * 86400;

/** "3600", "90m", "12h", "7d" as seconds. */
function parseTtl(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text);
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2] || 's']! : Number.NaN;
  if (!(seconds > 0 && seconds <= MAX_TTL_SECONDS)) {
    throw new ValidationError(`TTL=${text}: expected a duration up to 30d such as 3600, 90m, 12h or 7d`);
  }
  return seconds;
}

runCli(async () => {
  const { values } = parseArgs({
    options: {
      role: { type: 'string', default: 'admin' },
      ws: { type: 'string', default: 'default' },
      sub: { type: 'string' },
      ttl: { type: 'string', default: '12h' },
    },
  });
  const role = Role.safeParse(values.role || 'admin');
  if (!role.success) throw new ValidationError(`ROLE=${values.role}: expected one of ${ROLES.join(', ')}`);
  const ws = SubjectToken.safeParse(values.ws || 'default');
  if (!ws.success) throw new ValidationError(`WS=${values.ws}: use only letters, digits, "_" and "-" (1-64)`);
  const user = values.sub || `dev@${ws.data}`;
  const ttlSeconds = parseTtl(values.ttl || '12h');
  const config = loadConfig();
  for (const w of config.warnings) console.error(`warning: ${w}`);
  const token = await signUserToken(
    tokenKey(config.jwtSecret),
    { user, workspace: ws.data, role: role.data },
    { ttlSeconds },
  );
  console.error(`token for ${user} in workspace ${ws.data} as ${role.data}, valid ${ttlSeconds} s:`);
  console.log(token);
});
