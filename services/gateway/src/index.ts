export { API_PREFIX, type AppDeps, buildApp } from './app';
export { ACTIONS, type Action, GRANTS, mayAct } from './auth/permissions';
export { createTokenVerifier, type TokenVerifier } from './auth/token-verifier';
export {
  type Principal,
  signUserToken,
  tokenKey,
  type VerifiedToken,
  verifyUserToken,
} from './auth/user-token';
