/**
 * What the harness asks a running Windows guest, in PowerShell over any GuestTransport
 * (powershell.ts): its boot time (the boot marker), a reboot, the bugchecks in its System event
 * log, and the headers of its crash dumps.
 *
 * Output formats are chosen to be parsed, not read: `KEY=value` lines, ISO 8601 round-trip
 * timestamps in UTC (`DateTime.ToString('o')`: `2025-11-24T15:14:05.4980000Z`), event XML from
 * EventLogRecord.ToXml() (the format detect/windows/event-log.ts parses), dump bytes in base64.
 *
 * Verified against the in-process fake in windows-guest.int.test.ts only; see docs/windows-guests.md.
 */
import type { CrashRecord } from '../../results/crash-record.js';
import { parseEventLog, parseEventXmlBlocks } from '../../detect/windows/event-log.js';
import { parseKernelDumpHeader, type KernelDumpResult } from '../../detect/windows/dump-header.js';
import { LabError } from '../../util/errors.js';
import { isConnectionLost } from '../ssh-transport.js';
import type { GuestTransport } from '../transport.js';
import { nativeCommandScript, PowerShellError, psFields, psQuote, runPs } from './powershell.js';

export interface GuestCallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

// ---- boot marker -----------------------------------------------------------------------------------

export const LAST_BOOT_SCRIPT = [
  '$os = Get-CimInstance -ClassName Win32_OperatingSystem',
  "'BOOT=' + $os.LastBootUpTime.ToUniversalTime().ToString('o')",
].join('\n');

export interface BootMarker {
  /** As the guest printed it (`2025-11-24T15:14:05.4980000Z`). */
  raw: string;
  /** The same instant, to the millisecond (guest clock). */
  at: Date;
}

const ROUNDTRIP_UTC = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,7}))?Z$/;

