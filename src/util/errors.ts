/**
 * User-facing errors. Anything thrown as a PoetError is printed as its message (no stack trace)
 * and the process exits with `exitCode` (2 = bad input: config, data, arguments).
 * Internal bugs are ordinary Errors and keep their stack.
 */
export class PoetError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'PoetError';
    this.exitCode = exitCode;
  }
}

/** Error that carries several located problems found in one pass (e.g. all issues of one config file). */
export class PoetMultiError extends PoetError {
  readonly problems: string[];
  constructor(summary: string, problems: string[], exitCode = 2) {
    super(`${summary}\n${problems.map((p) => `  ${p}`).join('\n')}`, exitCode);
    this.problems = problems;
  }
}
