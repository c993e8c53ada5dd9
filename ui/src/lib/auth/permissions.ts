import type { Role } from '@flywheel/schemas';

/** What the dashboard offers a user; the gateway decides (403), this only keeps buttons honest. */
export const UI_ACTIONS = [
  'sessions.start',
  'sessions.cancel',
  'accounts.verify',
  'accounts.link',
  'accounts.revoke',
  'audit.read',
] as const;
export type UiAction = (typeof UI_ACTIONS)[number];

/** The gateway's permission matrix (docs/architecture.md): viewers read, operators run, admins manage. */
const GRANTS: Readonly<Record<Role, readonly UiAction[]>> = {
  viewer: [],
  operator: ['sessions.start', 'sessions.cancel', 'accounts.verify'],
  admin: UI_ACTIONS,
};

/** True when `role` may do `action`; unknown role (not logged in) may do nothing. */
export function may(role: Role | null | undefined, action: UiAction): boolean {
  return role ? GRANTS[role].includes(action) : false;
}
