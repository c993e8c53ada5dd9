import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/errors';
import { loadConfig } from './config';

const base = { JWT_SECRET: 'x'.repeat(40), GATEWAY_MASTER_KEY: 'a'.repeat(64) };

describe('agent configuration', () => {
  it('defaults to one anthropic agent named for this host, four sessions at once', () => {
    const { agent } = loadConfig(base);
    expect(agent.providers).toEqual(['anthropic']);
    expect(agent.maxConcurrent).toBe(4);
    expect(agent.id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(agent.id.endsWith(`-${process.pid}`)).toBe(true);
  });

  it('reads the agent variables', () => {
    const { agent } = loadConfig({
      ...base,
      AGENT_ID: 'worker-1',
      AGENT_NAME: 'Build box',
      AGENT_PROVIDERS: 'anthropic, openai,anthropic',
      AGENT_MAX_CONCURRENT: '12',
      AGENT_DRAIN_TIMEOUT_MS: '5000',
    });
    expect(agent).toEqual({
      id: 'worker-1',
      name: 'Build box',
      providers: ['anthropic', 'openai'],
      maxConcurrent: 12,
      drainTimeoutMs: 5000,
    });
  });

  it('reports each bad agent variable on its own line', () => {
    let problems: readonly string[] = [];
    try {
      loadConfig({ ...base, AGENT_ID: 'a.b', AGENT_PROVIDERS: 'anthropic,acme', AGENT_MAX_CONCURRENT: '0' });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      problems = (err as ConfigError).problems;
    }
    expect(problems).toEqual([
      expect.stringMatching(/^AGENT_ID: /),
      expect.stringMatching(/^AGENT_PROVIDERS: .*unknown: acme/),
      expect.stringMatching(/^AGENT_MAX_CONCURRENT: /),
    ]);
  });
});
