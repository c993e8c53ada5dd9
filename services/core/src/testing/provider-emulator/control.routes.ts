import type { IncomingMessage, ServerResponse } from 'node:http';
import { ValidationError } from '../../errors/errors';
import { readBody, sendJson } from './http-io';
import { EMULATED_PROVIDERS, type KeyRegistry } from './key-registry';

const MAX_SCRIPT_BYTES = 1024 * 1024;

/**
 * The control API other processes use to script the emulator (documented in
 * docs/architecture.md, "Providers"). Errors use the gateway's `{ error: { code, message } }`.
 */
export async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  registry: KeyRegistry,
): Promise<void> {
  const method = req.method ?? 'GET';
  const keyMatch = /^\/_emulator\/keys\/([^/]+)$/.exec(path);
  try {
    if (keyMatch && (method === 'PUT' || method === 'POST')) {
      const key = decodeURIComponent(keyMatch[1] ?? '');
      const script = registry.script(key, await readJson(req));
      return sendJson(res, 200, { key, script });
    }
    if (keyMatch && method === 'DELETE') {
      await readBody(req, MAX_SCRIPT_BYTES);
      registry.unscript(decodeURIComponent(keyMatch[1] ?? ''));
      res.writeHead(204).end();
      return;
    }
    if (path === '/_emulator/default' && (method === 'PUT' || method === 'POST')) {
      return sendJson(res, 200, { script: registry.scriptDefault(await readJson(req)) });
    }
    if (path === '/_emulator/calls' && method === 'GET') {
      const key = query.get('key');
      const provider = query.get('provider');
      const calls = registry.calls.filter(
        (c) => (key === null || c.key === key) && (provider === null || c.provider === provider),
      );
      return sendJson(res, 200, { calls });
    }
    if (path === '/_emulator/reset' && method === 'POST') {
      await readBody(req, MAX_SCRIPT_BYTES);
      registry.reset();
      res.writeHead(204).end();
      return;
    }
    if (path === '/_emulator/health' && method === 'GET') {
      return sendJson(res, 200, { status: 'ok', providers: EMULATED_PROVIDERS });
    }
    await readBody(req, MAX_SCRIPT_BYTES);
    sendJson(res, 404, {
      error: {
        code: 'not_found',
        message: `no control route ${method} ${path}; see docs/architecture.md "Providers" for the control API`,
      },
    });
  } catch (err) {
    if (err instanceof ValidationError) {
      return sendJson(res, 400, { error: { code: err.code, message: err.message, details: err.details } });
    }
    throw err;
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req, MAX_SCRIPT_BYTES);
  if (body.kind === 'too_large')
    throw new ValidationError(`a key script is at most ${MAX_SCRIPT_BYTES} bytes`);
  if (body.text.trim() === '') return {};
  try {
    return JSON.parse(body.text);
  } catch {
    throw new ValidationError('the body is not JSON; send a key script object such as {"chunks": 5}');
  }
}
