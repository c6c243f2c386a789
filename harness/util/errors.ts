/**
 * Errors carry a stable code (for logs and tests) and the exit code of the contract:
 * 2 usage or configuration, 3 the lab itself failed (inconclusive).
 */
export type ExitCode = 0 | 1 | 2 | 3;
export const EXIT = { pass: 0, fail: 1, config: 2, lab: 3 } as const;

export class BootgateError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  constructor(code: string, message: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Bad input from the user: a suite, a policy, a flag, a missing file they named. Exit 2. */
export class ConfigError extends BootgateError {
  readonly file?: string;
  readonly line?: number;
  readonly field?: string;
  constructor(
    code: string,
    message: string,
    where: { file?: string; line?: number; field?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, EXIT.config, options);
    this.file = where.file;
    this.line = where.line;
    this.field = where.field;
  }
  /** `file:line: field: message`, the form editors and CI annotations understand. */
  override toString(): string {
    const loc = [this.file, this.line].filter((x) => x !== undefined).join(':');
    const field = this.field ? `${this.field}: ` : '';
    return `${loc ? `${loc}: ` : ''}${field}${this.message}`;
  }
}

/**
 * How many problems of one file are shown at once; the rest are counted. Enough to fix a file in
 * one pass, few enough to read.
 */
export const MAX_SHOWN_PROBLEMS = 20;

/**
 * Every problem found in one file, each with its own line. The first stands for all where one
 * error is read (code, file, line, field, message), so a caller that handles one error still can.
 */
export class ConfigErrors extends ConfigError {
  readonly problems: readonly ConfigError[];
  constructor(problems: readonly ConfigError[]) {
    const first = problems[0];
    if (!first) throw new RangeError('ConfigErrors needs at least one problem');
    super(first.code, first.message, first, { cause: first });
    this.problems = problems;
  }
  /** One `file:line: field: message` per problem, up to MAX_SHOWN_PROBLEMS, then how many more. */
  lines(): string[] {
    const shown = this.problems.slice(0, MAX_SHOWN_PROBLEMS).map((p) => p.toString());
    const more = this.problems.length - shown.length;
    if (more > 0) shown.push(`${this.file ? `${this.file}: ` : ''}${more} more error${more === 1 ? '' : 's'} not shown (fix these and run again)`);
    return shown;
  }
  override toString(): string {
    return this.lines().join('\n');
  }
}

/** Throw nothing for no problems, the problem itself for one, and ConfigErrors for several. */
export function throwProblems(problems: readonly ConfigError[]): void {
  if (problems.length === 1) throw problems[0]!;
  if (problems.length > 1) throw new ConfigErrors(problems);
}

/** The lab failed (host tool missing, QEMU died, disk full, image build broke). Exit 3, never blamed on the agent. */
export class LabError extends BootgateError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, EXIT.lab, options);
  }
}

/** A long operation was cancelled through its AbortSignal (Ctrl-C, timeout of a parent). */
export class AbortedError extends BootgateError {
  constructor(message = 'aborted', options?: { cause?: unknown }) {
    super('ABORTED', message, EXIT.lab, options);
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError(String(signal.reason ?? 'aborted'), { cause: signal.reason });
}
