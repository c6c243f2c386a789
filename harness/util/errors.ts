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
