import { z } from 'zod';

export const PROVIDERS = ['anthropic', 'openai', 'google'] as const;
export const Provider = z.enum(PROVIDERS);
export type Provider = z.infer<typeof Provider>;

export const Timestamp = z.iso.datetime();

/** A lone UTF-16 surrogate: in `u` mode a pair is one code point, so only an unpaired one matches. */
const UNPAIRED_SURROGATE = /\p{Cs}/u;

/**
 * Text the read models can store: Postgres text and jsonb refuse NUL, and jsonb an
 * unpaired surrogate. Refused at the API, not discovered by the projector, which could
 * only dead-letter the command after it was accepted.
 */
export const StorableText = z
  .string()
  .refine(
    (s) => !s.includes('\u0000') && !UNPAIRED_SURROGATE.test(s),
    'must be Unicode text without NUL characters or unpaired surrogates',
  );

/** Free-form labels a caller attaches to a session; bounded so one session cannot bloat the log. */
export const Metadata = z
  .record(StorableText.min(1).max(64), StorableText.max(512))
  .refine((m) => Object.keys(m).length <= 32, 'at most 32 metadata entries');
