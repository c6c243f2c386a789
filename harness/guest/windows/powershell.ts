/**
 * PowerShell over any GuestTransport: how bootgate runs commands on a Windows guest through its
 * OpenSSH Server (docs/windows-guests.md).
 *
 * Every command goes to the guest as
 *
 *   powershell.exe -NoProfile -NonInteractive -EncodedCommand <base64 of the UTF-16LE script>
 *
 * so no quoting survives two shells: the guest's sshd hands that line to its DefaultShell
 * (PowerShell, `-c` being its command option; cmd.exe works too), which starts powershell.exe,
 * which decodes the script. The script is wrapped in a fixed preamble: errors stop the script
 * ($ErrorActionPreference = 'Stop'), progress records are off (they would arrive as CLIXML on
 * stderr), the console encodings are UTF-8 (no BOM), and an uncaught error is printed as plain
 * text on stderr with exit code 1. Windows PowerShell 5.1 still writes some error records to
 * stderr as CLIXML (`#< CLIXML` then `<Objs ...>`) when started with -EncodedCommand: decodeClixml()
 * turns those back into text.
 *
 * Limits: cmd.exe cuts command lines at 8191 characters (CreateProcess at 32767), so an encoded
 * command is kept under ENCODED_LIMIT; a longer script is sent on stdin to a small bootstrap
 * (`$input | Out-String`, then `[ScriptBlock]::Create`), which Ansible's Windows-over-SSH
 * connection does the same way. A script that needs stdin itself must stay under the limit.
 *
 * Verified against: an in-process ssh2 server that decodes the commands and answers as Windows
 * does (windows-guest.int.test.ts). Not verified on a real Windows guest.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ExecOpts, ExecResult, GuestTransport, UploadOpts } from '../transport.js';
import { LabError } from '../../util/errors.js';
import { abbreviate } from '../../util/text.js';
import { unescapeXml } from '../../util/xml.js';

export const POWERSHELL_EXE = 'powershell.exe';
export const POWERSHELL_FLAGS = ['-NoProfile', '-NonInteractive', '-EncodedCommand'] as const;

/** Longest command line bootgate sends: under cmd.exe's 8191, with room for sshd's own wrapping. */
export const COMMAND_LINE_LIMIT = 8000;

/**
 * A PowerShell single-quoted string literal: `it's` → `'it''s'`. PowerShell also takes the
 * typographic quotes ‘ ’ ‚ ‛ (U+2018..U+201B) as single quotes, so those are doubled too.
 * Nothing is expanded inside single quotes ($, backtick and double quotes are literal).
 */
export function psQuote(s: string): string {
  if (s.includes('\0')) throw new LabError('PS_QUOTE', 'a PowerShell string cannot contain NUL');
  return `'${s.replace(/['\u2018\u2019\u201a\u201b]/g, (q) => q + q)}'`;
}

/** The -EncodedCommand argument: base64 of the script as UTF-16LE (what powershell.exe expects). */
export function encodedCommand(script: string): string {
  return Buffer.from(script, 'utf16le').toString('base64');
}

/** The line sshd gets for a script. */
export function psCommandLine(script: string): string {
  return `${POWERSHELL_EXE} ${POWERSHELL_FLAGS.join(' ')} ${encodedCommand(script)}`;
}

/** First lines of every script bootgate runs. */
export const PS_PREAMBLE = [
  "$ErrorActionPreference = 'Stop'",
  "$ProgressPreference = 'SilentlyContinue'",
  'try { [Console]::InputEncoding = [Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false } catch { $null = $_ }',
].join('\n');

/** The preamble, the script in a try block, and a catch that prints the error as text and exits 1. */
export function wrapScript(script: string): string {
  return `${PS_PREAMBLE}\ntry {\n${script}\n} catch {\n  [Console]::Error.WriteLine(($_ | Out-String))\n  exit 1\n}\n`;
}

/**
 * A native command whose exit code becomes the script's. The preamble's 'Stop' is lifted for it:
 * when powershell.exe's stderr is redirected (as under sshd), Windows PowerShell 5.1 turns each
 * stderr line of a native command into an error record (NativeCommandError), which 'Stop' would
 * make terminating, losing the command's exit code. With 'Continue' those lines arrive as error
 * records on stderr (CLIXML, decoded by runPs) and `exit $LASTEXITCODE` passes the code on.
 */
export function nativeCommandScript(line: string): string {
  return `$ErrorActionPreference = 'Continue'\n${line}\nexit $LASTEXITCODE`;
}

/** Reads the script from stdin and runs it: for scripts too long for a command line. */
export const STDIN_BOOTSTRAP = '$bootgateScript = $input | Out-String\n& ([ScriptBlock]::Create($bootgateScript))\n';

// ---- CLIXML --------------------------------------------------------------------------------------


