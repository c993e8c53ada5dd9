/** What replay reports as it goes. */
export interface ReplayProgress {
  /** Begins a phase; `total` is the number of messages it expects (it may grow while catching up). */
  start(phase: string, total: number): void;
  /** `messages` read, carrying `events` (a commit may hold several; an output chunk is one). */
  advance(messages: number, events: number): void;
  /** A one-line note between phases (indexes, swap). */
  note(message: string): void;
  finish(summary: string): void;
}

const WIDTH = 28;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * A progress bar on `out` (stderr): messages and events per second and the ETA, redrawn in place on a terminal,
 * a line every few seconds otherwise (CI logs, `make replay | tee`).
 */
export function createProgressBar(out: NodeJS.WriteStream = process.stderr): ReplayProgress {
  const tty = out.isTTY === true;
  let phase = '';
  let total = 0;
  let done = 0;
  let events = 0;
  let started = 0;
  let drawn = 0;

  const line = () => {
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eventRate = seconds > 0 ? events / seconds : 0;
    const share = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(share * WIDTH);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}`;
    const eta = rate > 0 ? (total - done) / rate : Number.POSITIVE_INFINITY;
    return `${phase.padEnd(8)} ${bar} ${String(Math.floor(share * 100)).padStart(3)}%  ${fmt(done)}/${fmt(total)} messages  ${fmt(rate)} msg/s  ${fmt(eventRate)} events/s  ETA ${duration(eta)}`;
  };
  const draw = (force: boolean) => {
    const now = performance.now();
    if (!force && now - drawn < (tty ? 100 : 2000)) return;
    drawn = now;
    out.write(tty ? `\r\x1b[2K${line()}` : `${line()}\n`);
  };
  const endLine = () => {
    if (tty && phase !== '') out.write('\n');
  };

  return {
    start(name, expected) {
      if (phase !== '') {
        draw(true);
        endLine();
      }
      phase = name;
      total = expected;
      done = 0;
      events = 0;
      started = performance.now();
      draw(true);
    },
    advance(n, e) {
      done += n;
      events += e;
      total = Math.max(total, done);
      draw(false);
    },
    note(message) {
      if (phase !== '') {
        draw(true);
        endLine();
        phase = '';
      }
      out.write(`${message}\n`);
    },
    finish(summary) {
      if (phase !== '') {
        draw(true);
        endLine();
        phase = '';
      }
      out.write(`${summary}\n`);
    },
  };
}

/** Reports nothing (tests, benchmarks that time replay themselves). */
export const silentProgress: ReplayProgress = {
  start: () => undefined,
  advance: () => undefined,
  note: () => undefined,
  finish: () => undefined,
};
