import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { NotFoundError } from '@flywheel/core';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { UiStaticFiles } from './ui-static';

/** The request handler adapter-node writes to `build/handler.js`. */
type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

export interface UiPluginOptions {
  /** Where `make ui` wrote the dashboard; null or absent for `<repo>/ui/build`. */
  readonly buildDir?: string | null;
}

/** `<repo>/ui/build`, found from this file so it does not depend on the working directory. */
export const DEFAULT_UI_BUILD_DIR = fileURLToPath(new URL('../../../../ui/build', import.meta.url));

/** Paths the dashboard never answers: an unknown one there is the API's JSON 404. */
const RESERVED = /^\/(api|ws)(\/|$|\?)/;

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Flywheel</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem">
<h1>The dashboard is not built</h1>
<p>Run <code>make ui</code> in the repository, then reload this page. (<code>make up</code> builds it too.)</p>
<p>The API answers meanwhile under <code>/api/v1</code>; see <code>/api/v1/openapi.json</code>.</p>
</body></html>
`;

/** The decoded path of a GET or HEAD, the only requests a file can answer. */
function staticPath(request: FastifyRequest): string | null {
  if (request.method !== 'GET' && request.method !== 'HEAD') return null;
  try {
    return decodeURIComponent(request.url.split('?')[0]!);
  } catch {
    return null;
  }
}

/**
 * Serves the SvelteKit dashboard on the gateway's origin: every GET or POST that no other
 * route matched goes to the adapter-node handler, except `/api` and `/ws` paths, which stay
 * JSON 404s, and the client's files, which the gateway sends itself. Without a build,
 * pages answer a short note saying how to build it.
 */
export const uiPlugin: FastifyPluginAsync<UiPluginOptions> = async (app, opts) => {
  const dir = opts.buildDir ?? DEFAULT_UI_BUILD_DIR;
  const entry = join(dir, 'handler.js');
  let handler: NodeHandler | null = null;
  let files: UiStaticFiles | null = null;
  if (existsSync(entry)) {
    // adapter-node reads its settings once, at import. The dashboard's own origin comes
    // from the headers set below, i.e. from Fastify's view of the request (which honours
    // trustProxy), so form posts pass SvelteKit's same-origin check behind a proxy too.
    process.env.FW_UI_PROTOCOL_HEADER ??= 'x-forwarded-proto';
    process.env.FW_UI_HOST_HEADER ??= 'x-forwarded-host';
    ({ handler } = (await import(pathToFileURL(entry).href)) as { handler: NodeHandler });
    files = new UiStaticFiles(join(dir, 'client'));
  } else {
    app.log.warn({ dir }, 'no dashboard build: run `make ui`; pages answer a note until then');
  }

  // The dashboard reads its own request bodies (login form); Fastify must leave them unread.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  async function serve(request: FastifyRequest, reply: FastifyReply) {
    const path = request.url;
    if (RESERVED.test(path)) throw new NotFoundError(`no route ${request.method} ${path.split('?')[0]}`);
    if (!handler || !files) {
      return reply
        .code(503)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(NOT_BUILT);
    }
    const file = staticPath(request);
    if (file !== null && files.owns(file)) return files.send(request, reply, file);
    const raw = request.raw;
    raw.headers['x-forwarded-proto'] = request.protocol;
    raw.headers['x-forwarded-host'] = request.host;
    reply.hijack();
    handler(raw, reply.raw, () => {
      // Only reached if the handler declines a request; the dashboard answers 404 itself.
      reply.raw.statusCode = 404;
      reply.raw.end();
    });
  }

  // Pages are not part of the API document.
  for (const url of ['/', '/*'])
    app.route({ method: ['GET', 'POST'], url, schema: { hide: true }, handler: serve });
};