/** `_xHHHH_` runs are UTF-16 code units (MS-PSRP string serialization); `_x005F_` is `_`. */
function unescapePsString(s: string): string {
  return s.replace(/(?:_x[0-9a-fA-F]{4}_)+/g, (run) => {
    const units = run.match(/_x([0-9a-fA-F]{4})_/g)!.map((u) => parseInt(u.slice(2, 6), 16));
    return units.map((u) => String.fromCharCode(u)).join('');
  });
}

/**
 * Turns PowerShell's CLIXML stderr (`#< CLIXML\r\n<Objs ...><S S="Error">...</S></Objs>`) into the
 * text of its Error (and Warning) strings; progress and other records are dropped. Text outside
 * the XML is kept; input without CLIXML is returned unchanged.
 */
export function decodeClixml(stderr: string): string {
  if (!stderr.includes('#< CLIXML')) return stderr;
  const out: string[] = [];
  const rest = stderr.replace(/#< CLIXML\r?\n?/g, '');
  let last = 0;
  for (const m of rest.matchAll(/<Objs\b[\s\S]*?<\/Objs>/g)) {
    out.push(rest.slice(last, m.index));
    last = (m.index ?? 0) + m[0].length;
    for (const s of m[0].matchAll(/<S S="(Error|Warning)">([\s\S]*?)<\/S>/g)) {
      const text = unescapePsString(unescapeXml(s[2] ?? ''));
      out.push(s[1] === 'Warning' ? `WARNING: ${text}` : text);
    }
  }
  out.push(rest.slice(last));
  return out.join('');
}

/** CRLF to LF, a leading UTF-8 BOM dropped. */
export function normalizeOutput(s: string): string {
  return s.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
}

// ---- running scripts -------------------------------------------------------------------------------

/** A PowerShell script on the guest exited non-zero (or without a status). */
export class PowerShellError extends LabError {
  /** The script's exit status; null when the guest reported none (killed). */
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The script as given (without the preamble). */
  readonly script: string;
  constructor(script: string, r: PsResult) {
    const first = script.trim().split('\n')[0] ?? '';
    const tail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-6).join('\n');
    const how = r.code === null ? `ended without an exit status${r.signal ? ` (${r.signal})` : ''}` : `exited ${r.code}`;
    super('POWERSHELL_FAILED', `PowerShell \`${abbreviate(first, 100)}\` ${how}${tail ? `: ${tail}` : ''}`);
    this.status = r.code;
    this.stdout = r.stdout;
    this.stderr = r.stderr;
    this.script = script;
  }
}

export interface PsResult {
  code: number | null;
  signal?: string;
  /** LF line ends, no BOM. */
  stdout: string;
  /** CLIXML decoded, LF line ends. */
  stderr: string;
}

export interface RunPsOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Data for the script's `$input` (one item per line). */
  stdin?: string | Buffer;
  /** Exit codes that count as success. Default [0]. */
  okCodes?: readonly number[];
  /** False: return the result whatever the exit code (still rejects on transport errors). Default true. */
  check?: boolean;
}

/** The transport under a WindowsPsTransport, so nothing is encoded twice. */
function raw(t: GuestTransport): GuestTransport {
  return t instanceof WindowsPsTransport ? t.inner : t;
}

/**
 * Runs a PowerShell script on the guest and returns its output. Throws PowerShellError when the
 * exit code is not in okCodes (unless check is false); transport errors (CONNECTION_LOST,
 * EXEC_TIMEOUT, ABORTED) pass through unchanged.
 */
export async function runPs(t: GuestTransport, script: string, opts: RunPsOptions = {}): Promise<PsResult> {
  const full = wrapScript(script);
  let cmd = psCommandLine(full);
  let stdin = opts.stdin;
  if (cmd.length > COMMAND_LINE_LIMIT) {
    if (stdin !== undefined) {
      throw new LabError('PS_SCRIPT_TOO_LONG', `a PowerShell script that reads stdin must encode to at most ${COMMAND_LINE_LIMIT} characters (this one: ${cmd.length})`);
    }
    cmd = psCommandLine(STDIN_BOOTSTRAP);
    stdin = full;
  }
  const r: ExecResult = await raw(t).exec(cmd, { timeoutMs: opts.timeoutMs ?? 120_000, signal: opts.signal, stdin });
  const result: PsResult = {
    code: r.code,
    ...(r.signal ? { signal: r.signal } : {}),
    stdout: normalizeOutput(r.stdout),
    stderr: normalizeOutput(decodeClixml(r.stderr)),
  };
  const ok = r.code !== null && (opts.okCodes ?? [0]).includes(r.code);
  if (!ok && opts.check !== false) throw new PowerShellError(script, result);
  return result;
}

