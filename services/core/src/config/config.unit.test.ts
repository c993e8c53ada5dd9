import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/errors';
import { loadConfig } from './config';

const secret = 'a'.repeat(32);
const key = 'ab'.repeat(32);
const base = { JWT_SECRET: secret, GATEWAY_MASTER_KEY: key };

function problems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(base);
    expect(c.port).toBe(3000);
    expect(c.natsUrl).toBe('nats://127.0.0.1:4222');
    expect(c.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/flywheel');
    expect(c.publicUrl).toBe('http://localhost:3000');
    expect(c.masterKey).toHaveLength(32);
    expect(c.oidc).toBeNull();
  });

  it('reports every bad variable on its own line, naming it and what is expected', () => {
    const lines = problems({
      ...base,
      PORT: '70000',
      NATS_URL: 'localhost:4222',
      DATABASE_URL: 'mysql://x',
      JWT_SECRET: 'short',
      GATEWAY_MASTER_KEY: 'nope',
      LOG_LEVEL: 'loud',
    });
    expect(lines).toHaveLength(6);
    for (const v of ['PORT', 'NATS_URL', 'DATABASE_URL', 'JWT_SECRET', 'GATEWAY_MASTER_KEY', 'LOG_LEVEL']) {
      expect(lines.some((l) => l.startsWith(`${v}: expected`))).toBe(true);
    }
  });

  it('never echoes a secret value in a problem', () => {
    const lines = problems({ JWT_SECRET: 'hunter2-not-long', GATEWAY_MASTER_KEY: 'also-secret-value' });
    expect(lines.join('\n')).not.toMatch(/hunter2|also-secret/);
  });

  it('requires secrets in production and all OIDC variables together', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual([
      'JWT_SECRET: required in production (openssl rand -hex 32)',
      'GATEWAY_MASTER_KEY: required in production (openssl rand -hex 32)',
    ]);
    expect(problems({ ...base, OIDC_ISSUER: 'https://id.example.com' })).toEqual([
      'OIDC_CLIENT_ID: required when any OIDC_* variable is set',
      'OIDC_CLIENT_SECRET: required when any OIDC_* variable is set',
    ]);
  });

  it('generates development secrets once and reuses them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-config-'));
    const first = loadConfig({ DATA_DIR: dir });
    const second = loadConfig({ DATA_DIR: dir });
    expect(first.jwtSecret).toBe(second.jwtSecret);
    expect(first.masterKey.equals(second.masterKey)).toBe(true);
    expect(first.warnings).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(dir, 'dev-secrets.json'), 'utf8')).jwtSecret).toBe(first.jwtSecret);
  });
});
