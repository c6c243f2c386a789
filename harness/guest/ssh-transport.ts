import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import ssh2 from 'ssh2';
import type { Client as Ssh2Client, ClientChannel } from 'ssh2';
import { AbortedError, BootgateError, LabError, throwIfAborted } from '../util/errors.js';
import { shellQuote } from '../util/shell-quote.js';
import { abbreviate } from '../util/text.js';
import type { ExecOpts, ExecResult, GuestTransport, UploadOpts } from './transport.js';

// ssh2 is CommonJS without statically detectable named exports: take the default export.
const { Client } = ssh2;

/**
 * SSH flavor of GuestTransport, on the ssh2 `Client`. One connection per boot, never
 * reconnected: when the guest goes away (reboot, crash) the transport is dead and the caller
 * makes a new one with `waitForSsh` once the guest is back.
 *
 * Connection loss during exec — the documented choice:
 *   An exec whose connection drops before the guest sent an exit status REJECTS with
 *   `ConnectionLostError` (code CONNECTION_LOST). It never resolves with a made-up result, so a
 *   dropped connection cannot be mistaken for a command's outcome. A reboot step does:
 *
 *     try { await t.exec('reboot') } catch (e) { if (!isConnectionLost(e)) throw e }
 *
 *   and must also accept a resolved result: `reboot` may exit 0 before the link drops, or its
 *   shell may be killed by the shutdown (code null, signal 'SIGTERM'/'SIGKILL').
 *   If the exit status did arrive and only then the connection dropped, exec resolves with it.
 *   `{ code: null, signal: undefined }` only happens on a live connection whose server closed the
 *   channel without reporting a status (a server quirk, not a drop).
 *   After a loss every further exec/upload rejects with CONNECTION_LOST at once.
 */

// ---------------------------------------------------------------------------------------------
// Errors (all LabError: the transport cannot tell a lab fault from an agent fault; exit 3).

export type SshConnectReason =
  | 'refused' // nothing listens (yet): ECONNREFUSED
  | 'reset' // ECONNRESET / EPIPE
  | 'closed' // accepted, then closed before or during the handshake (QEMU hostfwd before sshd listens)
  | 'timeout' // no completed handshake within readyTimeoutMs
  | 'unreachable' // EHOSTUNREACH, ENETUNREACH, ETIMEDOUT
  | 'disconnected' // the server sent SSH_MSG_DISCONNECT before we were in (e.g. too many startups)
  | 'protocol' // garbage instead of an SSH server
  | 'dns' // the host name does not resolve
  | 'auth' // the server does not accept the lab key
  | 'handshake' // no common algorithms
  | 'config' // our own options are unusable (e.g. the private key does not parse)
  | 'other';

/** Could not connect/authenticate. `retryable` tells waitForSsh whether another attempt can help. */
export class SshConnectError extends LabError {
  readonly host: string;
  readonly port: number;
  readonly reason: SshConnectReason;
  readonly retryable: boolean;
  /** Attempts made (waitForSsh), 1 for a single connect. */
  readonly attempts: number;
  constructor(
    where: { host: string; port: number },
    reason: SshConnectReason,
    retryable: boolean,
    message: string,
    options?: { cause?: unknown; attempts?: number },
  ) {
    super('SSH_CONNECT', `ssh ${where.host}:${where.port}: ${message}`, options);
    this.host = where.host;
    this.port = where.port;
    this.reason = reason;
    this.retryable = retryable;
    this.attempts = options?.attempts ?? 1;
  }
}

/** The server's host key is not the pinned one. Never retried. */
export class HostKeyMismatchError extends LabError {
  /** The pinned key line, as given. */
  readonly expected: string;
  /** The key the server presented, as an OpenSSH line (`type base64`). */
  readonly actual: string;
  readonly expectedFingerprint: string;
  readonly actualFingerprint: string;
  constructor(where: { host: string; port: number }, expected: Buffer, expectedLine: string, actual: Buffer) {
    const ef = keyFingerprint(expected);
    const af = keyFingerprint(actual);
    super(
      'HOST_KEY_MISMATCH',
      `ssh ${where.host}:${where.port}: host key mismatch: expected ${ef}, server presented ${af} (${keyType(actual) ?? 'unknown type'})`,
    );
    this.expected = expectedLine;
    this.actual = openSshKeyLine(actual);
    this.expectedFingerprint = ef;
    this.actualFingerprint = af;
  }
}

