import { spawn } from 'node:child_process';
import { LabError, AbortedError } from './errors.js';

export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  input?: string | Buffer;
  /** Keep at most this many bytes of each stream (the tail), so a chatty build cannot fill memory. */
  maxBuffer?: number;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class ExecError extends LabError {
  readonly result: ExecResult;
  readonly command: string;
  constructor(command: string, result: ExecResult) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-8).join('\n');
    super('EXEC_FAILED', `\`${command}\` exited with ${result.code}${tail ? `:\n${tail}` : ''}`);
    this.result = result;
    this.command = command;
  }
}

/** Run a host tool; resolves with its output, whatever its exit code. */
export function execCapture(cmd: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const max = opts.maxBuffer ?? 4 << 20;
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new AbortedError());
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const keep = (s: string, add: string) => (s.length + add.length > max ? (s + add).slice(-max) : s + add);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out = keep(out, d)));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = keep(err, d)));
    const onAbort = () => child.kill('SIGTERM');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e: NodeJS.ErrnoException) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (e.code === 'ENOENT') reject(new LabError('HOST_TOOL_MISSING', `${cmd} is not installed on this host (run \`bootgate doctor\`)`, { cause: e }));
      else reject(new LabError('EXEC_SPAWN', `cannot start ${cmd}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, sig) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (opts.signal?.aborted) return reject(new AbortedError(`${cmd} aborted`));
      resolve({ code: code ?? (sig ? 128 : 1), stdout: out, stderr: err });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** Run a host tool and fail with its stderr tail when it exits non-zero. */
export async function exec(cmd: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const r = await execCapture(cmd, args, opts);
  if (r.code !== 0) throw new ExecError([cmd, ...args].join(' '), r);
  return r;
}
