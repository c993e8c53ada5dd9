import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectionConsumerName } from '@flywheel/core';
import {
  createTestContext,
  freePort,
  mintToken,
  type ProviderEmulator,
  type ServiceProcess,
  startProviderEmulator,
  startServiceProcess,
  type TestContext,
} from '@flywheel/core/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, ensureChromium } from './chromium';
import { ensureUiBuild } from './ui-build';

/**
 * The dashboard as a user meets it: Chromium against the gateway, projector, dispatcher and
 * agent running as `make up` runs them, on real NATS and Postgres, with the provider
 * emulator behind the account. The tests run in order, as one visit.
 */

const missing = ensureChromium();
if (missing) console.warn(`dashboard e2e skipped: ${missing}`);

const WORKSPACE = 'e2e';
const KEY = 'sk-ant-e2e-0123456789abcdef';
const OUTPUT = ['Hello from ', 'the emulator.'];
const SLOW_OUTPUT = Array.from({ length: 12 }, (_, i) => `line ${i + 1}\n`);

describe.skipIf(missing !== null)('the dashboard in a browser', () => {
  let ctx: TestContext;
  let emulator: ProviderEmulator;
  let env: Record<string, string>;
  let gateway: ServiceProcess;
  const services: ServiceProcess[] = [];
  let browser: Browser;
  let page: Page;
  let base: string;
  let sessionId: string;
  let token: string;

  /** Everything the services said, for a failing test's report. */
  const logs = () => [gateway, ...services].map((s) => `--- ${s?.name}\n${s?.output.join('')}`).join('\n');
  const indicator = () => page.locator('[data-testid=connection]');
  /** Set on the page; still there later only if the page never reloaded. */
  const mark = () => page.evaluate(() => Object.assign(window, { e2eMark: 'no reload' }));
  const marked = () => page.evaluate(() => (window as unknown as { e2eMark?: string }).e2eMark);

  beforeAll(async () => {
    ensureUiBuild();
    ctx = await createTestContext();
    emulator = await startProviderEmulator();
    emulator.script(KEY, { text: OUTPUT, latencyMs: 50 });
    const port = await freePort();
    env = { ...ctx.env, LOG_LEVEL: 'info', PORT: String(port) };
    gateway = await startServiceProcess('gateway', env);
    const { PORT: _gatewayPort, ...rest } = env;
    for (const name of ['projector', 'dispatcher'] as const)
      services.push(await startServiceProcess(name, rest));
    base = `http://127.0.0.1:${port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage();
  }, 300_000);

  beforeEach(({ onTestFailed, task }) => {
    onTestFailed(async () => {
      const shot = join(tmpdir(), `flywheel-e2e-${task.name.replace(/\W+/g, '-').slice(0, 60)}.png`);
      await page?.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
      console.error(`screenshot: ${shot}\n${logs()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of [...services].reverse()) await s.stop();
    await gateway?.stop();
    await emulator?.close();
    await ctx?.dispose();
  });

  it('sends a visitor to the login page and refuses a token the gateway did not sign', async () => {
    await page.goto(`${base}/sessions`);
    await page.waitForURL(/\/login\?next=%2Fsessions$/);
    const forged = await mintToken(
      { ...env, JWT_SECRET: 'not-the-gateway-secret-0123456789abcdef' },
      'admin',
      WORKSPACE,
    );
    await page.fill('textarea[name=token]', forged);
    await page.click('button[type=submit]');
    await page.locator('[role=alert]', { hasText: 'signature' }).waitFor();
    expect(page.url()).toContain('/login');
  });

  it('logs in with a pasted token, kept in an httpOnly cookie, and goes live', async () => {
    token = await mintToken(env, 'admin', WORKSPACE);
    await page.fill('textarea[name=token]', token);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/sessions`);
    await indicator().filter({ hasText: 'Live' }).waitFor();
    expect(await page.textContent('header')).toContain(WORKSPACE);
    const cookie = (await page.context().cookies()).find((c) => c.name === 'fw_token');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(await page.evaluate(() => document.cookie)).not.toContain('fw_token');
  });

  it('links an API-key account and shows it turn Active without a reload', async () => {
    await page.click('header nav >> text=Accounts');
    await page.waitForURL(`${base}/accounts`);
    await mark();
    const form = page.locator('[data-testid=link-account]');
    await form.locator('input[name=label]').fill('e2e key');
    await form.locator('input[name=apiKey]').fill(KEY);
    await form.locator('input[name=baseUrl]').fill(emulator.baseUrl('anthropic'));
    await form.locator('button[type=submit]').click();
    const row = page.locator('[data-testid=accounts] tr', { hasText: 'e2e key' });
    await row.waitFor();
    // The dispatcher verifies the key with the provider; the page hears of it on its own.
    await row.locator('[data-status="Active"]').waitFor({ timeout: 30_000 });
    expect(await form.locator('input[name=apiKey]').inputValue()).toBe('');
    expect(await marked()).toBe('no reload');

    // The filters narrow the live list, kept in the URL.
    const filters = page.locator('[data-testid=account-filters]');
    await filters.locator('select[name=status]').selectOption('Error');
    await page.waitForURL(`${base}/accounts?status=Error`);
    await page.locator('[data-testid=accounts]', { hasText: 'No account matches these filters.' }).waitFor();
    expect(await row.count()).toBe(0);
    await filters.locator('select[name=status]').selectOption('Active');
    await page.waitForURL(`${base}/accounts?status=Active`);
    await row.waitFor();
    await filters.locator('select[name=provider]').selectOption('openai');
    await page.waitForURL(`${base}/accounts?status=Active&provider=openai`);
    await row.waitFor({ state: 'detached' });
    await filters.locator('select[name=status]').selectOption('');
    await filters.locator('select[name=provider]').selectOption('');
    await page.waitForURL(`${base}/accounts`);
    await row.waitFor();
    expect(await marked()).toBe('no reload');
  });

  it('starts a session that appears in the list and runs to Completed while the user watches', async () => {
    await page.click('header nav >> text=Sessions');
    await page.waitForURL(`${base}/sessions`);
    await mark();
    await page.click('text=Start a session');
    const form = page.locator('[data-testid=start-session]');
    await form.locator('textarea[name=prompt]').fill('Say hello');
    await form.locator('button[type=submit]').click();
    const link = form.locator('a');
    await link.waitFor();
    sessionId = (await link.textContent())!.trim();

    const row = page.locator(`[data-testid=sessions] tr[data-session-id="${sessionId}"]`);
    await row.waitFor();
    // No agent runs yet, so the session cannot have got further than being dispatched.
    expect(['Queued', 'Starting']).toContain(await row.locator('[data-status]').getAttribute('data-status'));

    const { PORT: _gatewayPort, ...rest } = env;
    services.push(
      await startServiceProcess('agent', { ...rest, AGENT_ID: `${ctx.id}-agent`, AGENT_NAME: 'e2e-agent' }),
    );
    await row.locator('[data-status="Completed"]').waitFor({ timeout: 45_000 });
    expect(await row.textContent()).toContain(`${ctx.id}-agent`);
    expect(await marked()).toBe('no reload');
  });

  it("shows the session's output and its whole history on its page", async () => {
    await page.click(`[data-testid=sessions] a:text("${sessionId}")`);
    await page.waitForURL(`${base}/sessions/${sessionId}`);
    await page.locator('[data-testid=output]', { hasText: OUTPUT.join('') }).waitFor();
    const timeline = page.locator('[data-testid=timeline]');
    await timeline.locator('[data-event-type="SessionCompleted"]').waitFor();
    for (const type of ['SessionRequested', 'SessionAssigned', 'SessionStarted']) {
      expect(await timeline.locator(`[data-event-type="${type}"]`).count(), type).toBe(1);
    }
    expect(
      await page.locator('[data-testid=session-summary] [data-status]').getAttribute('data-status'),
    ).toBe('Completed');
  });

  it('shows Disconnected while the gateway is down, then resumes the output without a gap or a repeat', async () => {
    // Output keeps flowing into the stream while the gateway is down: the agent publishes it.
    emulator.script(KEY, { text: SLOW_OUTPUT, latencyMs: 300 });
    const started = await fetch(`${base}/api/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'anthropic', prompt: 'Count slowly' }),
    });
    const { id } = (await started.json()) as { id: string };
    await page.goto(`${base}/sessions/${id}`);
    await page.locator('[data-testid=output] .stdout').first().waitFor();
    await mark();

    await gateway.stop();
    await indicator().filter({ hasText: 'Disconnected' }).waitFor({ timeout: 15_000 });
    gateway = await startServiceProcess('gateway', env);
    await indicator().filter({ hasText: 'Live' }).waitFor({ timeout: 30_000 });
    await page
      .locator('[data-testid=session-summary] [data-status="Completed"]')
      .waitFor({ timeout: 45_000 });
    // Resumed behind the last cursor: every line once, in order, and one end in the history.
    expect((await page.locator('[data-testid=output] .stdout').allTextContents()).join('')).toBe(
      SLOW_OUTPUT.join(''),
    );
    expect(await page.locator('[data-testid=timeline] [data-event-type="SessionCompleted"]').count()).toBe(1);
    expect(await marked()).toBe('no reload');
  });

  it("shows an admin the audit log, narrowed to one session's events, with each event's data", async () => {
    await page.click('header nav >> text=Audit');
    await page.waitForURL(`${base}/audit`);
    const rows = page.locator('[data-testid=audit] tr[data-event-type]');
    const ofSession = rows.and(page.locator(`[data-aggregate-id="${sessionId}"]`));
    await ofSession.first().waitFor();
    expect(await ofSession.first().locator('a').getAttribute('href')).toBe(`/sessions/${sessionId}`);

    const filters = page.locator('[data-testid=audit-filters]');
    await filters.locator('input[name=aggregateId]').fill(sessionId);
    await filters.locator('select[name=aggregateType]').selectOption('session');
    await page.waitForURL(`${base}/audit?aggregateType=session&aggregateId=${sessionId}`);
    // Only this session's events, newest first: from the end the user watched back to the request.
    const aggregates = () =>
      rows.evaluateAll((trs) => [...new Set(trs.map((tr) => tr.getAttribute('data-aggregate-id')))]);
    await expect.poll(aggregates).toEqual([sessionId]);
    const types = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-event-type')));
    expect(types[0]).toBe('SessionCompleted');
    expect(types.at(-1)).toBe('SessionRequested');

    await rows.last().locator('button[aria-expanded]').click();
    const data = page.locator('[data-testid=audit] tr[data-event-details] [data-field=data]');
    expect(await data.textContent()).toContain('"prompt": "Say hello"');

    // The view is its URL: a reload shows the same filters.
    await page.reload();
    expect(await filters.locator('select[name=aggregateType]').inputValue()).toBe('session');
    expect(await filters.locator('input[name=aggregateId]').inputValue()).toBe(sessionId);
  });

  it('shows a viewer no Audit entry, and says the log is for admins on its page', async () => {
    await page.goto(`${base}/logout`);
    await page.fill('textarea[name=token]', await mintToken(env, 'viewer', WORKSPACE));
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/sessions`);
    await page.locator('header nav a', { hasText: 'Sessions' }).waitFor();
    expect(await page.locator('header nav a').allTextContents()).toEqual(['Sessions', 'Accounts', 'Agents']);
    await page.goto(`${base}/audit`);
    await page.locator('[role=alert]', { hasText: 'Only admins can read the audit log' }).waitFor();
  });

  it('warns that the pages may be out of date while a read model is not projected, until it is again', async () => {
    const banner = page.locator('[data-testid=readiness]');
    const asked = () => page.waitForResponse((res) => new URL(res.url()).pathname === '/ready');
    let answer = asked();
    await page.goto(`${base}/sessions`);
    expect((await answer).status()).toBe(200);
    expect(await banner.count()).toBe(0);

    // The projector stopped, and its sessions consumer gone (as before it first ran): /ready says stopped at once.
    const at = services.findIndex((s) => s.name === 'projector');
    await services[at]!.stop();
    await ctx.nats.jsm.consumers.delete(ctx.topology.events.stream, projectionConsumerName('sessions'));
    answer = asked();
    await page.reload();
    expect((await answer).status()).toBe(503);
    await banner.waitFor();
    expect(await banner.textContent()).toContain('sessions: not being projected');
    expect(await banner.textContent()).toContain('make diagnostics');

    // Running again, the projector creates its consumer; the next poll clears the warning without a reload.
    await mark();
    const { PORT: _gatewayPort, ...rest } = env;
    services[at] = await startServiceProcess('projector', rest);
    await banner.waitFor({ state: 'detached', timeout: 30_000 });
    expect(await marked()).toBe('no reload');
  });
});
