import { ConfigError } from '../errors/errors';

/**
 * Runs an operator command: its own output is plain text for people, and any failure
 * ends in a short message and exit code 1, never a stack trace (set DEBUG=1 for one).
 */
export function runCli(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      if (err instanceof ConfigError) {
        console.error('Configuration is invalid:');
        for (const p of err.problems) console.error(`  ${p}`);
      } else {
        console.error(`error: ${(err as Error).message ?? String(err)}`);
        if (process.env.DEBUG) console.error(err);
      }
      process.exit(1);
    },
  );
}