/** Reads `KEY=value` lines of a script's output (the convention of bootgate's scripts). */
export function psFields(stdout: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0 && /^[A-Z0-9_]+$/.test(line.slice(0, i))) m.set(line.slice(0, i), line.slice(i + 1).trimEnd());
  }
  return m;
}

// ---- files -----------------------------------------------------------------------------------------

/** True for `C:\...` (or `C:/...`) and `\\server\share\...` / `\\?\...` paths. */
export function isAbsoluteWindowsPath(p: string): boolean {
  return /^[A-Za-z]:[\\/]/.test(p) || /^\\\\[^\\]/.test(p);
}

export function writeFileScript(remotePath: string): string {
  return [
    `$path = ${psQuote(remotePath)}`,
    '$dir = [System.IO.Path]::GetDirectoryName($path)',
    'if ($dir -and -not [System.IO.Directory]::Exists($dir)) { [void][System.IO.Directory]::CreateDirectory($dir) }',
    '$bytes = [System.Convert]::FromBase64String(($input | Out-String))',
    '[System.IO.File]::WriteAllBytes($path, $bytes)',
    '$sha = [System.Security.Cryptography.SHA256]::Create()',
    "$hash = [System.BitConverter]::ToString($sha.ComputeHash([System.IO.File]::ReadAllBytes($path))).Replace('-', '')",
    "'BYTES=' + $bytes.Length",
    "'SHA256=' + $hash",
  ].join('\n');
}

/** Base64 in 76-character lines, each ending in a newline (PowerShell reads stdin line by line). */
function base64Lines(data: Buffer): string {
  const b64 = data.toString('base64');
  let out = '';
  for (let i = 0; i < b64.length; i += 76) out += `${b64.slice(i, i + 76)}\n`;
  return out || '\n';
}

/**
 * Writes bytes to an absolute path on the guest (creating its folder), then checks the SHA-256
 * the guest computed from the written file. The bytes travel base64-encoded on stdin.
 * Fails with UPLOAD_BAD_PATH, UPLOAD_FAILED (the script failed) or UPLOAD_VERIFY (the guest's
 * file differs). Windows has no mode bits: UploadOpts.mode is ignored.
 */
export async function psWriteFile(t: GuestTransport, data: Buffer | string, remotePath: string, opts: UploadOpts & { timeoutMs?: number } = {}): Promise<void> {
  if (!isAbsoluteWindowsPath(remotePath) || remotePath.includes('\0')) {
    throw new LabError('UPLOAD_BAD_PATH', `not an absolute Windows path: ${JSON.stringify(remotePath)}`);
  }
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let r: PsResult;
  try {
    r = await runPs(t, writeFileScript(remotePath), { stdin: base64Lines(buf), signal: opts.signal, timeoutMs: opts.timeoutMs ?? 300_000 });
  } catch (e) {
    if (e instanceof PowerShellError) throw new LabError('UPLOAD_FAILED', `writing ${remotePath} on the guest failed: ${e.message}`, { cause: e });
    throw e;
  }
  const f = psFields(r.stdout);
  const want = createHash('sha256').update(buf).digest('hex').toUpperCase();
  if (f.get('SHA256')?.toUpperCase() !== want || f.get('BYTES') !== String(buf.length)) {
    throw new LabError(
      'UPLOAD_VERIFY',
      `${remotePath} on the guest is not what was sent: ${f.get('BYTES') ?? '?'} bytes, SHA-256 ${f.get('SHA256') ?? '?'}; sent ${buf.length} bytes, ${want}`,
    );
  }
}

/**
 * A GuestTransport for Windows guests on top of the SSH one: exec runs its argument as a
 * PowerShell script (resolving whatever the exit code, as the contract says), upload/uploadData
 * use psWriteFile. The Windows helpers (runPs, windows-guest.ts, the driver agent) accept either.
 */
export class WindowsPsTransport implements GuestTransport {
  constructor(readonly inner: GuestTransport) {}

  async exec(script: string, opts: ExecOpts = {}): Promise<ExecResult> {
    const r = await runPs(this.inner, script, { ...opts, check: false });
    return { code: r.code, ...(r.signal ? { signal: r.signal } : {}), stdout: r.stdout, stderr: r.stderr };
  }

  async upload(localPath: string, remotePath: string, opts: UploadOpts = {}): Promise<void> {
    let data: Buffer;
    try {
      data = await readFile(localPath);
    } catch (e) {
      throw new LabError('UPLOAD_SOURCE', `cannot upload ${localPath}: ${(e as Error).message}`, { cause: e });
    }
    await psWriteFile(this.inner, data, remotePath, opts);
  }

  uploadData(data: Buffer | string, remotePath: string, opts: UploadOpts = {}): Promise<void> {
    return psWriteFile(this.inner, data, remotePath, opts);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
