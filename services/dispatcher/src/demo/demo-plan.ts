import type { KeyScriptInput } from '@flywheel/core/provider-emulator';

/** One demo account: how it is linked, and how the emulator treats its key. */
export interface DemoAccount {
  readonly label: string;
  readonly key: string;
  readonly maxConcurrent: number;
  readonly script: KeyScriptInput;
  /** What the user should notice about it. */
  readonly role: string;
}

// Every answer streams 8 chunks over about 2 s, so a handful of sessions overlap and the
// accounts' limits and the agent's capacity matter within seconds.
const stream = { chunks: 8, latencyMs: 250 } as const;

/**
 * Three accounts that between them show everything within a minute: rotation (all three
 * share the load), cooldown and failover (`bursty` is limited every 4 calls for 12 s),
 * queueing at the concurrency limit (2 each), and now and then every account cooling at once
 * (`spare` and `steady` run into limits too, less often), when sessions wait with an ETA.
 */
export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  {
    label: 'demo-steady',
    key: 'demo-key-steady-0001',
    maxConcurrent: 2,
    script: { ...stream, rateLimit: { afterCalls: 14, resetSeconds: 6 } },
    role: 'rarely limited',
  },
  {
    label: 'demo-bursty',
    key: 'demo-key-bursty-0002',
    maxConcurrent: 2,
    script: { ...stream, rateLimit: { afterCalls: 4, resetSeconds: 12 } },
    role: 'rate-limited every 4 calls for 12 s',
  },
  {
    label: 'demo-spare',
    key: 'demo-key-spare-0003',
    maxConcurrent: 2,
    script: { ...stream, rateLimit: { afterCalls: 8, resetSeconds: 8 } },
    role: 'rate-limited every 8 calls for 8 s',
  },
];

/** A new session about this often, with a burst of several every `burstEvery` sessions. */
export const DEMO_PACE = { intervalMs: 1300, burstEvery: 20, burstSize: 5 } as const;

const PROMPTS = [
  'Refactor the billing module and add tests for proration',
  'Find why the nightly export job times out',
  'Write a migration that splits the users table',
  'Review the retry logic in the payment webhook handler',
  'Add pagination to the audit log endpoint',
  'Explain the flaky test in the scheduler suite',
  'Port the CSV importer to streaming parsing',
  'Draft release notes for version 2.4',
];

/** The prompt of the n-th demo session. */
export function demoPrompt(n: number): string {
  return `#${n} ${PROMPTS[n % PROMPTS.length]}`;
}
