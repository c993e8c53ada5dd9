export type { CheckResult, CheckStatus } from './check';
export { type DiagnosticsOptions, formatReport, runDiagnostics } from './diagnostics';
