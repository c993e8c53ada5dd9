export {
  type ProviderEmulator,
  type ProviderEmulatorOptions,
  startProviderEmulator,
} from './emulator';
export { EMULATED_PROVIDERS, type EmulatedProvider, type EmulatorCall } from './key-registry';
export { KeyScript, type KeyScriptInput } from './key-script';
