/**
 * `make bench`: runs every suite in bench/src/suites (or those named in BENCH=a,b), each
 * against its own database and stream prefix, and writes the figures as JSON to
 * bench/results/ plus a table on stdout. Targets are reported, never asserted in tests.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIsolatedContext } from '@flywheel/core/isolated-context';
import type { BenchFigure, BenchSuite } from './types';

const here = new URL('.', import.meta.url).pathname;
const only = process.env.BENCH?.split(',').filter(Boolean);
const urls = {
  natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
};

function verdict(f: BenchFigure): string {
  if (!f.target) return '';
  const measured = f.target.of === 'ratio' && f.baseline ? f.value / f.baseline.value : f.value;
  const ok = f.target.op === '>=' ? measured >= f.target.value : measured <= f.target.value;
  return `${ok ? 'PASS' : 'MISS'} (${f.target.of === 'ratio' ? 'ratio ' : ''}${f.target.op} ${f.target.value})`;
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));

async function main() {
  const files = readdirSync(join(here, 'suites'))
    .filter((f) => f.endsWith('.suite.ts'))
    .sort();
  const results: { suite: string; description: string; figures: readonly BenchFigure[]; error?: string }[] =
    [];
  for (const file of files) {
    const { suite } = (await import(join(here, 'suites', file))) as { suite: BenchSuite };
    if (only && !only.includes(suite.name)) continue;
    process.stderr.write(`\n== ${suite.name}: ${suite.description}\n`);
    const env = await createIsolatedContext(urls);
    try {
      const figures = await suite.run({ env, log: (m) => process.stderr.write(`   ${m}\n`) });
      results.push({ suite: suite.name, description: suite.description, figures });
    } catch (err) {
      process.stderr.write(`   suite failed: ${(err as Error).stack}\n`);
      results.push({ suite: suite.name, description: suite.description, figures: [], error: String(err) });
    } finally {
      await env.dispose();
    }
  }

  const out = {
    at: new Date().toISOString(),
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    results: results.map((r) => ({
      ...r,
      figures: r.figures.map((f) => ({
        ...f,
        ratio: f.baseline ? f.value / f.baseline.value : undefined,
        verdict: verdict(f) || undefined,
      })),
    })),
  };
  const dir = join(here, '..', 'results');
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(out, null, 2)}\n`;
  writeFileSync(join(dir, 'latest.json'), json);
  writeFileSync(join(dir, `${out.at.replaceAll(':', '-')}.json`), json);

  const rows = results.flatMap((r) =>
    r.error
      ? [[r.suite, 'FAILED', '', '', '', r.error.slice(0, 60)]]
      : r.figures.map((f) => [
          r.suite,
          f.name,
          `${fmt(f.value)} ${f.unit}`,
          f.baseline ? `${f.baseline.name}: ${fmt(f.baseline.value)} ${f.unit}` : '',
          f.baseline ? (f.value / f.baseline.value).toFixed(2) : '',
          verdict(f),
        ]),
  );
  const head = ['suite', 'figure', 'value', 'baseline (same run)', 'ratio', 'target'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r: readonly string[]) => r.map((c, i) => String(c).padEnd(widths[i]!)).join('  ');
  console.log(`\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const r of rows) console.log(line(r as string[]));
  console.log(`\nJSON: ${join(dir, 'latest.json')}`);
  if (results.some((r) => r.error)) process.exitCode = 1;
}

main().then(
  () => process.exit(),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
