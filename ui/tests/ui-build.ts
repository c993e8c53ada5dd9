import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The dashboard build the gateway serves by default. */
export const UI_BUILD_HANDLER = fileURLToPath(new URL('../build/handler.js', import.meta.url));

/** Builds the dashboard (`make ui` does the same) unless a build is already there. */
export function ensureUiBuild(): void {
  if (existsSync(UI_BUILD_HANDLER)) return;
  execFileSync('node_modules/.bin/vite', ['build'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: 'ignore',
    timeout: 300_000,
  });
}
