import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { PROVIDERS, type Provider } from '@flywheel/schemas';
import { z } from 'zod';
import { ConfigError } from '../errors/errors';

const NODE_ENVS = ['development', 'production', 'test'] as const;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const port = z.coerce
  .number({ error: 'expected a port number' })
  .int('expected a whole port number')
  .min(1, 'expected a port between 1 and 65535')
  .max(65535, 'expected a port between 1 and 65535');

const url = (schemes: readonly string[], example: string) =>
  z.string({ error: `expected a URL such as ${example}` }).refine((v) => {
    try {
      return schemes.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `expected a URL such as ${example}`);

/** A 32-byte key given as 64 hex characters or base64. */
const masterKey = z.string().transform((v, ctx) => {
  const buf = /^[0-9a-fA-F]{64}$/.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'base64');
  if (buf.length !== 32) {
    ctx.addIssue({
      code: 'custom',
      message: 'expected 32 bytes as 64 hex characters or base64 (openssl rand -hex 32)',
    });
    return z.NEVER;
  }
  return buf;
});

const positiveInt = (what: string) =>
  z.coerce
    .number({ error: `expected ${what}` })
    .int(`expected ${what}`)
    .positive(`expected ${what}`);

/** Agent ids are NATS subject tokens (heartbeat subject, aggregate id). */
const agentId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected 1-64 letters, digits, "_" or "-"');

/** A comma-separated list of providers, such as "anthropic,openai". */
const providerList = z.string().transform((v, ctx) => {
  const list = [
    ...new Set(
      v
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    ),
  ];
  const unknown = list.filter((p) => !(PROVIDERS as readonly string[]).includes(p));
  if (list.length === 0 || unknown.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a comma-separated list of ${PROVIDERS.join(', ')}${unknown.length > 0 ? ` (unknown: ${unknown.join(', ')})` : ''}`,
    });
    return z.NEVER;
  }
  return list as Provider[];
});

/** The default agent id: this host and process, made safe for a subject token. */
function defaultAgentId(): string {
  return `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(-64);
}

const EnvSchema = z.object({
  NODE_ENV: z.enum(NODE_ENVS, { error: `expected one of ${NODE_ENVS.join(', ')}` }).default('development'),
  PORT: port.default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  NATS_URL: url(['nats:', 'tls:', 'ws:', 'wss:'], 'nats://127.0.0.1:4222').default('nats://127.0.0.1:4222'),
  DATABASE_URL: url(['postgres:', 'postgresql:'], 'postgres://postgres@127.0.0.1:5432/flywheel').default(
    'postgres://postgres@127.0.0.1:5432/flywheel',
  ),
  JWT_SECRET: z
    .string()
    .refine((v) => Buffer.byteLength(v) >= 32, 'expected at least 32 bytes (openssl rand -hex 32)')
    .optional(),
  GATEWAY_MASTER_KEY: masterKey.optional(),
  OIDC_ISSUER: url(['https:', 'http:'], 'https://login.example.com').optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  PUBLIC_URL: url(['https:', 'http:'], 'http://localhost:3000').optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  DATA_DIR: z.string().min(1).default('./data'),
  STREAM_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, 'expected letters, digits, "_" or "-"')
    .default(''),
  STREAM_REPLICAS: z.coerce
    .number()
    .int()
    .refine((n) => n === 1 || n === 3 || n === 5, 'expected 1, 3 or 5')
    .default(1),
  OUTPUT_MAX_AGE_DAYS: z.coerce
    .number({ error: 'expected a number of days (0 keeps output forever)' })
    .min(0)
    .default(30),
  READY_MAX_LAG: positiveInt('a positive number of events').default(1000),
  AGENT_ID: agentId.optional(),
  AGENT_NAME: z.string().min(1).max(100, 'expected at most 100 characters').optional(),
  AGENT_PROVIDERS: providerList.default(['anthropic']),
  AGENT_MAX_CONCURRENT: positiveInt('a positive number of sessions')
    .max(1000, 'expected at most 1000 sessions')
    .default(4),
  AGENT_DRAIN_TIMEOUT_MS: positiveInt('a positive number of milliseconds').default(30_000),
  DISPATCH_START_TIMEOUT_MS: positiveInt('a positive number of milliseconds').default(60_000),
  DISPATCH_AGENT_TIMEOUT_MS: positiveInt('a positive number of milliseconds').default(15_000),
  DISPATCH_VERIFY_MAX_BACKOFF_MS: positiveInt('a positive number of milliseconds').default(300_000),
  UI_BUILD_DIR: z.string().min(1).optional(),
});

export type NodeEnv = (typeof NODE_ENVS)[number];

/** The validated configuration every service reads; built once by `loadConfig`. */
export interface Config {
  readonly env: NodeEnv;
  readonly port: number;
  readonly host: string;
  readonly natsUrl: string;
  readonly databaseUrl: string;
  readonly jwtSecret: string;
  readonly masterKey: Buffer;
  readonly oidc: { readonly issuer: string; readonly clientId: string; readonly clientSecret: string } | null;
  readonly publicUrl: string;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly dataDir: string;
  readonly streamPrefix: string;
  readonly streamReplicas: number;
  readonly outputMaxAgeDays: number;
  readonly readyMaxLag: number;
  /** The dashboard build the gateway serves (`make ui`); null for the one in the repository. */
  readonly uiBuildDir: string | null;
  /** The agent worker's identity and capacity (services/agent). */
  readonly agent: {
    readonly id: string;
    readonly name: string;
    readonly providers: readonly Provider[];
    readonly maxConcurrent: number;
    /** On SIGTERM, how long running sessions may finish before they are handed back. */
    readonly drainTimeoutMs: number;
  };
  /** The dispatcher's timers (services/dispatcher). */
  readonly dispatch: {
    /** A session Starting this long is requeued once, then failed. */
    readonly startTimeoutMs: number;
    /** An agent silent this long is Offline. */
    readonly agentSilenceMs: number;
    /** Longest wait between verification retries while a provider is unavailable. */
    readonly verifyMaxBackoffMs: number;
  };
  /** Things that are allowed but worth a line in the log (generated dev secrets). */
  readonly warnings: readonly string[];
}

interface DevSecrets {
  jwtSecret: string;
  masterKey: string;
}

/**
 * Development convenience: secrets generated once and kept under the data directory so
 * that `make token` and restarts agree. Production must set them explicitly.
 */
function devSecrets(dataDir: string): DevSecrets {
  const file = join(dataDir, 'dev-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DevSecrets;
  mkdirSync(dataDir, { recursive: true });
  const secrets = { jwtSecret: randomBytes(32).toString('hex'), masterKey: randomBytes(32).toString('hex') };
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

/**
 * Reads and validates configuration from `env`. Throws `ConfigError` with one line per
 * problem, naming the variable and what is expected; never echoes a secret value.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(defined);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`${issue.path.join('.')}: ${issue.message}`);
    }
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const warnings: string[] = [];
  const production = e.NODE_ENV === 'production';

  if (production && !e.JWT_SECRET) problems.push('JWT_SECRET: required in production (openssl rand -hex 32)');
  if (production && !e.GATEWAY_MASTER_KEY) {
    problems.push('GATEWAY_MASTER_KEY: required in production (openssl rand -hex 32)');
  }
  const oidcVars = [e.OIDC_ISSUER, e.OIDC_CLIENT_ID, e.OIDC_CLIENT_SECRET];
  if (oidcVars.some(Boolean) && !oidcVars.every(Boolean)) {
    for (const [name, value] of [
      ['OIDC_ISSUER', e.OIDC_ISSUER],
      ['OIDC_CLIENT_ID', e.OIDC_CLIENT_ID],
      ['OIDC_CLIENT_SECRET', e.OIDC_CLIENT_SECRET],
    ] as const) {
      if (!value) problems.push(`${name}: required when any OIDC_* variable is set`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const dataDir = resolve(e.DATA_DIR);
  let jwtSecret = e.JWT_SECRET;
  let key = e.GATEWAY_MASTER_KEY;
  if (!jwtSecret || !key) {
    const dev = devSecrets(dataDir);
    if (!jwtSecret) {
      jwtSecret = dev.jwtSecret;
      warnings.push(
        `JWT_SECRET not set: using a development secret from ${join(dataDir, 'dev-secrets.json')}`,
      );
    }
    if (!key) {
      key = Buffer.from(dev.masterKey, 'hex');
      warnings.push(
        `GATEWAY_MASTER_KEY not set: using a development key from ${join(dataDir, 'dev-secrets.json')}`,
      );
    }
  }

  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    natsUrl: e.NATS_URL,
    databaseUrl: e.DATABASE_URL,
    jwtSecret,
    masterKey: key,
    oidc:
      e.OIDC_ISSUER && e.OIDC_CLIENT_ID && e.OIDC_CLIENT_SECRET
        ? { issuer: e.OIDC_ISSUER, clientId: e.OIDC_CLIENT_ID, clientSecret: e.OIDC_CLIENT_SECRET }
        : null,
    publicUrl: e.PUBLIC_URL ?? `http://localhost:${e.PORT}`,
    logLevel: e.LOG_LEVEL,
    dataDir,
    streamPrefix: e.STREAM_PREFIX,
    streamReplicas: e.STREAM_REPLICAS,
    outputMaxAgeDays: e.OUTPUT_MAX_AGE_DAYS,
    readyMaxLag: e.READY_MAX_LAG,
    uiBuildDir: e.UI_BUILD_DIR ? resolve(e.UI_BUILD_DIR) : null,
    agent: {
      id: e.AGENT_ID ?? defaultAgentId(),
      name: e.AGENT_NAME ?? hostname().slice(0, 100),
      providers: e.AGENT_PROVIDERS,
      maxConcurrent: e.AGENT_MAX_CONCURRENT,
      drainTimeoutMs: e.AGENT_DRAIN_TIMEOUT_MS,
    },
    dispatch: {
      startTimeoutMs: e.DISPATCH_START_TIMEOUT_MS,
      agentSilenceMs: e.DISPATCH_AGENT_TIMEOUT_MS,
      verifyMaxBackoffMs: e.DISPATCH_VERIFY_MAX_BACKOFF_MS,
    },
    warnings,
  };
}
