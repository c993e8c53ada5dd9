export { appendCommand, sessionRequested } from './commits';
export { createTestContext, serverUrls } from './harness';
export {
  createIsolatedContext,
  type ServerUrls,
  type TestContext,
  type TestContextOptions,
} from './isolated-context';
export * from './provider-emulator';
export {
  freePort,
  mintToken,
  SERVICE_NAMES,
  type ServiceName,
  type ServiceProcess,
  startServiceProcess,
} from './service-process';
