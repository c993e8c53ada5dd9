import type { TestContext } from '@flywheel/core/isolated-context';

/** A target a figure is held to; `of: 'ratio'` compares value / baseline.value. */
export interface BenchTarget {
  readonly op: '>=' | '<=';
  readonly value: number;
  readonly of?: 'value' | 'ratio';
}

/** One measured number, with the raw baseline measured in the same run where there is one. */
export interface BenchFigure {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
  readonly baseline?: { readonly name: string; readonly value: number };
  readonly target?: BenchTarget;
  /** Extra numbers worth keeping in the JSON (counts, parameters). */
  readonly extra?: Readonly<Record<string, number | string>>;
}

export interface BenchSuiteContext {
  /** A fresh database and stream prefix for this suite; disposed after it by the runner. */
  readonly env: TestContext;
  /** Progress for the operator, on stderr. */
  log(message: string): void;
}

/** A benchmark suite: files named `*.suite.ts` in bench/src/suites export one as `suite`. */
export interface BenchSuite {
  readonly name: string;
  readonly description: string;
  run(ctx: BenchSuiteContext): Promise<readonly BenchFigure[]>;
}
