import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's Chromium, which the e2e tests drive (playwright-core downloads no browser of its own). */
export const CHROMIUM = '/usr/bin/chromium';

/** Flags for a headless browser in a container: no sandbox (root), no GPU, no background traffic. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
];

/**
 * Installs Chromium from the OS packages when it is missing. Returns null when it is there,
 * else why it could not be installed, for the skip message.
 */
export function ensureChromium(): string | null {
  if (existsSync(CHROMIUM)) return null;
  if (process.getuid?.() !== 0) {
    return `${CHROMIUM} is missing and installing it needs root: run \`sudo apt-get install -y chromium\``;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args: string[]) => spawnSync('apt-get', args, { env, stdio: 'ignore', timeout: 600_000 });
  const update = run(['update']);
  const install = run(['install', '-y', '--no-install-recommends', 'chromium']);
  if (existsSync(CHROMIUM)) return null;
  return `${CHROMIUM} is missing and \`apt-get install -y chromium\` failed (update exit ${update.status ?? update.error?.message}, install exit ${install.status ?? install.error?.message})`;
}
