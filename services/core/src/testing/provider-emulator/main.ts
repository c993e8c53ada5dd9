import { z } from 'zod';
import { startProviderEmulator } from './emulator';

// The emulator is a development tool, not a service: it reads its own two variables here
// rather than the gateway's configuration, so `make demo` can start it on its own.
const Env = z.object({
  EMULATOR_PORT: z.coerce
    .number({ error: 'expected a port number' })
    .int('expected a whole port number')
    .min(1, 'expected a port between 1 and 65535')
    .max(65535, 'expected a port between 1 and 65535')
    .default(4010),
  EMULATOR_HOST: z.string().min(1).default('127.0.0.1'),
});

const env = Env.safeParse(process.env);
if (!env.success) {
  console.error('provider emulator: configuration is invalid:');
  for (const issue of env.error.issues) console.error(`  ${issue.path.join('.')}: ${issue.message}`);
  process.exit(1);
}

startProviderEmulator({ port: env.data.EMULATOR_PORT, host: env.data.EMULATOR_HOST }).then(
  (emulator) => {
    console.log(`provider emulator listening on ${emulator.url}`);
    console.log(`  anthropic accounts: baseUrl ${emulator.baseUrl('anthropic')}`);
    console.log(
      `  control API:        ${emulator.url}/_emulator/ (keys/:key, default, calls, reset, health)`,
    );
    const stop = () => void emulator.close().then(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  },
  (err: unknown) => {
    console.error(`provider emulator failed to start: ${(err as Error).message}`);
    process.exit(1);
  },
);
