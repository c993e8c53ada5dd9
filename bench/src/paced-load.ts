import http from 'node:http';

export interface PacedLoadOptions {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** Requests per second, spread evenly over each second. */
  readonly rate: number;
  readonly seconds: number;
  /** Keep-alive connections at most; requests beyond them queue in the client. */
  readonly connections: number;
}

export interface PacedLoadResult {
  readonly ok: number;
  readonly failed: number;
  /** Requests per second actually sent. */
  readonly achieved: number;
}

/**
 * Sends `rate` requests per second for `seconds`, each at its own moment (about one per
 * millisecond at 1,000/s) and without waiting for earlier answers (open loop). Not
 * autocannon's `overallRate`: that sends each second's quota as fast as it can when the
 * second starts, so a figure "at 1,000/s" would measure bursts at full speed.
 */
export async function pacedLoad(opts: PacedLoadOptions): Promise<PacedLoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
  const total = Math.round(opts.rate * opts.seconds);
  let sent = 0;
  let ok = 0;
  let failed = 0;
  const answered: Promise<void>[] = [];
  const send = () =>
    new Promise<void>((resolve) => {
      const req = http.request(opts.url, { method: opts.method, headers: opts.headers, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== undefined && res.statusCode < 300) ok++;
          else failed++;
          resolve();
        });
      });
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end(opts.body);
    });
  const started = performance.now();
  await new Promise<void>((done) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * opts.rate));
      while (sent < due) {
        answered.push(send());
        sent++;
      }
      if (sent < total) setTimeout(tick, 1);
      else done();
    };
    tick();
  });
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(answered);
  agent.destroy();
  return { ok, failed, achieved: sent / seconds };
}
