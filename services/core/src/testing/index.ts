export { createTestContext, serverUrls } from './harness';
export {
  createIsolatedContext,
  type ServerUrls,
  type TestContext,
  type TestContextOptions,
} from './isolated-context';
export * from './provider-emulator';
