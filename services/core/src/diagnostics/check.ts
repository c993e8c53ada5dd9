export const CHECK_STATUSES = ['ok', 'warn', 'fail', 'skip'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** One finding of `make diagnostics`: what was checked, what was found, and what to do about it. */
export interface CheckResult {
  readonly area: string;
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** The troubleshooting-guide symptom this finding explains, when it explains one. */
  readonly symptom?: string;
  /** What to do, in the order to try it. */
  readonly fix?: readonly string[];
}
