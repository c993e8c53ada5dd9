const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const pad = (n: number): string => String(n).padStart(2, '0');

/** A span as people read it at a glance: `45s`, `2m 05s`, `1h 02m`, `3d 4h`. */
export function formatDuration(ms: number): string {
  const t = Math.max(0, Math.floor(ms / SECOND)) * SECOND;
  if (t >= DAY) return `${Math.floor(t / DAY)}d ${Math.floor((t % DAY) / HOUR)}h`;
  if (t >= HOUR) return `${Math.floor(t / HOUR)}h ${pad(Math.floor((t % HOUR) / MINUTE))}m`;
  if (t >= MINUTE) return `${Math.floor(t / MINUTE)}m ${pad(Math.floor((t % MINUTE) / SECOND))}s`;
  return `${t / SECOND}s`;
}

/** Milliseconds from `now` until an ISO time (negative once it has passed); null for a bad time. */
export function msUntil(iso: string, now: number): number | null {
  const at = Date.parse(iso);
  return Number.isNaN(at) ? null : at - now;
}

/** `3s ago`, `5m ago`, `2h ago`; `just now` under a second. */
export function formatAgo(iso: string, now: number): string {
  const ms = msUntil(iso, now);
  if (ms === null) return 'unknown';
  if (ms > -SECOND) return 'just now';
  return `${formatDuration(-ms).split(' ')[0]} ago`;
}

/** Local wall-clock time, with the date when it is not today. */
export function formatClock(iso: string, now: number = Date.now()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return new Date(now).toDateString() === d.toDateString()
    ? time
    : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}