/** exec (or upload) ran past its timeoutMs; the remote command was signalled KILL and its channel closed. */
export class ExecTimeoutError extends LabError {
  readonly command: string;
  readonly timeoutMs: number;
  /** Output received before the timeout. */
  readonly stdout: string;
  readonly stderr: string;
  constructor(command: string, timeoutMs: number, partial: { stdout: string; stderr: string }) {
    super('EXEC_TIMEOUT', `\`${abbreviate(command)}\` did not finish within ${timeoutMs} ms`);
    this.command = command;
    this.timeoutMs = timeoutMs;
    this.stdout = partial.stdout;
    this.stderr = partial.stderr;
  }
}
export { ExecTimeoutError as TimeoutError };

/** The SSH connection is gone (guest rebooted or died, keepalive expired, or close() was called). */
export class ConnectionLostError extends LabError {
  /** The command that was running, if any. */
  readonly command?: string;
  readonly stdout: string;
  readonly stderr: string;
  constructor(message: string, details: { command?: string; stdout?: string; stderr?: string } = {}, options?: { cause?: unknown }) {
    super('CONNECTION_LOST', message, options);
    this.command = details.command;
    this.stdout = details.stdout ?? '';
    this.stderr = details.stderr ?? '';
  }
}

export function isConnectionLost(e: unknown): e is ConnectionLostError {
  return e instanceof BootgateError && e.code === 'CONNECTION_LOST';
}

// ---------------------------------------------------------------------------------------------
// Host keys

/**
 * Parse an OpenSSH public key line (`ssh-ed25519 AAAA... comment`; a known_hosts line with a
 * leading host field works too) into its key blob — the bytes ssh2's hostVerifier receives.
 */
export function parseOpenSshPublicKey(line: string): { type: string; blob: Buffer } {
  const fields = line.trim().split(/\s+/);
  for (let i = 0; i + 1 < fields.length; i++) {
    const type = fields[i]!;
    const b64 = fields[i + 1]!;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
    const blob = Buffer.from(b64, 'base64');
    if (keyType(blob) === type) return { type, blob };
  }
  throw new LabError('HOST_KEY_INVALID', `not an OpenSSH public key line: ${JSON.stringify(abbreviate(line, 80))}`);
}

/** The key type embedded at the start of a key blob (SSH string: uint32 length + name). */
function keyType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const n = blob.readUInt32BE(0);
  if (n === 0 || n > 64 || 4 + n > blob.length) return undefined;
  const t = blob.subarray(4, 4 + n).toString('latin1');
  return /^[\x21-\x7e]+$/.test(t) ? t : undefined;
}

/** `type base64` — what onFirstSeen receives and what `expected` accepts back. */
export function openSshKeyLine(blob: Buffer): string {
  return `${keyType(blob) ?? 'unknown'} ${blob.toString('base64')}`;
}

/** OpenSSH-style fingerprint: `SHA256:` + unpadded base64 of the blob's SHA-256. */
export function keyFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

// ---------------------------------------------------------------------------------------------
// Shell quoting for the upload command (POSIX sh: dropbear runs commands through the user's shell).

/** `cat > 'path' [&& chmod 0755 'path']`: the file's bytes arrive on stdin. */
export function uploadCommand(remotePath: string, mode?: number): string {
  if (remotePath === '' || remotePath.includes('\0')) {
    throw new LabError('UPLOAD_BAD_PATH', `unusable remote path ${JSON.stringify(remotePath)}`);
  }
  // A leading '-' would read as an option to chmod.
  const q = shellQuote(remotePath.startsWith('-') ? `./${remotePath}` : remotePath);
  if (mode === undefined) return `cat > ${q}`;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new LabError('UPLOAD_BAD_MODE', `file mode ${mode} is not between 0 and 0o7777`);
  }
  return `cat > ${q} && chmod ${mode.toString(8).padStart(4, '0')} ${q}`;
}

// ---------------------------------------------------------------------------------------------
// Connecting

export interface HostKeyPolicy {
  /**
   * The pinned host key as an OpenSSH public key line (`ssh-ed25519 AAAA...`). The server's key
   * blob must equal it, or connect fails with HOST_KEY_MISMATCH.
   */
  expected?: string;
  /**
   * Without `expected`: called with the server's key as an OpenSSH line (`type base64`) once the
   * connection is authenticated (so only a server that accepted the lab key gets recorded).
   * If it throws, the connection is closed and connect rejects with that error.
   */
  onFirstSeen?: (key: string) => void;
}

