import { loadConfig } from '../config/config';
import { runCli } from './run-cli';

runCli(async () => {
  const c = loadConfig();
  const redact = (url: string) => {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  };
  console.log('configuration is valid');
  console.log(`  NODE_ENV      ${c.env}`);
  console.log(`  listen        ${c.host}:${c.port} (public ${c.publicUrl})`);
  console.log(`  NATS_URL      ${redact(c.natsUrl)}`);
  console.log(`  DATABASE_URL  ${redact(c.databaseUrl)}`);
  console.log(`  OIDC          ${c.oidc ? c.oidc.issuer : 'not configured (token login only)'}`);
  console.log(`  streams       prefix "${c.streamPrefix}", replicas ${c.streamReplicas}`);
  for (const w of c.warnings) console.log(`  warning: ${w}`);
});
