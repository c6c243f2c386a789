/**
 * How the harness talks to a running guest: run a command, put a file on it, hang up.
 *
 * This is the plug-in point between the lab and the guest OS. Implementations:
 * - `SshTransport` (ssh-transport.ts): Linux guests over SSH (dropbear or OpenSSH).
 * - later: a Windows flavor (PowerShell over SSH) and a serial console flavor.
 *
 * Contract every implementation keeps:
 * - `exec` resolves with the command's result whatever its exit code; it rejects only when the
 *   command's outcome is unknown: timeout (code EXEC_TIMEOUT), abort (ABORTED), the connection
 *   to the guest dropped before an exit status arrived (CONNECTION_LOST — expected after
 *   `reboot`), or the transport could not start the command at all.
 * - `upload`/`uploadData` resolve once the file is completely written on the guest (and its
 *   mode set when `mode` is given), and reject otherwise.
 * - `close` is idempotent and never rejects.
 */

export interface ExecOpts {
  /** Give up after this long: the remote command is killed and exec rejects with EXEC_TIMEOUT. */
  timeoutMs?: number;
  /** Abort: the remote command is killed and exec rejects with an AbortedError (ABORTED). */
  signal?: AbortSignal;
  /** Fed to the command's stdin, then EOF. Without it the command gets an immediate EOF. */
  stdin?: string | Buffer;
}

export interface ExecResult {
  /** The exit status; null when the command died of a signal or the guest reported no status. */
  code: number | null;
  /** The signal name as in Node (`SIGKILL`, `SIGTERM`) when the command was killed by a signal. */
  signal?: string;
  stdout: string;
  stderr: string;
}

export interface UploadOpts {
  signal?: AbortSignal;
  /** Permission bits to set on the remote file (e.g. 0o755). Without it the guest's umask decides. */
  mode?: number;
}

export interface GuestTransport {
  exec(cmd: string, opts?: ExecOpts): Promise<ExecResult>;
  upload(localPath: string, remotePath: string, opts?: UploadOpts): Promise<void>;
  uploadData(data: Buffer | string, remotePath: string, opts?: UploadOpts): Promise<void>;
  close(): Promise<void>;
}