export interface SshConnectOptions {
  host: string;
  port: number;
  username: string;
  /** OpenSSH/PEM private key text (e.g. `ensureLabKey(dir).privateKey`). */
  privateKey: string | Buffer;
  hostKey?: HostKeyPolicy;
  /** TCP connect + SSH handshake + authentication must finish within this. Default 20 s. */
  readyTimeoutMs?: number;
  signal?: AbortSignal;
  /** SSH keepalive: a guest that stops answering is declared lost after about interval × (countMax + 1). */
  keepaliveIntervalMs?: number; // default 5000
  keepaliveCountMax?: number; // default 3
  /** Keep at most this many bytes (the tail) of each of stdout/stderr per exec. Default 16 MiB. */
  maxOutputBytes?: number;
}

const DEFAULT_READY_TIMEOUT_MS = 20_000;
const DEFAULT_KEEPALIVE_INTERVAL_MS = 5_000;
const DEFAULT_KEEPALIVE_COUNT_MAX = 3;
const DEFAULT_MAX_OUTPUT = 16 << 20;

function classifyConnectError(e: unknown, where: { host: string; port: number }): SshConnectError {
  const err = e as { code?: unknown; level?: unknown; message?: unknown };
  const code = err?.code;
  const level = err?.level;
  const msg = typeof err?.message === 'string' ? err.message : String(e);
  const mk = (reason: SshConnectReason, retryable: boolean, text: string) =>
    new SshConnectError(where, reason, retryable, `${text} (${msg})`, { cause: e });
  if (level === 'client-authentication') return mk('auth', false, 'authentication failed: the guest does not accept the lab key');
  if (level === 'client-timeout') return mk('timeout', true, 'no SSH handshake in time');
  switch (code) {
    case 'ECONNREFUSED':
      return mk('refused', true, 'connection refused');
    case 'ECONNRESET':
    case 'ECONNABORTED':
    case 'EPIPE':
      return mk('reset', true, 'connection reset');
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
      return mk('unreachable', true, 'host unreachable');
    case 'EAI_AGAIN':
      return mk('dns', true, 'host name lookup failed (temporarily)');
    case 'ENOTFOUND':
      return mk('dns', false, 'host name does not resolve');
  }
  if (typeof code === 'number') {
    // SSH_MSG_DISCONNECT from the server; 14 = NO_MORE_AUTH_METHODS_AVAILABLE.
    return code === 14 ? mk('auth', false, 'authentication failed') : mk('disconnected', true, 'server disconnected');
  }
  if (level === 'protocol') {
    return /before handshake/i.test(msg) ? mk('closed', true, 'connection closed before the SSH handshake') : mk('protocol', true, 'SSH protocol error');
  }
  if (level === 'handshake') return mk('handshake', false, 'SSH handshake failed');
  if (level === 'client-socket') return mk('other', true, 'socket error');
  return mk('other', false, 'connect failed');
}

// ---------------------------------------------------------------------------------------------

