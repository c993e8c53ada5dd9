import { readdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Variants adapter-node precompressed, best first. */
const ENCODINGS = [
  ['br', '.br'],
  ['gzip', '.gz'],
] as const;

/**
 * The dashboard's client files (`build/client`), served by the gateway itself rather than
 * by the handler's own static server: that one lists the files once and crashes the
 * process when one of them is gone (a `make ui` while the gateway runs). Here a file that
 * vanished is a 404.
 */
export class UiStaticFiles {
  readonly #root: string;
  /** URL paths of the build the gateway started with; a request for one never reaches the handler. */
  readonly #known: ReadonlySet<string>;

  constructor(clientDir: string) {
    this.#root = clientDir;
    this.#known = new Set(listFiles(clientDir).map((f) => `/${relative(clientDir, f).split(sep).join('/')}`));
  }

  /** Whether `path` is a client file: served here, never passed on. */
  owns(path: string): boolean {
    return this.#known.has(path) || path.startsWith('/_app/immutable/');
  }

  /** Sends the file at `path`, precompressed when the client accepts it; 404 when it is gone. */
  async send(request: FastifyRequest, reply: FastifyReply, path: string): Promise<FastifyReply> {
    const file = join(this.#root, path);
    if (!file.startsWith(this.#root + sep) || path.includes('\0')) return notFound(reply);
    const accepted = String(request.headers['accept-encoding'] ?? '');
    const candidates = [
      ...ENCODINGS.filter(([name]) => accepted.includes(name)).map(
        ([name, ext]) => [name, file + ext] as const,
      ),
      [null, file] as const,
    ];
    for (const [encoding, candidate] of candidates) {
      const handle = await open(candidate).catch(() => null);
      if (!handle) continue;
      const stat = await handle.stat();
      if (!stat.isFile()) {
        await handle.close();
        continue;
      }
      reply
        .type(TYPES[extname(file)] ?? 'application/octet-stream')
        .header('content-length', stat.size)
        .header('vary', 'accept-encoding')
        // Hashed names never change content; everything else is checked again each time.
        .header(
          'cache-control',
          path.startsWith('/_app/immutable/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      if (encoding) reply.header('content-encoding', encoding);
      return reply.send(handle.createReadStream());
    }
    return notFound(reply);
  }
}

function notFound(reply: FastifyReply): FastifyReply {
  return reply
    .code(404)
    .type('text/plain; charset=utf-8')
    .header('cache-control', 'no-store')
    .send('not found');
}

/** Every file under `dir`, skipping precompressed variants. */
function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && !e.name.endsWith('.br') && !e.name.endsWith('.gz'))
    .map((e) => join(e.parentPath, e.name));
}
