import { z } from 'zod';

/** The limit families a scripted rate limit can exhaust (Anthropic's names). */
export const LIMIT_FAMILIES = ['requests', 'tokens', 'input-tokens', 'output-tokens'] as const;
/** Which rate-limit signals a scripted 429 carries. */
export const RATE_LIMIT_SIGNALS = ['all', 'retry-after', 'reset', 'none'] as const;
/** How a successful stream ends: normally, or in one of the ways real streams go wrong. */
export const STREAM_ENDINGS = ['complete', 'broken', 'cut', 'never', 'overloaded'] as const;
/** Statuses a transient-error burst can answer with. */
export const TRANSIENT_STATUSES = [500, 502, 503, 504, 529] as const;
/** Permanent refusals of a key. */
export const REJECTIONS = ['invalid_key', 'permission', 'spend_limit'] as const;

const seconds = z.number().finite();

/**
 * How the emulator treats every request made with one key. Provider-neutral: each
 * provider's routes render the same behaviour in that provider's wire format.
 */
export const KeyScript = z
  .object({
    /** Refuse the key permanently: 401, 403, or the provider's spend-limit error. */
    reject: z.enum(REJECTIONS).nullable().default(null),
    /** Number of text chunks a completed stream carries (ignored when `text` is given). */
    chunks: z.number().int().min(0).max(100_000).default(3),
    /** The exact text chunks, in order. */
    text: z.array(z.string().max(100_000)).max(100_000).nullable().default(null),
    /** Delay before each text chunk, in milliseconds. */
    latencyMs: z.number().int().min(0).max(600_000).default(0),
    /** Let `afterCalls` requests through per window, then answer 429 until `resetSeconds` pass. */
    rateLimit: z
      .object({
        afterCalls: z.number().int().min(0),
        resetSeconds: seconds.positive().max(86_400),
        limit: z.enum(LIMIT_FAMILIES).default('requests'),
        signals: z.enum(RATE_LIMIT_SIGNALS).default('all'),
        /** Advertise this reset (seconds from now; negative = past, huge = years ahead) instead of the true one. */
        advertisedResetSeconds: seconds.min(-1e9).max(1e10).nullable().default(null),
      })
      .nullable()
      .default(null),
    /** Answer `count` requests (null = every request) with this status before behaving normally. */
    transientErrors: z
      .object({
        status: z.union(TRANSIENT_STATUSES.map((s) => z.literal(s))),
        count: z.number().int().min(1).nullable().default(null),
        retryAfterSeconds: z.number().int().min(0).max(86_400).nullable().default(null),
      })
      .nullable()
      .default(null),
    streamEnding: z.enum(STREAM_ENDINGS).default('complete'),
    /** Pad every response with a header this many bytes long (clients cap header size). */
    hugeHeaderBytes: z.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();

export type KeyScript = z.infer<typeof KeyScript>;
export type KeyScriptInput = z.input<typeof KeyScript>;

export const DEFAULT_KEY_SCRIPT: KeyScript = KeyScript.parse({});
