import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverUrls } from '../testing';
import { createPgPool } from './database';

let pool: pg.Pool;
let killer: pg.Pool;
const failures: Error[] = [];

beforeAll(async () => {
  const { databaseUrl } = serverUrls();
  pool = createPgPool(databaseUrl, { max: 2, onConnectionError: (err) => failures.push(err) });
  killer = createPgPool(databaseUrl, { max: 1 });
});

afterAll(async () => {
  await pool?.end();
  await killer?.end();
});

const pidOf = async (client: pg.PoolClient) =>
  (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
const terminate = (pid: number) => killer.query('select pg_terminate_backend($1)', [pid]);

const reported = async (n: number) => {
  for (let i = 0; i < 100 && failures.length < n; i++) await new Promise((r) => setTimeout(r, 20));
  return failures.length;
};

describe('a pool whose connections die', () => {
  it('survives an idle connection terminated, reports it, and answers the next query', async () => {
    const client = await pool.connect();
    const pid = await pidOf(client);
    client.release();
    const before = failures.length;
    // Idle in the pool: without a listener, its 'error' event would end the process.
    await terminate(pid);
    expect(await reported(before + 1)).toBeGreaterThan(before);
    expect((await pool.query('select 1 as one')).rows[0].one).toBe(1);
  });

  it('survives a checked-out connection terminated between two queries; the pool replaces it', async () => {
    const client = await pool.connect();
    const before = failures.length;
    await terminate(await pidOf(client));
    expect(await reported(before + 1)).toBeGreaterThan(before);
    await expect(client.query('select 1')).rejects.toThrow();
    client.release();
    const fresh = await pool.connect();
    try {
      expect((await fresh.query('select 2 as two')).rows[0].two).toBe(2);
    } finally {
      fresh.release();
    }
  });
});
