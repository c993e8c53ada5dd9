export { API_PREFIX, type AppDeps, buildApp } from './app';
export { ACTIONS, type Action, GRANTS, mayAct } from './auth/permissions';
export { type Principal, signUserToken, tokenKey, verifyUserToken } from './auth/user-token';
