import { loadConfig } from '../config/config';
import { formatReport, runDiagnostics } from '../diagnostics';
import { runCli } from './run-cli';

runCli(async () => {
  const config = loadConfig();
  const results = await runDiagnostics(config, {
    ...(process.env.GATEWAY_URL ? { gatewayUrl: process.env.GATEWAY_URL } : {}),
    ...(process.env.TOKEN ? { token: process.env.TOKEN } : {}),
  });
  if (process.argv.includes('--json'))
    console.log(JSON.stringify({ at: new Date().toISOString(), results }, null, 2));
  else console.log(formatReport(results, process.stdout.isTTY));
  if (results.some((r) => r.status === 'fail')) process.exitCode = 1;
});
