import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandlerPlugin } from '../plugins/error-handler.plugin';
import { uiPlugin } from './ui.plugin';

/** A stand-in for adapter-node's build: echoes what it was handed, body included. */
const HANDLER = `
export function handler(req, res) {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({
      method: req.method,
      url: req.url,
      proto: req.headers['x-forwarded-proto'],
      host: req.headers['x-forwarded-host'],
      body,
    }));
  });
}
`;

async function gateway(buildDir: string): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(errorHandlerPlugin);
  app.get('/api/v1/me', async () => ({ user: 'u' }));
  app.get('/health', async () => ({ status: 'ok' }));
  await app.register(uiPlugin, { buildDir });
  await app.ready();
  return app;
}

describe('uiPlugin', () => {
  let dir: string;
  let app: FastifyInstance;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fw-ui-'));
    writeFileSync(join(dir, 'handler.js'), HANDLER);
    mkdirSync(join(dir, 'client', '_app', 'immutable'), { recursive: true });
    writeFileSync(join(dir, 'client', '_app', 'immutable', 'app.js'), 'console.log("plain")');
    writeFileSync(join(dir, 'client', '_app', 'immutable', 'app.js.br'), 'brotli bytes');
    writeFileSync(join(dir, 'client', 'favicon.svg'), '<svg/>');
    app = await gateway(dir);
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands pages to the dashboard with the origin the browser used', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/sessions?status=Running',
      headers: { host: 'gw.local:3000' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      method: 'GET',
      url: '/sessions?status=Running',
      proto: 'http',
      host: 'gw.local:3000',
      body: '',
    });
    expect((await app.inject({ method: 'GET', url: '/' })).json().url).toBe('/');
  });

  it('leaves a form post unread for the dashboard, whatever its content type', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https' },
      payload: 'token=abc',
    });
    // A client cannot claim https: the header comes from the gateway's own view of the request.
    expect(res.json()).toMatchObject({ method: 'POST', body: 'token=abc', proto: 'http' });
  });

  it('keeps API routes and unknown API paths to the API', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/v1/me' })).json()).toEqual({ user: 'u' });
    expect((await app.inject({ method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok' });
    for (const url of ['/api/v1/nothing', '/api', '/ws/x']) {
      const res = await app.inject({ method: 'POST', url, payload: { a: 1 } });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code, url).toBe('not_found');
    }
  });

  it("sends the client's files itself, precompressed when accepted, hashed ones cached for good", async () => {
    const br = await app.inject({
      method: 'GET',
      url: '/_app/immutable/app.js',
      headers: { 'accept-encoding': 'gzip, br' },
    });
    expect(br.statusCode).toBe(200);
    expect(br.headers).toMatchObject({
      'content-encoding': 'br',
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=31536000, immutable',
    });
    expect(br.body).toBe('brotli bytes');
    const plain = await app.inject({ method: 'GET', url: '/_app/immutable/app.js' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe('console.log("plain")');
    const head = await app.inject({ method: 'HEAD', url: '/_app/immutable/app.js' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    const icon = await app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(icon.headers).toMatchObject({ 'content-type': 'image/svg+xml', 'cache-control': 'no-cache' });
  });

  it('answers 404 for a client file deleted under it (a rebuild) and keeps serving', async () => {
    unlinkSync(join(dir, 'client', 'favicon.svg'));
    expect((await app.inject({ method: 'GET', url: '/favicon.svg' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/_app/immutable/gone.js' })).statusCode).toBe(404);
    expect(
      (await app.inject({ method: 'GET', url: '/_app/immutable/..%2f..%2f..%2fhandler.js' })).statusCode,
    ).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/sessions' })).json().url).toBe('/sessions');
  });

  it('answers a note saying how to build the dashboard when there is no build', async () => {
    const bare = await gateway(join(dir, 'missing'));
    const res = await bare.inject({ method: 'GET', url: '/' });
    await bare.close();
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('make ui');
  });
});
