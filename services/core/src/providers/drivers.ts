import type { Provider } from '@flywheel/schemas';
import { ProviderNotSupportedError } from '../errors/errors';
import { createAnthropicDriver } from './anthropic-driver';
import type { ProviderDriver } from './driver';
import type { DriverOptions } from './driver-options';

// One factory per provider; OpenAI and Google drivers are added here beside anthropic.
const FACTORIES: Partial<Record<Provider, (options: DriverOptions) => ProviderDriver>> = {
  anthropic: createAnthropicDriver,
};

/** Whether this build can run sessions for `provider`. */
export function hasDriver(provider: Provider): boolean {
  return FACTORIES[provider] !== undefined;
}

/** The driver for `provider`; throws ProviderNotSupportedError for providers without one yet. */
export function driverFor(provider: Provider, options: DriverOptions = {}): ProviderDriver {
  const factory = FACTORIES[provider];
  if (!factory) {
    throw new ProviderNotSupportedError(
      `no driver for provider "${provider}" yet; supported: ${supported()}`,
      {
        details: { provider },
      },
    );
  }
  return factory(options);
}

function supported(): string {
  return Object.keys(FACTORIES).join(', ');
}
