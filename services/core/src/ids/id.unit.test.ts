import { SubjectToken } from '@flywheel/schemas';
import { describe, expect, it } from 'vitest';
import { derivedId, newId } from './id';

describe('ids', () => {
  it('are prefixed, valid subject tokens, and unique', () => {
    const ids = Array.from({ length: 1000 }, () => newId('ses'));
    for (const id of ids) {
      expect(id).toMatch(/^ses_[0-9a-z]{26}$/);
      expect(SubjectToken.safeParse(id).success).toBe(true);
    }
    expect(new Set(ids).size).toBe(1000);
  });

  it('derive the same id from the same seed and different ids from different seeds', () => {
    expect(derivedId('acc', 'idem-1')).toBe(derivedId('acc', 'idem-1'));
    expect(derivedId('acc', 'idem-1')).not.toBe(derivedId('acc', 'idem-2'));
    expect(derivedId('acc', 'idem-1')).toMatch(/^acc_[0-9a-z]{26}$/);
  });
});