/** Keeps the last `max` bytes of a stream; decodes as UTF-8 once at the end. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max: number) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    if (this.size > this.max) {
      const all = Buffer.concat(this.chunks).subarray(this.size - this.max);
      this.chunks = [all];
      this.size = all.length;
    }
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

type StdinSource = string | Buffer | Readable | undefined;

export class SshTransport implements GuestTransport {
  readonly host: string;
  readonly port: number;
  /** The server's host key as an OpenSSH line (`type base64`). */
  readonly hostKey: string;
  private readonly client: Ssh2Client;
  private readonly maxOutput: number;
  private lost = false;
  private closing = false;
  private lastError: unknown;
  private closedPromise: Promise<void> | undefined;
  /** Execs in flight; each settles itself when the connection goes away (safety net). */
  private readonly inflight = new Set<() => void>();

  private constructor(client: Ssh2Client, opts: SshConnectOptions, hostKey: Buffer) {
    this.client = client;
    this.host = opts.host;
    this.port = opts.port;
    this.hostKey = openSshKeyLine(hostKey);
    this.maxOutput = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    client.on('error', (e) => {
      this.lastError ??= e;
    });
    client.on('end', () => this.markLost());
    client.on('close', () => this.markLost());
  }

  /** Connect and authenticate once; no retry (see waitForSsh). */
  static async connect(opts: SshConnectOptions): Promise<SshTransport> {
    throwIfAborted(opts.signal);
    const where = { host: opts.host, port: opts.port };
    const expectedLine = opts.hostKey?.expected;
    const expected = expectedLine !== undefined ? parseOpenSshPublicKey(expectedLine).blob : undefined;

    return new Promise<SshTransport>((resolve, reject) => {
      const client = new Client();
      let settled = false;
      let seen: Buffer | undefined;
      let mismatch = false;

      const fail = (e: unknown) => {
        if (settled) return;
        settled = true;
        opts.signal?.removeEventListener('abort', onAbort);
        client.destroy();
        reject(e);
      };
      const onAbort = () => fail(new AbortedError(`ssh connect to ${opts.host}:${opts.port} aborted`, { cause: opts.signal?.reason }));
      opts.signal?.addEventListener('abort', onAbort, { once: true });

      // Stays attached for the life of the client: an 'error' without a listener would crash the process.
      client.on('error', (e) => {
        if (settled) return;
        if (mismatch && expected && seen) fail(new HostKeyMismatchError(where, expected, expectedLine!, seen));
        else fail(classifyConnectError(e, where));
      });
      client.on('close', () => {
        if (settled) return;
        fail(new SshConnectError(where, 'closed', true, 'connection closed during the SSH handshake'));
      });
      client.on('ready', () => {
        if (settled) return;
        settled = true;
        opts.signal?.removeEventListener('abort', onAbort);
        const t = new SshTransport(client, opts, seen ?? Buffer.alloc(0));
        if (!expected && opts.hostKey?.onFirstSeen && seen) {
          try {
            opts.hostKey.onFirstSeen(openSshKeyLine(seen));
          } catch (e) {
            void t.close();
            return reject(e);
          }
        }
        resolve(t);
      });

      try {
        client.connect({
          host: opts.host,
          port: opts.port,
          username: opts.username,
          privateKey: opts.privateKey,
          readyTimeout: opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
          keepaliveInterval: opts.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS,
          keepaliveCountMax: opts.keepaliveCountMax ?? DEFAULT_KEEPALIVE_COUNT_MAX,
          // No hostHash: ssh2 then hands us the raw key blob.
          hostVerifier: (key: Buffer): boolean => {
            seen = Buffer.from(key);
            if (expected && !expected.equals(seen)) {
              mismatch = true;
              return false;
            }
            return true;
          },
        });
      } catch (e) {
        // ssh2 validates its config synchronously (e.g. a private key it cannot parse).
        fail(new SshConnectError(where, 'config', false, `bad connection settings: ${(e as Error)?.message ?? e}`, { cause: e }));
      }
    });
  }

  /** False once the connection dropped or close() was called. */
  get connected(): boolean {
    return !this.lost && !this.closing;
  }

  exec(cmd: string, opts: ExecOpts = {}): Promise<ExecResult> {
    return this.run(cmd, opts.stdin, opts);
  }

  async upload(localPath: string, remotePath: string, opts: UploadOpts = {}): Promise<void> {
    const cmd = uploadCommand(remotePath, opts.mode);
    throwIfAborted(opts.signal);
    try {
      const st = await stat(localPath);
      if (!st.isFile()) throw new Error('not a regular file');
    } catch (e) {
      throw new LabError('UPLOAD_SOURCE', `cannot upload ${localPath}: ${(e as Error)?.message ?? e}`, { cause: e });
    }
    await this.finishUpload(cmd, remotePath, createReadStream(localPath), opts);
  }

  async uploadData(data: Buffer | string, remotePath: string, opts: UploadOpts = {}): Promise<void> {
    const cmd = uploadCommand(remotePath, opts.mode);
    await this.finishUpload(cmd, remotePath, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, opts);
  }

  private async finishUpload(cmd: string, remotePath: string, src: StdinSource, opts: UploadOpts): Promise<void> {
    const r = await this.run(cmd, src, { signal: opts.signal });
    if (r.code !== 0) {
      const how = r.signal ? `killed by ${r.signal}` : r.code === null ? 'no exit status' : `exit ${r.code}`;
      const tail = r.stderr.trim().split('\n').slice(-4).join('\n');
      throw new LabError('UPLOAD_FAILED', `upload to ${this.host}:${remotePath} failed (${how})${tail ? `: ${tail}` : ''}`);
    }
  }

  /** Idempotent; waits for the socket to close (destroys it after 2 s). Never rejects. */
  close(): Promise<void> {
    if (this.closedPromise) return this.closedPromise;
    this.closing = true;
    this.closedPromise = new Promise<void>((resolve) => {
      if (this.lost) return resolve();
      const timer = setTimeout(() => {
        this.client.destroy();
        resolve();
      }, 2000);
      this.client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      try {
        this.client.end();
      } catch {
        this.client.destroy();
      }
    });
    return this.closedPromise;
  }

  private markLost(): void {
    if (this.lost) return;
    this.lost = true;
    // ssh2 closes every channel when the socket closes, which settles each exec with its complete
    // output; this only catches an exec whose channel never reports back.
    if (this.inflight.size > 0) {
      setTimeout(() => {
        for (const settle of [...this.inflight]) settle();
      }, 1000);
    }
  }

  private lostError(details: { command?: string; stdout?: string; stderr?: string }): ConnectionLostError {
    const what = details.command ? ` while running \`${abbreviate(details.command)}\`` : '';
    const why = this.closing ? 'the transport was closed' : 'the connection to the guest dropped';
    const cause = this.lastError as { message?: string } | undefined;
    return new ConnectionLostError(
      `ssh ${this.host}:${this.port}: ${why}${what}${!this.closing && cause?.message ? ` (${cause.message})` : ''}`,
      details,
      { cause: this.lastError },
    );
  }

  private run(cmd: string, stdin: StdinSource, opts: { timeoutMs?: number; signal?: AbortSignal }): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      const src = stdin !== undefined && typeof stdin !== 'string' && !Buffer.isBuffer(stdin) ? stdin : undefined;
      if (opts.signal?.aborted) {
        src?.destroy();
        return reject(new AbortedError(`exec aborted: ${abbreviate(cmd)}`, { cause: opts.signal.reason }));
      }
      if (this.lost || this.closing) {
        src?.destroy();
        return reject(this.lostError({ command: cmd }));
      }

      const out = new Tail(this.maxOutput);
      const err = new Tail(this.maxOutput);
      const partial = () => ({ command: cmd, stdout: out.text(), stderr: err.text() });
      let channel: ClientChannel | undefined;
      let exit: { code: number | null; signal?: string } | undefined;
      let done = false;
      let timer: NodeJS.Timeout | undefined;

      const result = (): ExecResult => ({
        code: exit!.code,
        ...(exit!.signal ? { signal: exit!.signal } : {}),
        stdout: out.text(),
        stderr: err.text(),
      });
      const settle = (e: unknown, r?: ExecResult) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        this.inflight.delete(onLost);
        if (src) {
          if (channel) src.unpipe(channel);
          src.destroy();
        }
        if (e) reject(e);
        else resolve(r!);
      };
      const kill = () => {
        if (channel) killChannel(channel);
      };
      const onAbort = () => {
        kill();
        settle(new AbortedError(`exec aborted: ${abbreviate(cmd)}`, { cause: opts.signal?.reason }));
      };
      const onLost = () => (exit ? settle(undefined, result()) : settle(this.lostError(partial())));

      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.inflight.add(onLost);
      if (opts.timeoutMs !== undefined) {
        const ms = opts.timeoutMs;
        timer = setTimeout(() => {
          kill();
          settle(new ExecTimeoutError(cmd, ms, partial()));
        }, ms);
      }

      const onChannel = (e: Error | undefined, ch: ClientChannel) => {
        if (e) {
          return settle(
            this.lost || this.closing
              ? this.lostError({ command: cmd })
              : new LabError('SSH_CHANNEL', `ssh ${this.host}:${this.port}: cannot start \`${abbreviate(cmd)}\`: ${e.message}`, { cause: e }),
          );
        }
        if (done) {
          // Timed out or aborted while the channel was opening.
          killChannel(ch);
          return;
        }
        channel = ch;
        ch.on('data', (d: Buffer) => out.push(d));
        ch.stderr.on('data', (d: Buffer) => err.push(d));
        ch.on('exit', (code: number | null, signal?: string) => {
          exit = { code: typeof code === 'number' ? code : null, ...(signal ? { signal } : {}) };
        });
        // Writing stdin to a channel the server already closed errors; the close below decides.
        ch.on('error', () => {});
        ch.stderr.on('error', () => {});
        ch.on('close', () => {
          if (exit) settle(undefined, result());
          else if (this.lost || this.closing) settle(this.lostError(partial()));
          else settle(undefined, { code: null, stdout: out.text(), stderr: err.text() });
        });
        if (src) {
          src.on('error', (readErr: Error) => {
            kill();
            settle(new LabError('UPLOAD_SOURCE', `reading stdin for \`${abbreviate(cmd)}\` failed: ${readErr.message}`, { cause: readErr }));
          });
          src.pipe(ch);
        } else if (stdin !== undefined) {
          ch.end(stdin as string | Buffer);
        } else {
          ch.end();
        }
      };

      try {
        this.client.exec(cmd, onChannel);
      } catch (e) {
        // ssh2 throws synchronously when the socket is no longer writable.
        settle(this.lostError({ command: cmd }));
        void e;
      }
    });
  }
}

