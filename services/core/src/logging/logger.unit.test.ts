import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { createLogger, withLogContext } from './logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, logger: createLogger('test', 'info', stream) };
}

it('stamps the request and correlation ids on every line written inside a context', async () => {
  const { lines, logger } = capture();
  await withLogContext({ requestId: 'req-1', correlationId: 'cor-1' }, async () => {
    logger.info('first');
    await new Promise((r) => setTimeout(r, 1));
    withLogContext({ sessionId: 'ses_1' }, () => logger.info('nested'));
  });
  logger.info('outside');
  expect(lines.map((l) => [l.msg, l.requestId, l.correlationId, l.sessionId, l.service])).toEqual([
    ['first', 'req-1', 'cor-1', undefined, 'test'],
    ['nested', 'req-1', 'cor-1', 'ses_1', 'test'],
    ['outside', undefined, undefined, undefined, 'test'],
  ]);
});

it('redacts credential-shaped fields even when code logs them by mistake', () => {
  const { lines, logger } = capture();
  logger.info({
    apiKey: 'sk-ant-secret',
    account: { apiKey: 'sk-ant-2' },
    req: { headers: { authorization: 'Bearer x' } },
  });
  const text = JSON.stringify(lines);
  expect(text).not.toMatch(/sk-ant|Bearer x/);
});
