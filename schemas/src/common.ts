import { z } from 'zod';

export const PROVIDERS = ['anthropic', 'openai', 'google'] as const;
export const Provider = z.enum(PROVIDERS);
export type Provider = z.infer<typeof Provider>;

export const Timestamp = z.iso.datetime();

/** Free-form labels a caller attaches to a session; bounded so one session cannot bloat the log. */
export const Metadata = z
  .record(z.string().min(1).max(64), z.string().max(512))
  .refine((m) => Object.keys(m).length <= 32, 'at most 32 metadata entries');
