import { EVENT_DEFINITIONS, EVENT_TYPES } from '@flywheel/schemas';
import { describe, expect, it } from 'vitest';
import { EVENT_AGGREGATE, EVENT_TYPE_ORDER } from './resources';

describe('the event types the dashboard offers', () => {
  it("are the schemas' registry, in its order, each with its aggregate", () => {
    expect(EVENT_TYPE_ORDER).toEqual(EVENT_TYPES);
    for (const type of EVENT_TYPES)
      expect(EVENT_AGGREGATE[type], type).toBe(EVENT_DEFINITIONS[type].aggregate);
  });
});
