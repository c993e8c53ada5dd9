import { ValidationError } from '../../errors/errors';
import {
  type Decision,
  decideGenerate,
  decideList,
  INITIAL_KEY_STATE,
  type KeyState,
  type ListDecision,
} from './key-behaviour';
import { DEFAULT_KEY_SCRIPT, KeyScript, type KeyScriptInput } from './key-script';

/** The providers the emulator speaks; each is mounted under `/<provider>`. */
export const EMULATED_PROVIDERS = ['anthropic'] as const;
export type EmulatedProvider = (typeof EMULATED_PROVIDERS)[number];

/** One request the emulator answered, for tests and demos to inspect. Keys are fake by design. */
export interface EmulatorCall {
  readonly provider: EmulatedProvider;
  readonly method: string;
  readonly path: string;
  /** The key as sent (`x-api-key` or bearer token); null when the request carried none. */
  readonly key: string | null;
  readonly auth: 'api_key' | 'bearer' | 'none';
  readonly status: number;
  /** What the emulator did: a decision kind or `bad_request`. */
  readonly outcome: string;
  readonly requestId: string;
  readonly at: number;
  readonly model: string | null;
  readonly prompt: string | null;
  /** Request headers the protocol cares about (version, beta), lower-cased. */
  readonly requestHeaders: Readonly<Record<string, string>>;
  /** Rate-limit related response headers (`retry-after`, `*-ratelimit-*`). */
  readonly responseHeaders: Readonly<Record<string, string>>;
}

/** Scripts, per-key state and the call log shared by every provider's routes. */
export class KeyRegistry {
  private readonly scripts = new Map<string, KeyScript>();
  private readonly states = new Map<string, KeyState>();
  private defaultScript: KeyScript = DEFAULT_KEY_SCRIPT;
  readonly calls: EmulatorCall[] = [];

  constructor(
    private readonly now: () => number,
    private readonly maxCalls: number,
  ) {}

  /** Validates and installs a key's script, resetting its counters. Throws ValidationError. */
  script(key: string, input: KeyScriptInput | unknown): KeyScript {
    const script = parseScript(input);
    this.scripts.set(key, script);
    this.states.delete(key);
    return script;
  }

  /** Sets the behaviour of keys that have no script of their own. */
  scriptDefault(input: KeyScriptInput | unknown): KeyScript {
    this.defaultScript = parseScript(input);
    return this.defaultScript;
  }

  unscript(key: string): void {
    this.scripts.delete(key);
    this.states.delete(key);
  }

  reset(): void {
    this.scripts.clear();
    this.states.clear();
    this.defaultScript = DEFAULT_KEY_SCRIPT;
    this.calls.length = 0;
  }

  /** Decides one prompt for `key` and advances its state. */
  takeGenerate(key: string): Decision {
    const { decision, state } = decideGenerate(this.scriptOf(key), this.stateOf(key), this.now());
    this.states.set(key, state);
    return decision;
  }

  /** Decides one model listing for `key` (it does not count against any limit). */
  takeList(key: string): ListDecision {
    return decideList(this.scriptOf(key), this.stateOf(key), this.now());
  }

  /** The script in force for `key` (its own, or the default). */
  scriptOf(key: string): KeyScript {
    return this.scripts.get(key) ?? this.defaultScript;
  }

  private stateOf(key: string): KeyState {
    return this.states.get(key) ?? INITIAL_KEY_STATE;
  }

  record(call: EmulatorCall): void {
    // A demo runs for hours; keep the log bounded.
    if (this.calls.length >= this.maxCalls) this.calls.splice(0, this.calls.length - this.maxCalls + 1);
    this.calls.push(call);
  }
}

function parseScript(input: unknown): KeyScript {
  const parsed = KeyScript.safeParse(input ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new ValidationError(
      `invalid key script: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
      { details: { issues } },
    );
  }
  return parsed.data;
}
