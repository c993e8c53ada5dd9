/** What a failed write means for the batch that caused it. */
export type WriteFailure = 'data' | 'transient' | 'bug';

/**
 * Classifies a Postgres write failure by SQLSTATE class. `data` (22 data exception, 23
 * integrity): one message's values are refused, so that message is isolated and, after
 * its attempts, dead-lettered. `transient` (connection, resources, shutdown, conflicts,
 * lock timeouts): the same batch is retried. Anything else (42 undefined table or column,
 * an exception in our own code) is a bug, and the process stops rather than limp on.
 */
export function classifyWriteFailure(err: unknown): WriteFailure {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    if (code.startsWith('22') || code.startsWith('23')) return 'data';
    if (['08', '40', '53', '57', '58'].some((c) => code.startsWith(c)) || code === '55P03')
      return 'transient';
    return 'bug';
  }
  if (typeof code === 'string' && code.startsWith('E')) return 'transient'; // ECONNRESET, ETIMEDOUT, …
  const message = (err as Error).message ?? '';
  return /connection|terminated|timeout/i.test(message) ? 'transient' : 'bug';
}
