export type {
  CredentialRejected,
  ProviderCredential,
  ProviderDriver,
  RateLimited,
  RunOutcome,
  RunRequest,
  VerifyOutcome,
} from './driver';
