/**
 * The named errors every service maps to a response. Each carries a stable `code` that
 * clients may branch on; `details` holds structured, secret-free context.
 */
export abstract class FlywheelError extends Error {
  abstract readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  constructor(message: string, options?: ErrorOptions & { details?: Record<string, unknown> }) {
    super(message, options);
    this.details = options?.details;
  }
}

/** Input that fails validation; `details.issues` names each bad field. */
export class ValidationError extends FlywheelError {
  override readonly name = 'ValidationError';
  readonly code = 'validation_failed';
}

/** The aggregate moved on since it was loaded (expected version did not match). */
export class VersionConflictError extends FlywheelError {
  override readonly name = 'VersionConflictError';
  readonly code = 'version_conflict';
  constructor(
    readonly subject: string,
    readonly expectedVersion: number,
    options?: ErrorOptions,
  ) {
    super(`${subject} is no longer at version ${expectedVersion}; reload and retry`, {
      ...options,
      details: { expectedVersion },
    });
  }
}

/** A command the aggregate's current state does not allow. */
export class InvalidTransitionError extends FlywheelError {
  override readonly name = 'InvalidTransitionError';
  readonly code = 'invalid_transition';
}

/**
 * An aggregate's stored events contradict each other (an event its state cannot follow).
 * Never caused by input: it means a bug or a damaged log, so it must not be papered over.
 */
export class CorruptStreamError extends FlywheelError {
  override readonly name = 'CorruptStreamError';
  readonly code = 'corrupt_stream';
}

/** A stored message a read model cannot apply; it goes to the dead letters and the projection goes on. */
export class ProjectionError extends FlywheelError {
  override readonly name = 'ProjectionError';
  readonly code = 'projection_failed';
}

export class NotFoundError extends FlywheelError {
  override readonly name = 'NotFoundError';
  readonly code = 'not_found';
}

/** The caller is not authenticated (no, bad or expired token). */
export class UnauthorizedError extends FlywheelError {
  override readonly name = 'UnauthorizedError';
  readonly code = 'unauthorized';
}

/** The caller is authenticated but their role may not do this. */
export class ForbiddenError extends FlywheelError {
  override readonly name = 'ForbiddenError';
  readonly code = 'forbidden';
}

/** The infrastructure (NATS, JetStream, Postgres) is not in the state we need. */
export class InfrastructureError extends FlywheelError {
  override readonly name = 'InfrastructureError';
  readonly code = 'infrastructure_unavailable';
}

/** An existing stream's settings differ from what this version of the gateway expects. */
export class StreamConfigMismatchError extends FlywheelError {
  override readonly name = 'StreamConfigMismatchError';
  readonly code = 'stream_config_mismatch';
}

/** Configuration is invalid; `problems` has one line per variable. */
export class ConfigError extends FlywheelError {
  override readonly name = 'ConfigError';
  readonly code = 'invalid_config';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** No driver is built for this provider yet; the caller should not accept work for it. */
export class ProviderNotSupportedError extends FlywheelError {
  override readonly name = 'ProviderNotSupportedError';
  readonly code = 'provider_not_supported';
}

/** A provider (or a proxy in front of it) answered in a shape its protocol does not allow. */
export class ProviderProtocolError extends FlywheelError {
  override readonly name = 'ProviderProtocolError';
  readonly code = 'provider_protocol_error';
}

/** An `Idempotency-Key` already used for a different request (other body, route or parameters). */
export class IdempotencyKeyReusedError extends FlywheelError {
  override readonly name = 'IdempotencyKeyReusedError';
  readonly code = 'idempotency_key_reused';
}

/** The first request with this `Idempotency-Key` is still running; retry shortly for its answer. */
export class IdempotencyInProgressError extends FlywheelError {
  override readonly name = 'IdempotencyInProgressError';
  readonly code = 'idempotency_in_progress';
}

/** The vault holds no usable credential for an account: never stored, destroyed, or the master key changed. */
export class CredentialUnavailableError extends FlywheelError {
  override readonly name = 'CredentialUnavailableError';
  readonly code = 'credential_unavailable';
}

/** A consumer's checkpoint moved under it: another consumer already applied the same events. */
export class CheckpointConflictError extends FlywheelError {
  override readonly name = 'CheckpointConflictError';
  readonly code = 'checkpoint_conflict';
}
