export {
  ANTHROPIC_API_URL,
  ANTHROPIC_DEFAULT_MODEL,
  ANTHROPIC_VERSION,
  type AnthropicDriverOptions,
  createAnthropicDriver,
} from './anthropic-driver';
export type {
  CredentialRejected,
  ProviderCredential,
  ProviderDriver,
  RateLimited,
  RunOutcome,
  RunRequest,
  VerifyOutcome,
} from './driver';
export { DEFAULT_RETRY_POLICY, type DriverOptions, type RetryPolicy } from './driver-options';
export { driverFor, hasDriver } from './drivers';
