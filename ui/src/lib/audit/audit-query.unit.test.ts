import { describe, expect, it } from 'vitest';
import { type AuditFilters, auditHref, isFiltered, parseAuditFilters } from './audit-query';

const NONE: AuditFilters = { aggregateType: null, aggregateId: null, type: null, actorId: null };
const parse = (qs: string) => parseAuditFilters(new URLSearchParams(qs));

describe('audit filters in the URL', () => {
  it('reads every filter under the API’s own parameter names', () => {
    expect(parse('aggregateType=session&aggregateId=ses_1&type=SessionStarted&actorId=alice')).toEqual({
      aggregateType: 'session',
      aggregateId: 'ses_1',
      type: 'SessionStarted',
      actorId: 'alice',
    });
  });

  it('drops unknown aggregate and event types, and blank ids, rather than sending them', () => {
    expect(parse('aggregateType=tenant&type=SessionExploded&aggregateId=%20&actorId=')).toEqual(NONE);
  });

  it('trims ids, and keeps an id without its aggregate type for the gateway to refuse by name', () => {
    expect(parse('aggregateId=%20ses_1%20&actorId=bob%0A')).toEqual({
      ...NONE,
      aggregateId: 'ses_1',
      actorId: 'bob',
    });
  });

  it('reads a submitted filter form the same way', () => {
    const form = new FormData();
    form.set('aggregateType', 'account');
    form.set('aggregateId', 'acc_1');
    form.set('type', '');
    form.set('actorId', '');
    expect(parseAuditFilters(form)).toEqual({ ...NONE, aggregateType: 'account', aggregateId: 'acc_1' });
  });

  it('writes a URL that reads back to the same filters, and the bare page for none', () => {
    const filters: AuditFilters = {
      aggregateType: 'session',
      aggregateId: 'ses 1&x=2',
      type: 'SessionCompleted',
      actorId: null,
    };
    const href = auditHref(filters);
    expect(href).toBe('/audit?aggregateType=session&aggregateId=ses+1%26x%3D2&type=SessionCompleted');
    expect(parseAuditFilters(new URL(href, 'http://x').searchParams)).toEqual(filters);
    expect(auditHref(NONE)).toBe('/audit');
  });

  it('tells a narrowed log from the whole one', () => {
    expect(isFiltered(NONE)).toBe(false);
    expect(isFiltered({ ...NONE, actorId: 'alice' })).toBe(true);
  });
});