/**
 * Best effort to stop the remote command: an SSH "signal" request (KILL), then close the channel.
 * ssh2's public `signal()` refuses once stdin is at EOF (which every exec reaches at once), although
 * the protocol allows it, so go through its protocol object when the channel is still open.
 */
function killChannel(ch: ClientChannel): void {
  const c = ch as unknown as {
    outgoing?: { id?: number; state?: string };
    _client?: { _protocol?: { signal?: (id: number, name: string) => void } };
  };
  try {
    const proto = c._client?._protocol;
    const id = c.outgoing?.id;
    const state = c.outgoing?.state;
    if (proto?.signal && typeof id === 'number' && (state === 'open' || state === 'eof')) proto.signal(id, 'KILL');
    else ch.signal('KILL');
  } catch {
    /* the connection may already be gone */
  }
  try {
    ch.close();
  } catch {
    /* already closed */
  }
}

// ---------------------------------------------------------------------------------------------
// Readiness

export interface WaitForSshOptions extends SshConnectOptions {
  /** Keep trying for this long, in ms from the call (a duration, not a timestamp). */
  deadlineMs: number;
  /** Backoff between attempts: starts at initialMs, doubles up to maxMs. Default 250 → 1000. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Told about each failed, retryable attempt (for logs). */
  onRetry?: (attempt: number, error: SshConnectError) => void;
}