/** Parses a `DateTime.ToString('o')` of a UTC time; undefined when it is not one. */
export function parseRoundtripUtc(s: string): Date | undefined {
  const m = ROUNDTRIP_UTC.exec(s.trim());
  if (!m) return undefined;
  const ms = (m[2] ?? '').padEnd(3, '0').slice(0, 3);
  const d = new Date(`${m[1]}.${ms}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function parseBootMarker(stdout: string): BootMarker {
  const raw = psFields(stdout).get('BOOT');
  const at = raw === undefined ? undefined : parseRoundtripUtc(raw);
  if (raw === undefined || at === undefined) {
    throw new LabError('WINDOWS_BOOT_TIME', `no LastBootUpTime in the guest's answer: ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  return { raw, at };
}

/** `(Get-CimInstance Win32_OperatingSystem).LastBootUpTime` in UTC: changes at every boot. */
export async function lastBootUpTime(t: GuestTransport, opts: GuestCallOptions = {}): Promise<BootMarker> {
  const r = await runPs(t, LAST_BOOT_SCRIPT, { timeoutMs: opts.timeoutMs ?? 60_000, signal: opts.signal });
  return parseBootMarker(r.stdout);
}

/**
 * Whether `after` is a later boot than `before`. Windows keeps its boot time as "now minus
 * uptime", so a clock correction (time sync after boot) can move LastBootUpTime by a little
 * within one boot; a real reboot moves it forward by at least the previous boot's uptime.
 */
export function isNewBoot(before: BootMarker, after: BootMarker, toleranceMs = 5000): boolean {
  return after.at.getTime() - before.at.getTime() > toleranceMs;
}

// ---- reboot ----------------------------------------------------------------------------------------

export const REBOOT_SCRIPT = nativeCommandScript('shutdown.exe /r /t 0');

export type RebootOutcome =
  /** shutdown.exe exited 0 before the connection went. */
  | 'exited'
  /** The connection dropped before an exit status arrived (the usual case with /t 0). */
  | 'connection-lost'
  /** The channel closed without a status: the session was killed by the shutdown. */
  | 'no-status';

/**
 * `shutdown /r /t 0`. The SSH connection may drop before shutdown.exe's exit status arrives:
 * that is success. A non-zero exit (no privilege: 5, a shutdown already scheduled: 1190) throws
 * PowerShellError. The transport is unusable afterwards: close it and connect again once the
 * guest is back (then compare lastBootUpTime). The harness still waits for QMP's RESET.
 */
export async function requestReboot(t: GuestTransport, opts: GuestCallOptions = {}): Promise<RebootOutcome> {
  try {
    const r = await runPs(t, REBOOT_SCRIPT, { timeoutMs: opts.timeoutMs ?? 60_000, signal: opts.signal, check: false });
    if (r.code === 0) return 'exited';
    if (r.code === null) return 'no-status';
    throw new PowerShellError(REBOOT_SCRIPT, r);
  } catch (e) {
    if (isConnectionLost(e)) return 'connection-lost';
    throw e;
  }
}

// ---- bugchecks in the event log ----------------------------------------------------------------------

/**
 * System log events 1001 (WER-SystemErrorReporting, "rebooted from a bugcheck") and 41
 * (Kernel-Power) at or after `since`, oldest first, each as its ToXml(). Providers are not
 * filtered here: parseEventLog() keeps only those two. Get-WinEvent throws when nothing matches
 * (FullyQualifiedErrorId NoMatchingEventsFound): that is an empty answer, not an error.
 */
export function bugcheckEventsScript(since: Date): string {
  return [
    `$since = [DateTime]::Parse(${psQuote(since.toISOString())}, [Globalization.CultureInfo]::InvariantCulture, [Globalization.DateTimeStyles]::RoundtripKind)`,
    'try {',
    "  $events = @(Get-WinEvent -FilterHashtable @{ LogName = 'System'; Id = 1001, 41; StartTime = $since } -ErrorAction Stop)",
    '} catch {',
    "  if ($_.FullyQualifiedErrorId -like 'NoMatchingEventsFound*') { $events = @() } else { throw }",
    '}',
    "'EVENTS=' + $events.Count",
    'foreach ($e in ($events | Sort-Object -Property RecordId)) { $e.ToXml() }',
  ].join('\n');
}

/**
 * Bugcheck CrashRecords from the guest's System log since `since`, a time on the GUEST's clock
 * (e.g. the BootMarker of the boot before the crash). Kernel-Power 41 is written early in the
 * boot after a crash; 1001 only once WER has processed the dump, which can take a minute or two
 * after boot, so call again later when only the 41 is there. One bugcheck gives both records
 * (same signature): fold them when counting crashes.
 */
export async function readBugcheckEvents(t: GuestTransport, since: Date | BootMarker, opts: GuestCallOptions = {}): Promise<CrashRecord[]> {
  const at = since instanceof Date ? since : since.at;
  const r = await runPs(t, bugcheckEventsScript(at), { timeoutMs: opts.timeoutMs ?? 120_000, signal: opts.signal });
  const count = Number(psFields(r.stdout).get('EVENTS'));
  if (!Number.isInteger(count)) throw new LabError('WINDOWS_EVENTS', `no event count in the guest's answer: ${JSON.stringify(r.stdout.slice(0, 200))}`);
  const blocks = parseEventXmlBlocks(r.stdout).length;
  if (blocks !== count) {
    throw new LabError('WINDOWS_EVENTS', `the guest reported ${count} events but ${blocks} complete <Event> elements arrived (output cut?)`);
  }
  return parseEventLog(r.stdout);
}

// ---- crash dumps -------------------------------------------------------------------------------------

export interface DumpFile {
  path: string;
  /** MEMORY.DMP (CrashControl DumpFile) or a small dump in CrashControl MinidumpDir. */
  kind: 'memory' | 'minidump';
  bytes: number;
  /** Last write time, `DateTime.ToString('o')` in UTC. */
  lastWriteUtc: string;
}

/** Where CrashControl says dumps go (defaults %SystemRoot%\MEMORY.DMP, %SystemRoot%\Minidump), one TAB-separated line per file. */
export const LIST_DUMPS_SCRIPT = [
  "$cc = Get-ItemProperty -LiteralPath 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\CrashControl' -ErrorAction SilentlyContinue",
  "$dumpFile = if ($cc -and $cc.DumpFile) { [Environment]::ExpandEnvironmentVariables($cc.DumpFile) } else { Join-Path $env:SystemRoot 'MEMORY.DMP' }",
  "$miniDir = if ($cc -and $cc.MinidumpDir) { [Environment]::ExpandEnvironmentVariables($cc.MinidumpDir) } else { Join-Path $env:SystemRoot 'Minidump' }",
  'if (Test-Path -LiteralPath $dumpFile -PathType Leaf) {',
  "  $f = Get-Item -LiteralPath $dumpFile -Force",
  "  'DUMP' + [char]9 + 'memory' + [char]9 + $f.Length + [char]9 + $f.LastWriteTimeUtc.ToString('o') + [char]9 + $f.FullName",
  '}',
  'if (Test-Path -LiteralPath $miniDir -PathType Container) {',
  "  foreach ($f in @(Get-ChildItem -LiteralPath $miniDir -Filter '*.dmp' -File -Force)) {",
  "    'DUMP' + [char]9 + 'minidump' + [char]9 + $f.Length + [char]9 + $f.LastWriteTimeUtc.ToString('o') + [char]9 + $f.FullName",
  '  }',
  '}',
].join('\n');

/** Dump lines of LIST_DUMPS_SCRIPT, newest first. */
export function parseDumpList(stdout: string): DumpFile[] {
  const out: DumpFile[] = [];
  for (const line of stdout.split('\n')) {
    const f = line.replace(/\r$/, '').split('\t');
    if (f[0] !== 'DUMP' || f.length < 5) continue;
    const kind = f[1] === 'memory' ? 'memory' : f[1] === 'minidump' ? 'minidump' : undefined;
    const bytes = Number(f[2]);
    if (!kind || !Number.isSafeInteger(bytes)) continue;
    // The path is last so that it may hold anything but a newline.
    out.push({ path: f.slice(4).join('\t'), kind, bytes, lastWriteUtc: f[3] ?? '' });
  }
  return out.sort((a, b) => b.lastWriteUtc.localeCompare(a.lastWriteUtc));
}

export async function listDumps(t: GuestTransport, opts: GuestCallOptions = {}): Promise<DumpFile[]> {
  const r = await runPs(t, LIST_DUMPS_SCRIPT, { timeoutMs: opts.timeoutMs ?? 60_000, signal: opts.signal });
  return parseDumpList(r.stdout);
}

/** The kernel dump header is 0x2000 bytes (DUMP_HEADER64). */
export const DUMP_HEADER_BYTES = 8192;

/** Reads up to `bytes` from the start of a file (shared read: the dump writer may hold it) as base64. */
export function dumpHeaderScript(path: string, bytes = DUMP_HEADER_BYTES): string {
  return [
    `$p = ${psQuote(path)}`,
    '$fs = [System.IO.File]::Open($p, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, [System.IO.FileShare]::ReadWrite)',
    'try {',
    `  $buf = New-Object byte[] ${bytes}`,
    '  $n = 0',
    '  while ($n -lt $buf.Length) { $r = $fs.Read($buf, $n, $buf.Length - $n); if ($r -le 0) { break }; $n += $r }',
    "  'LEN=' + $n",
    "  'B64=' + [System.Convert]::ToBase64String($buf, 0, $n)",
    '} finally { $fs.Dispose() }',
  ].join('\n');
}

export interface DumpHeaderRead {
  path: string;
  /** The bytes read (the header, or the whole file when smaller). */
  head: Buffer;
  /** parseKernelDumpHeader's verdict: the CrashRecord (source "dump") when it is a kernel dump with a bugcheck. */
  result: KernelDumpResult;
}

/** The first 8 KiB of a dump (C:\Windows\MEMORY.DMP, C:\Windows\Minidump\*.dmp), parsed. */
export async function fetchDumpHeader(t: GuestTransport, path: string, opts: GuestCallOptions = {}): Promise<DumpHeaderRead> {
  const r = await runPs(t, dumpHeaderScript(path), { timeoutMs: opts.timeoutMs ?? 60_000, signal: opts.signal });
  const f = psFields(r.stdout);
  const len = Number(f.get('LEN'));
  const b64 = f.get('B64');
  if (!Number.isInteger(len) || b64 === undefined || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) {
    throw new LabError('WINDOWS_DUMP_READ', `no dump bytes in the guest's answer for ${path}: ${JSON.stringify(r.stdout.slice(0, 200))}`);
  }
  const head = Buffer.from(b64, 'base64');
  if (head.length !== len) throw new LabError('WINDOWS_DUMP_READ', `${path}: the guest read ${len} bytes but ${head.length} arrived`);
  return { path, head, result: parseKernelDumpHeader(head) };
}
