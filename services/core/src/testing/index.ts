export { createTestContext, serverUrls, type TestContext, type TestContextOptions } from './harness';
