import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { CheckResult } from './check';

const TIMEOUT_MS = 3000;

async function getJson(url: string): Promise<{ status: number; body: unknown; ms: number }> {
  const started = performance.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: keep the text for the report.
  }
  return { status: res.status, body, ms: performance.now() - started };
}

function unreachable(url: string, err: unknown): CheckResult {
  const e = err as { name?: string; cause?: { code?: string } };
  const timedOut = e.name === 'TimeoutError' || e.cause?.code === 'UND_ERR_CONNECT_TIMEOUT';
  return {
    area: 'gateway',
    name: 'health',
    status: 'fail',
    detail: timedOut
      ? `${url} did not answer within ${TIMEOUT_MS / 1000} s`
      : `${url} is not reachable (${e.cause?.code ?? e.name})`,
    symptom: timedOut ? 'Connection timeout' : 'Unable to connect to server',
    fix: timedOut
      ? [
          'check whether the gateway is overloaded (GET /metrics, high CPU)',
          'raise timeouts in the reverse proxy',
          'check network latency and DNS',
        ]
      : [
          'start the stack: make up',
          'check PORT/HOST and PUBLIC_URL',
          'check firewall rules for the port',
          'read the gateway log',
        ],
  };
}

/** `GET /health` and `GET /ready` of a running gateway. */
export async function checkGatewayHttp(baseUrl: string): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  try {
    const h = await getJson(`${baseUrl}/health`);
    const body = h.body as { version?: string; uptimeSeconds?: number };
    out.push({
      area: 'gateway',
      name: 'health',
      status: h.status === 200 ? 'ok' : 'fail',
      detail: `${baseUrl}/health answered ${h.status} in ${h.ms.toFixed(0)} ms (version ${body.version ?? '?'}, up ${body.uptimeSeconds ?? '?'} s)`,
      ...(h.ms > 1000
        ? { symptom: 'Slow dashboard loading', fix: ['check the gateway CPU and memory (GET /metrics)'] }
        : {}),
    });
  } catch (err) {
    return [unreachable(baseUrl, err)];
  }
  try {
    const r = await getJson(`${baseUrl}/ready`);
    out.push({
      area: 'gateway',
      name: 'ready',
      status: r.status === 200 ? 'ok' : 'fail',
      detail: r.status === 200 ? 'ready' : `not ready (${r.status}): ${JSON.stringify(r.body).slice(0, 400)}`,
      ...(r.status === 200 ? {} : { fix: ['see the failing parts below', 'read the gateway log'] }),
    });
  } catch (err) {
    out.push({
      area: 'gateway',
      name: 'ready',
      status: 'fail',
      detail: `GET /ready failed: ${(err as Error).message}`,
    });
  }
  return out;
}

/**
 * Performs a WebSocket upgrade on `/ws` without a token: a 101 proves upgrades get
 * through any proxy in between (the gateway then closes the unauthenticated socket).
 */
export function checkWebSocket(baseUrl: string): Promise<CheckResult> {
  const url = new URL('/ws', baseUrl);
  const fail = (detail: string): CheckResult => ({
    area: 'gateway',
    name: 'websocket',
    status: 'fail',
    detail,
    symptom: 'WebSocket connection failed',
    fix: [
      `check that ${url.href.replace(/^http/, 'ws')} is reachable`,
      'behind a reverse proxy, pass the upgrade: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade";',
      'check for network proxies that block WebSocket',
    ],
  });
  return new Promise((resolve) => {
    const req = request(url, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
      },
      timeout: TIMEOUT_MS,
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({
        area: 'gateway',
        name: 'websocket',
        status: 'ok',
        detail: `${url.pathname} upgrades (${res.statusCode})`,
      });
    });
    req.on('response', (res) => {
      res.resume();
      resolve(fail(`${url.pathname} answered ${res.statusCode} instead of switching protocols`));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => resolve(fail(`${url.pathname}: ${err.message}`)));
    req.end();
  });
}
