const TWO = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const THREE = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
const DAY_MS = 86_400_000;

/**
 * `date.toISOString()`, about three times faster: the projector formats every timestamp
 * it writes (list items, COPY text), and the built-in goes through the runtime. Days to
 * a civil date as in H. Hinnant's `civil_from_days`; years outside 1000..9999 (and
 * invalid dates, which throw) are left to the built-in.
 */
export function isoString(date: Date): string {
  const time = date.getTime();
  const days = Math.floor(time / DAY_MS);
  let ms = time - days * DAY_MS;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (!(year >= 1000 && year <= 9999)) return date.toISOString();
  const h = Math.floor(ms / 3_600_000);
  ms -= h * 3_600_000;
  const m = Math.floor(ms / 60_000);
  ms -= m * 60_000;
  const s = Math.floor(ms / 1000);
  return `${year}-${TWO[month]}-${TWO[day]}T${TWO[h]}:${TWO[m]}:${TWO[s]}.${THREE[ms - s * 1000]}Z`;
}

/** A timestamp column as ISO 8601 text (pg returns Date; Kysely types allow string). */
export function iso(value: Date | string): string {
  return isoString(value instanceof Date ? value : new Date(value));
}

export function isoOrNull(value: Date | string | null): string | null {
  return value === null ? null : iso(value);
}