/**
 * Connect, retrying until connected or the deadline passes. This is guest readiness: after the
 * guest prints its ready marker the port forward exists, but sshd may not listen yet (refused,
 * reset, or accepted-then-closed by QEMU's forward) or may not finish a handshake yet — all
 * retried. Not retried: host key mismatch, authentication failure, algorithm mismatch, bad options.
 * On deadline: SshConnectError (SSH_CONNECT) naming the attempts, with the last failure as cause.
 * Each attempt's readyTimeoutMs is clipped to the time left.
 */
export async function waitForSsh(opts: WaitForSshOptions): Promise<SshTransport> {
  const where = { host: opts.host, port: opts.port };
  const end = Date.now() + opts.deadlineMs;
  const maxDelay = opts.backoff?.maxMs ?? 1000;
  let delay = Math.min(opts.backoff?.initialMs ?? 250, maxDelay);
  const perAttempt = opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  let attempts = 0;
  let last: SshConnectError | undefined;
  for (;;) {
    throwIfAborted(opts.signal);
    const left = end - Date.now();
    if (left <= 0) {
      throw new SshConnectError(
        where,
        last?.reason ?? 'timeout',
        false,
        `no SSH within ${opts.deadlineMs} ms after ${attempts} attempt(s)${last ? `; last: ${last.message}` : ''}`,
        { cause: last, attempts },
      );
    }
    attempts++;
    try {
      return await SshTransport.connect({ ...opts, readyTimeoutMs: Math.max(1, Math.min(perAttempt, left)) });
    } catch (e) {
      if (!(e instanceof SshConnectError) || !e.retryable) throw e;
      last = e;
      opts.onRetry?.(attempts, e);
    }
    const wait = Math.min(delay, end - Date.now());
    if (wait > 0) await sleep(wait, opts.signal);
    delay = Math.min(delay * 2, maxDelay);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError(String(signal.reason ?? 'aborted'), { cause: signal.reason }));
    const onAbort = () => {
      clearTimeout(t);
      reject(new AbortedError(String(signal?.reason ?? 'aborted'), { cause: signal?.reason }));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
