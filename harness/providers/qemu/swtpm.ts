import { killedWithParent } from '../../util/parent-death.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { track } from './child-registry.js';
import { AbortedError, LabError } from '../../util/errors.js';

/**
 * A software TPM 2.0 (Debian's `swtpm`) for a Windows 11 guest: one process per QEMU process,
 * talking to QEMU over a Unix control socket (QEMU's `-tpmdev emulator`, see windows-args.ts).
 *
 *   swtpm socket --tpm2 --tpmstate dir=STATE --ctrl type=unixio,path=SOCK --terminate [--log ...]
 *
 * - The state folder holds the TPM's persistent state (`tpm2-00.permall`). Keep it for the life
 *   of a cell, across cold boots, as a real machine keeps its TPM; a new state is a new TPM
 *   (BitLocker would then ask for its recovery key: lab images keep BitLocker off).
 * - `--terminate`: swtpm exits when QEMU closes the connection, so a QEMU that dies takes its TPM
 *   with it. A new QEMU process (cold boot) needs a new swtpm on the same state folder.
 * - No `swtpm_setup` (EK certificates): Windows 11 boots with a TPM that has none. A product that
 *   needs TPM attestation is out of scope.
 */

export interface SwtpmArgsInput {
  /** TPM state folder (created with mode 0700 by startSwtpm). */
  stateDir: string;
  /** Control socket path: the one QEMU's `-chardev socket,path=` connects to. At most 107 bytes. */
  ctrlSocket: string;
  /** swtpm's own log; level 20 or more adds libtpms detail. */
  logFile?: string;
  logLevel?: number;
  /** Exit when QEMU disconnects. Default true. */
  terminate?: boolean;
}

/** Longest path a Unix socket address holds on Linux (sun_path is 108 bytes with the NUL). */
export const MAX_UNIX_SOCKET_PATH = 107;

export function swtpmArgs(i: SwtpmArgsInput): string[] {
  for (const [what, v] of [
    ['stateDir', i.stateDir],
    ['ctrlSocket', i.ctrlSocket],
    ['logFile', i.logFile],
  ] as const) {
    // swtpm splits its option values on commas; there is no escape.
    if (v !== undefined && (v === '' || v.includes(','))) {
      throw new LabError('SWTPM_ARGS', `swtpm ${what} ${JSON.stringify(v)} is empty or contains a comma`);
    }
  }
  if (Buffer.byteLength(i.ctrlSocket) > MAX_UNIX_SOCKET_PATH) {
    throw new LabError('SWTPM_ARGS', `swtpm control socket path is longer than ${MAX_UNIX_SOCKET_PATH} bytes: ${i.ctrlSocket}`);
  }
  const args = ['socket', '--tpm2', '--tpmstate', `dir=${i.stateDir}`, '--ctrl', `type=unixio,path=${i.ctrlSocket}`];
  if (i.terminate ?? true) args.push('--terminate');
  if (i.logFile) args.push('--log', `file=${i.logFile},level=${i.logLevel ?? 5}`);
  return args;
}

export interface SwtpmStartOptions extends SwtpmArgsInput {
  /** The swtpm binary. Default `swtpm` from PATH. */
  binary?: string;
  /** How long to wait for the control socket. Default 5 s. */
  timeoutMs?: number;
  /** Aborts the start; aborting after the start stops the process. */
  signal?: AbortSignal;
}

export class SwtpmError extends LabError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SWTPM', message, options);
  }
}

export interface SwtpmExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running swtpm. stop() is idempotent and never rejects. */
export class SwtpmProcess {
  readonly exited: Promise<SwtpmExit>;
  private exit?: SwtpmExit;
  private stopping?: Promise<void>;
  private stderrTail = '';

  constructor(
    private readonly child: ChildProcess,
    readonly socket: string,
    readonly stateDir: string,
  ) {
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.stderrTail = (this.stderrTail + d).slice(-4096)));
    child.stdout?.resume();
    this.exited = new Promise((resolve) => {
      const done = (e: SwtpmExit) => {
        if (this.exit) return;
        this.exit = e;
        resolve(e);
      };
      child.once('exit', (code, signal) => done({ code, signal }));
      // A binary that cannot be spawned (ENOENT) never emits 'exit'.
      child.once('error', () => {
        if (child.pid === undefined) done({ code: null, signal: null });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** What swtpm printed on stderr (the tail). */
  get stderr(): string {
    return this.stderrTail;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; removes the control socket. */
  stop(graceMs = 3000): Promise<void> {
    this.stopping ??= (async () => {
      if (this.running) {
        this.child.kill('SIGTERM');
        const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
        await this.exited;
        clearTimeout(t);
      }
      await rm(this.socket, { force: true }).catch(() => undefined);
    })();
    return this.stopping;
  }
}

async function isSocket(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isSocket();
  } catch {
    return false;
  }
}

/**
 * Starts swtpm and resolves once its control socket exists. Rejects with SWTPM when swtpm exits
 * early or the socket does not appear in time (with swtpm's stderr), HOST_TOOL_MISSING when swtpm
 * is not installed, ABORTED through the signal; the process is gone in each of these cases.
 */
export async function startSwtpm(o: SwtpmStartOptions): Promise<SwtpmProcess> {
  const args = swtpmArgs(o);
  const binary = o.binary ?? 'swtpm';
  if (o.signal?.aborted) throw new AbortedError('swtpm start aborted', { cause: o.signal.reason });
  await mkdir(o.stateDir, { recursive: true, mode: 0o700 });
  await mkdir(dirname(o.ctrlSocket), { recursive: true });
  await rm(o.ctrlSocket, { force: true }); // a stale socket would read as "ready"

  const run = killedWithParent(binary, args);
  const child = spawn(run.command, run.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  const p = new SwtpmProcess(child, o.ctrlSocket, o.stateDir);
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  const deadline = Date.now() + (o.timeoutMs ?? 5000);
  let failure: Error | undefined;
  let done = false;
  const onAbort = () => {
    failure ??= new AbortedError('swtpm start aborted', { cause: o.signal?.reason });
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  void spawnError.then((e: NodeJS.ErrnoException) => {
    if (done) return;
    failure ??=
      e.code === 'ENOENT'
        ? new LabError('HOST_TOOL_MISSING', `${binary} is not installed on this host (apt-get install swtpm)`, { cause: e })
        : new SwtpmError(`cannot start ${binary}: ${e.message}`, { cause: e });
  });
  try {
    for (;;) {
      if (failure) throw failure;
      if (!p.running) {
        // Give stderr a moment to arrive after the exit.
        await new Promise((r) => setTimeout(r, 20));
        throw failure ?? new SwtpmError(`swtpm exited at start (${describeExit(await p.exited)}): ${p.stderr.trim() || 'no message'}`);
      }
      if (await isSocket(o.ctrlSocket)) break;
      if (Date.now() > deadline) {
        throw new SwtpmError(`swtpm did not create its control socket ${o.ctrlSocket} within ${o.timeoutMs ?? 5000} ms: ${p.stderr.trim() || 'no message'}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  } catch (e) {
    done = true;
    o.signal?.removeEventListener('abort', onAbort);
    await p.stop(500);
    throw e;
  }
  done = true;
  o.signal?.removeEventListener('abort', onAbort);
  if (o.signal) {
    const stopOnAbort = () => void p.stop();
    o.signal.addEventListener('abort', stopOnAbort, { once: true });
    void p.exited.then(() => o.signal?.removeEventListener('abort', stopOnAbort));
  }
  return p;
}

function describeExit(e: SwtpmExit): string {
  return e.signal ? `signal ${e.signal}` : `exit ${e.code}`;
}
