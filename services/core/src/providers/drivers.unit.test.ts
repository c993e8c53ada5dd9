import { describe, expect, it } from 'vitest';
import { ProviderNotSupportedError } from '../errors/errors';
import { driverFor, hasDriver } from './drivers';

describe('driverFor', () => {
  it('returns the anthropic driver', () => {
    expect(driverFor('anthropic').provider).toBe('anthropic');
    expect(hasDriver('anthropic')).toBe(true);
  });

  it('names providers that have no driver yet', () => {
    expect(hasDriver('openai')).toBe(false);
    expect(() => driverFor('openai')).toThrow(ProviderNotSupportedError);
    expect(() => driverFor('google')).toThrow('no driver for provider "google" yet; supported: anthropic');
  });
});
