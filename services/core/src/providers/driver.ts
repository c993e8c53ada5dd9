import type { Provider } from '@flywheel/schemas';

/**
 * The contract between the gateway and one AI provider's API. The agent runs sessions through
 * `run`; the dispatcher checks accounts through `verify`. A driver never throws for anything the
 * provider or the network does: every such outcome is a value, so callers decide (cooldown,
 * failover, Error) from one union instead of from exception types.
 */

/** What a driver needs to call the provider on behalf of one account. Never logged. */
export interface ProviderCredential {
  readonly kind: 'api_key' | 'oauth';
  readonly secret: string;
  /** A proxy or emulator in front of the provider; null means the provider's public endpoint. */
  readonly baseUrl: string | null;
}

/** One prompt to run to completion, streaming its text back as it arrives. */
export interface RunRequest {
  /** null -> the driver's default model. */
  readonly model: string | null;
  readonly prompt: string;
  /** Cancel: the driver stops within 2 s and resolves `{ kind: 'cancelled' }`. */
  readonly signal: AbortSignal;
  /** Streamed text deltas, in order. */
  readonly onText: (text: string) => void;
}

/** The account hit a provider limit; it may be used again from `until`. */
export type RateLimited = {
  readonly kind: 'rate_limited';
  readonly until: Date;
  /** Which signal `until` came from; `default` when the provider gave none we could trust. */
  readonly source: 'retry-after' | 'ratelimit-reset' | 'default';
  readonly message: string;
};

/** The provider refused the credential itself; retrying on this account will not help. */
export type CredentialRejected = {
  readonly kind: 'credential_rejected';
  readonly code: 'invalid_credential' | 'missing_permission' | 'spend_limit';
  readonly reason: string;
};

export type RunOutcome =
  | { readonly kind: 'completed'; readonly inputTokens: number | null; readonly outputTokens: number | null }
  | RateLimited
  | CredentialRejected
  /** After the driver's own transient retries on the same account. */
  | { readonly kind: 'failed'; readonly reason: string; readonly retryable: boolean }
  | { readonly kind: 'cancelled' };

export type VerifyOutcome =
  | { readonly kind: 'ok' }
  | RateLimited
  | CredentialRejected
  | { readonly kind: 'unavailable'; readonly reason: string };

/** One provider's API behind the gateway's vocabulary of outcomes. */
export interface ProviderDriver {
  readonly provider: Provider;
  /** Runs one prompt; resolves with what happened. Rejects only if the caller's own `onText` throws. */
  run(credential: ProviderCredential, request: RunRequest): Promise<RunOutcome>;
  /** The cheapest authenticated call: is this credential usable right now? */
  verify(credential: ProviderCredential): Promise<VerifyOutcome>;
}
