/** Turns a pg connection error into one sentence that says what to fix. */
export function describeDatabaseError(err: unknown, url: string): string {
  const e = err as { code?: string; message?: string };
  const u = new URL(url);
  const where = `${u.hostname}:${u.port || 5432}`;
  const db = u.pathname.replace(/^\//, '');
  switch (e.code) {
    case 'ECONNREFUSED':
      return `PostgreSQL is not reachable at ${where}: start it (make up starts one) or point DATABASE_URL at a running server`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host in DATABASE_URL (${u.hostname}) does not resolve: check DATABASE_URL`;
    case 'ETIMEDOUT':
      return `connecting to PostgreSQL at ${where} timed out: check the network and firewall`;
    case '3D000':
      return `database "${db}" does not exist at ${where}: run make migrate, which creates it`;
    case '28P01':
    case '28000':
      return `PostgreSQL at ${where} refused the credentials in DATABASE_URL: check user and password`;
    case '42501':
      return `the user in DATABASE_URL lacks a permission: ${e.message}`;
    default:
      return `PostgreSQL at ${where}: ${e.message ?? String(err)}`;
  }
}
