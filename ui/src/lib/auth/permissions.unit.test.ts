import { describe, expect, it } from 'vitest';
import { may } from './permissions';

describe('may', () => {
  it('lets only admins read the audit log', () => {
    expect(may('admin', 'audit.read')).toBe(true);
    expect(may('operator', 'audit.read')).toBe(false);
    expect(may('viewer', 'audit.read')).toBe(false);
    expect(may(null, 'audit.read')).toBe(false);
  });
});
