import type { Role } from '@flywheel/schemas';

/** What a route may ask of its caller's role. */
export const ACTIONS = [
  'read',
  'sessions.start',
  'sessions.cancel',
  'accounts.verify',
  'accounts.link',
  'accounts.revoke',
  'audit.read',
] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * The permission matrix (docs/architecture.md shows it as a table): viewers read; operators
 * also run sessions and re-verify accounts; admins also link and revoke accounts, and read
 * the audit log.
 */
export const GRANTS: Readonly<Record<Role, readonly Action[]>> = {
  viewer: ['read'],
  operator: ['read', 'sessions.start', 'sessions.cancel', 'accounts.verify'],
  admin: ACTIONS,
};

const DESCRIPTIONS: Readonly<Record<Action, string>> = {
  read: 'read',
  'sessions.start': 'start sessions',
  'sessions.cancel': 'cancel sessions',
  'accounts.verify': 're-verify accounts',
  'accounts.link': 'link accounts',
  'accounts.revoke': 'revoke accounts',
  'audit.read': 'read the audit log',
};

/** True when `role` may perform `action`. */
export function mayAct(role: Role, action: Action): boolean {
  return GRANTS[role].includes(action);
}

/** Lower-case phrase for messages: "link accounts". */
export function describeAction(action: Action): string {
  return DESCRIPTIONS[action];
}

/** The roles that may perform `action`, for messages. */
export function rolesFor(action: Action): Role[] {
  return (Object.keys(GRANTS) as Role[]).filter((r) => mayAct(r, action));
}
