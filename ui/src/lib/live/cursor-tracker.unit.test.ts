import { describe, expect, it } from 'vitest';
import { CursorTracker } from './cursor-tracker';

describe('CursorTracker', () => {
  it('has nothing to resume from before the first item', () => {
    expect(new CursorTracker().resumeAfter()).toBeUndefined();
  });

  it('resumes from the last cursor itself, so a commit cut off mid-way comes again whole', () => {
    const t = new CursorTracker();
    t.accept(7, 'a.0');
    expect(t.resumeAfter()).toBe(6);
  });

  it('drops what a resume delivers again and keeps what is new in the same commit', () => {
    const t = new CursorTracker();
    expect(t.accept(7, 'c.0')).toBe(true);
    // The socket dropped after c.0; the resume replays commit 7 from its start.
    expect(t.accept(7, 'c.0')).toBe(false);
    expect(t.accept(7, 'c.1')).toBe(true);
    expect(t.accept(7, 'c.1')).toBe(false);
    expect(t.accept(9, 'd.0')).toBe(true);
    expect(t.accept(8, 'x.0')).toBe(false);
    expect(t.cursor).toBe(9);
  });
});
