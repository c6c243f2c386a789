/**
 * TEST DOUBLE, imported only by *.int.test.ts: an in-process SSH server on 127.0.0.1 that plays a
 * Windows guest running OpenSSH Server with PowerShell as its DefaultShell.
 *
 * It accepts only the lab key, takes exec requests of the form
 *   powershell.exe -NoProfile -NonInteractive -EncodedCommand <base64 UTF-16LE>
 * decodes them, checks bootgate's script framing (written out again here, not imported, so a
 * change on one side fails the tests), and answers with the output formats of real Windows tools:
 * sc.exe (CreateService / ChangeServiceConfig / query block / DeleteService and their FAILED
 * forms), pnputil (/add-driver, /delete-driver), shutdown.exe, Get-WinEvent's EventLogRecord.ToXml()
 * for Kernel-Power 41 and WER-SystemErrorReporting 1001, CIM's LastBootUpTime, and file bytes.
 * The texts come from public captures of those tools (see docs/windows-guests.md); they are a
 * model of Windows, not Windows.
 *
 * Native commands are run from a PowerShell-like token stream: barewords and single-quoted
 * strings only; any other PowerShell syntax on a native line is refused, so a quoting mistake
 * in bootgate fails the tests. sc.exe enforces its real syntax: an option is `name=` followed by
 * its value as the next argument (`type=kernel` in one word is a usage error, exit 1639).
 *
 * State it keeps: files (by case-insensitive path), services, driver store, registry values, the
 * System event log, and the boot time. `shutdown.exe /r /t 0` drops every connection (before or
 * after the exit status, as configured), refuses connections for `rebootDowntimeMs` (accepted and
 * closed, as QEMU's port forward does while the guest boots), then boots: LastBootUpTime moves,
 * services marked for deletion go, boot/system/auto kernel drivers whose file exists start. With
 * `crashOnNextBoot` set, that boot bugchecks first: Kernel-Power 41 and 1001 events and a
 * MEMORY.DMP appear, as after Windows' own reboot from a bugcheck. bcdedit.exe sets and deletes
 * {default}'s safeboot value; a boot with it set starts only the services listed under
 * Control\SafeBoot (none of the agent's), and still answers SSH: the image is assumed prepared
 * for Safe Mode with Networking (docs/windows-guests.md).
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import ssh2 from 'ssh2';
import type { Connection, ParsedKey, ServerChannel } from 'ssh2';

const { Server, utils } = ssh2;
type SshServer = InstanceType<typeof Server>;

const PREAMBLE =
  "$ErrorActionPreference = 'Stop'\n" +
  "$ProgressPreference = 'SilentlyContinue'\n" +
  'try { [Console]::InputEncoding = [Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false } catch { $null = $_ }\n' +
  'try {\n';
const CATCH = "\n} catch {\n  [Console]::Error.WriteLine(($_ | Out-String))\n  exit 1\n}\n";
const COMMAND_RE = /^powershell\.exe -NoProfile -NonInteractive -EncodedCommand ([A-Za-z0-9+/]+={0,2})$/;

export interface FakeFile {
  path: string;
  data: Buffer;
  mtime: Date;
}

export interface FakeService {
  name: string;
  type: number;
  start: number;
  binpath: string;
  state: 'RUNNING' | 'STOPPED';
  markedForDelete: boolean;
}

export interface FakeEvent {
  id: number;
  provider: string;
  time: Date;
  recordId: number;
  xml: string;
}

export interface BugcheckSpec {
  code: number;
  params: [bigint, bigint, bigint, bigint];
  /** Bytes of C:\Windows\MEMORY.DMP written by the crash. */
  dump?: Buffer;
  /** Bytes of a small dump written by the crash into C:\Windows\Minidump (MMDDYY-<n>-01.dmp). */
  minidump?: Buffer;
}

export interface FakeWindowsOptions {
  /** authorized key line (the lab key's public half). */
  labPublicKey: string;
  /** Host private key (OpenSSH format). */
  hostKey: string;
  bootTime?: Date;
  computer?: string;
}

interface Reply {
  stdout?: string;
  stderr?: string;
  /** null: close the channel without an exit status. */
  code: number | null;
  reboot?: boolean;
}

const SC_TYPES: Record<string, number> = { kernel: 1, filesys: 2, own: 0x10, share: 0x20 };
const SC_TYPE_NAMES: Record<number, string> = { 1: 'KERNEL_DRIVER', 2: 'FILE_SYSTEM_DRIVER', 0x10: 'WIN32_OWN_PROCESS', 0x20: 'WIN32_SHARE_PROCESS' };
const SC_STARTS: Record<string, number> = { boot: 0, system: 1, auto: 2, demand: 3, disabled: 4 };

/** `2025-11-24T15:14:05.498Z` → `2025-11-24T15:14:05.4980000Z` (.NET's round-trip format). */
export function iso7(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

const hex64 = (v: bigint) => `0x${v.toString(16).padStart(16, '0')}`;

/** Kernel-Power 41 as EventLogRecord.ToXml() renders it (BugcheckCode in decimal, parameters in hex). */
export function kernelPower41Xml(time: Date, recordId: number, code: number, params: readonly bigint[], computer = 'WIN-LAB01'): string {
  const p = params.map((v, i) => `<Data Name='BugcheckParameter${i + 1}'>0x${v.toString(16)}</Data>`).join('');
  return (
    `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Kernel-Power' Guid='{331c3b3a-2005-44c2-ac5e-77220c37d6b4}'/>` +
    `<EventID>41</EventID><Version>8</Version><Level>1</Level><Task>63</Task><Opcode>0</Opcode><Keywords>0x8000400000000002</Keywords>` +
    `<TimeCreated SystemTime='${iso7(time)}'/><EventRecordID>${recordId}</EventRecordID><Correlation/><Execution ProcessID='4' ThreadID='8'/>` +
    `<Channel>System</Channel><Computer>${computer}</Computer><Security UserID='S-1-5-18'/></System><EventData>` +
    `<Data Name='BugcheckCode'>${code}</Data>${p}<Data Name='SleepInProgress'>0</Data><Data Name='PowerButtonTimestamp'>0</Data>` +
    `<Data Name='BootAppStatus'>0</Data><Data Name='Checkpoint'>0</Data><Data Name='ConnectedStandbyInProgress'>false</Data>` +
    `<Data Name='SystemSleepTransitionsToOn'>0</Data><Data Name='CsEntryScenarioInstanceId'>0</Data><Data Name='BugcheckInfoFromEFI'>false</Data>` +
    `<Data Name='CheckpointStatus'>0</Data></EventData></Event>`
  );
}

/** WER-SystemErrorReporting 1001 ("The computer has rebooted from a bugcheck") as ToXml() renders it. */
export function wer1001Xml(time: Date, recordId: number, code: number, params: readonly bigint[], dumpPath: string, computer = 'WIN-LAB01'): string {
  const text = `0x${code.toString(16).padStart(8, '0')} (${params.map(hex64).join(', ')})`;
  return (
    `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-WER-SystemErrorReporting' Guid='{ABCE23E7-DE45-4366-8631-84FA6C525952}' EventSourceName='BugCheck'/>` +
    `<EventID Qualifiers='16384'>1001</EventID><Version>0</Version><Level>2</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x80000000000000</Keywords>` +
    `<TimeCreated SystemTime='${iso7(time)}'/><EventRecordID>${recordId}</EventRecordID><Correlation/><Execution ProcessID='0' ThreadID='0'/>` +
    `<Channel>System</Channel><Computer>${computer}</Computer><Security/></System><EventData>` +
    `<Data Name='param1'>${text}</Data><Data Name='param2'>${dumpPath}</Data><Data Name='param3'>0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d</Data></EventData></Event>`
  );
}

/** Another provider's event 1001 in the System log, which the parser must ignore. */
function otherProvider1001Xml(time: Date, recordId: number, computer: string): string {
  return (
    `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Winlogon' Guid='{dbe9b383-7cf3-4331-91cc-a3cb16a3b538}'/>` +
    `<EventID>1001</EventID><Version>0</Version><Level>4</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x2000000000000000</Keywords>` +
    `<TimeCreated SystemTime='${iso7(time)}'/><EventRecordID>${recordId}</EventRecordID><Correlation/><Execution ProcessID='712' ThreadID='716'/>` +
    `<Channel>System</Channel><Computer>${computer}</Computer><Security UserID='S-1-5-18'/></System><EventData></EventData></Event>`
  );
}

/** Error text as Windows PowerShell writes its error stream to a redirected stderr under -EncodedCommand. */
function clixmlError(text: string): string {
  const esc = text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/_x/g, '_x005F_x')
    .replace(/\r/g, '_x000D_')
    .replace(/\n/g, '_x000A_');
  return `#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S S="Error">${esc}</S></Objs>`;
}

/** PowerShell single-quoted literal contents: `''` is one quote. */
const unquote = (q: string) => q.slice(1, -1).replace(/''/g, "'");
const QUOTED = "'(?:[^']|'')*'";

/** Barewords and single-quoted strings, as PowerShell passes them to a native command. */
function psTokens(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === ' ' || line[i] === '\t') {
      i++;
      continue;
    }
    if (line[i] === "'") {
      const m = new RegExp(`^${QUOTED}`).exec(line.slice(i));
      if (!m) throw new Error(`unterminated quoted string in: ${line}`);
      out.push(unquote(m[0]));
      i += m[0].length;
      continue;
    }
    let j = i;
    while (j < line.length && line[j] !== ' ' && line[j] !== '\t') j++;
    const word = line.slice(i, j);
    // Characters that would make PowerShell do something else than pass the word along.
    if (/[$`(){};|&@",'<>]/.test(word) || word === '--%') throw new Error(`PowerShell would not pass ${JSON.stringify(word)} literally`);
    out.push(word);
    i = j;
  }
  return out;
}

const SC_EXISTS = '[SC] CreateService FAILED 1073:\r\n\r\nThe specified service already exists.\r\n\r\n';
const SC_NO_SERVICE = (op: string) => `[SC] ${op} FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n\r\n`;
const SC_USAGE_CREATE =
  'DESCRIPTION:\r\n        Creates a service entry in the registry and Service Database.\r\nUSAGE:\r\n        sc <server> create [service name] [binPath= ] <option1> <option2>...\r\n\r\nOPTIONS:\r\nNOTE: The option name includes the equal sign.\r\n      A space is required between the equal sign and the value.\r\n';

export class FakeWindows {
  port = 0;
  /** Raw exec command lines received. */
  readonly execs: string[] = [];
  /** Decoded scripts without the framing. */
  readonly scripts: string[] = [];
  /** Every native command line run, as written in the script. */
  readonly nativeCommands: string[] = [];
  readonly files = new Map<string, FakeFile>();
  readonly services = new Map<string, FakeService>();
  readonly driverStore = new Map<string, { inf: string; service?: string }>();
  /** `HKLM:\...\Parameters` → name → value. */
  readonly registry = new Map<string, Map<string, string>>();
  events: FakeEvent[] = [];
  bootTime: Date;
  /** What the memory counters say: free physical memory (KiB) and the nonpaged pool (bytes). */
  memory = { freeKiB: 3_145_728, nonpagedBytes: 201_326_592 };
  bootCount = 1;
  /** The {default} entry's safeboot value (bcdedit /set {default} safeboot minimal|network), if set. */
  safeBoot?: string;
  /** How each boot started: 'normal', or the safeboot value it ran with. */
  readonly bootModes: string[] = ['normal'];
  /** How `shutdown /r` loses the connection: before its exit status arrives (default) or just after. */
  rebootDrop: 'before-exit' | 'after-exit' = 'before-exit';
  rebootDowntimeMs = 600;
  crashOnNextBoot?: BugcheckSpec;
  /** Flip one byte of the next file written (to prove the upload check). */
  corruptNextWrite = false;
  /** Make shutdown.exe fail with this code (1190: a shutdown is already scheduled; 5: no privilege). */
  failShutdownWith?: number;
  /** Answer `sc.exe create` with ERROR_ACCESS_DENIED (5), as for a non-administrator. */
  denyServiceControl = false;
  up = true;
  connections = 0;
  /**
   * When set, the machine around the guest decides its boots (test/doubles/fake-windows-provider.ts):
   * a reboot goes down and calls this instead of booting again by itself.
   */
  onPowerCycle?: () => void;
  /** Called after each exec was answered, with its decoded script (or the raw command line). */
  afterExec?: (script: string) => void;

  private readonly computer: string;
  private nextRecordId = 3000;
  private nextOem = 7;
  private readonly sockets = new Set<net.Socket>();
  private tcp?: net.Server;
  private ssh?: SshServer;
  private readonly allowed: ParsedKey;
  private timers = new Set<NodeJS.Timeout>();

  private constructor(private readonly opts: FakeWindowsOptions) {
    const k = utils.parseKey(opts.labPublicKey);
    if (k instanceof Error) throw k;
    this.allowed = Array.isArray(k) ? k[0]! : k;
    this.bootTime = opts.bootTime ?? new Date(Date.now() - 3600_000);
    this.computer = opts.computer ?? 'WIN-LAB01';
  }

  static async start(opts: FakeWindowsOptions): Promise<FakeWindows> {
    const f = new FakeWindows(opts);
    await f.listen();
    return f;
  }

  // ---- test setup helpers ----

  writeFile(path: string, data: Buffer, mtime = new Date()): void {
    this.files.set(path.toLowerCase(), { path, data, mtime });
  }
  readFile(path: string): Buffer | undefined {
    return this.files.get(path.toLowerCase())?.data;
  }
  addEvent(xml: string, id: number, provider: string, time: Date): FakeEvent {
    const e = { id, provider, time, recordId: this.nextRecordId++, xml };
    this.events.push(e);
    return e;
  }
  /** A bugcheck logged in the past (both events), as a guest that crashed before the test. */
  addBugcheckEvents(time: Date, b: BugcheckSpec, dumpPath = 'C:\\Windows\\MEMORY.DMP'): void {
    const kp = this.nextRecordId;
    this.addEvent(kernelPower41Xml(time, kp, b.code, b.params, this.computer), 41, 'Microsoft-Windows-Kernel-Power', time);
    const t2 = new Date(time.getTime() + 20_000);
    this.addEvent(wer1001Xml(t2, this.nextRecordId, b.code, b.params, dumpPath, this.computer), 1001, 'Microsoft-Windows-WER-SystemErrorReporting', t2);
  }
  addNoiseEvents(time: Date): void {
    this.addEvent(otherProvider1001Xml(time, this.nextRecordId, this.computer), 1001, 'Microsoft-Windows-Winlogon', time);
    // A reset without a bugcheck (BugcheckCode 0).
    this.addEvent(kernelPower41Xml(time, this.nextRecordId, 0, [0n, 0n, 0n, 0n], this.computer), 41, 'Microsoft-Windows-Kernel-Power', time);
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r()));
  }

  // ---- SSH plumbing ----

  private async listen(): Promise<void> {
    this.ssh = new Server({ hostKeys: [this.opts.hostKey] }, (conn: Connection) => this.onConnection(conn));
    this.tcp = net.createServer((sock) => {
      sock.on('error', () => {});
      if (!this.up) {
        sock.destroy(); // the forward accepts, nothing listens behind it yet
        return;
      }
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
      this.ssh!.injectSocket(sock);
    });
    await new Promise<void>((resolve, reject) => {
      this.tcp!.once('error', reject);
      this.tcp!.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.tcp.address() as net.AddressInfo).port;
  }

  private onConnection(conn: Connection): void {
    this.connections++;
    conn.on('error', () => {});
    conn.on('authentication', (ctx) => {
      const a = this.allowed;
      if (ctx.method === 'publickey' && ctx.key.algo === a.type && ctx.key.data.equals(a.getPublicSSH())) {
        if (!ctx.signature || a.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
      }
      ctx.reject(['publickey']);
    });
    conn.on('ready', () => {
      conn.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (accept, _reject, info) => {
          const stream: ServerChannel = accept();
          stream.on('error', () => {});
          const chunks: Buffer[] = [];
          stream.on('data', (d: Buffer) => chunks.push(d));
          stream.on('end', () => this.onExec(stream, info.command, Buffer.concat(chunks).toString('utf8')));
        });
      });
    });
  }

  private dropAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  private onExec(stream: ServerChannel, command: string, stdin: string): void {
    this.execs.push(command);
    const scriptsBefore = this.scripts.length;
    let reply: Reply;
    try {
      reply = this.run(command, stdin);
    } catch (e) {
      reply = { stderr: `fake windows: ${(e as Error).message}\r\n`, code: 1 };
    }
    const after = () => this.afterExec?.(this.scripts.length > scriptsBefore ? this.scripts.at(-1)! : command);
    if (reply.reboot && this.rebootDrop === 'before-exit') {
      // The guest goes down before sshd reports the exit status.
      this.up = false;
      this.later(50, () => this.dropAll());
      this.later(this.rebootDowntimeMs, () => this.rebooted());
      return;
    }
    if (reply.stdout) stream.write(reply.stdout);
    if (reply.stderr) stream.stderr.write(reply.stderr);
    if (reply.code === null) stream.close();
    else {
      stream.exit(reply.code);
      stream.end();
    }
    if (reply.reboot) {
      this.up = false;
      this.later(100, () => this.dropAll());
      this.later(this.rebootDowntimeMs, () => this.rebooted());
    }
    after();
  }

  private rebooted(): void {
    if (this.onPowerCycle) this.onPowerCycle();
    else this.boot();
  }

  /** The guest stops at once (a bugcheck, a reset from the host): sshd goes with it. */
  powerOff(): void {
    this.up = false;
    this.dropAll();
  }

  /** A boot that reaches sshd (for the machine that drives boots through onPowerCycle). */
  bootNow(): void {
    this.boot();
  }

  /**
   * What a bugcheck at `at` leaves: MEMORY.DMP (when the spec has its bytes) at once, Kernel-Power
   * 41 early in the next boot and WER's 1001 once it processed the dump.
   */
  recordBugcheck(b: BugcheckSpec, at: Date): void {
    const t41 = new Date(at.getTime() + 2000);
    this.addEvent(kernelPower41Xml(t41, this.nextRecordId, b.code, b.params, this.computer), 41, 'Microsoft-Windows-Kernel-Power', t41);
    const t2 = new Date(at.getTime() + 20_000);
    this.addEvent(wer1001Xml(t2, this.nextRecordId, b.code, b.params, 'C:\\Windows\\MEMORY.DMP', this.computer), 1001, 'Microsoft-Windows-WER-SystemErrorReporting', t2);
    if (b.dump) this.writeFile('C:\\Windows\\MEMORY.DMP', b.dump, at);
    if (b.minidump) this.writeFile(`C:\\Windows\\Minidump\\113026-${this.nextRecordId}-01.dmp`, b.minidump, at);
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  // ---- what Windows does ----

  private run(command: string, stdin: string): Reply {
    const m = COMMAND_RE.exec(command);
    if (!m) {
      const word = command.split(/\s+/)[0] ?? '';
      return {
        stderr: `${word} : The term '${word}' is not recognized as the name of a cmdlet, function, script file, or operable program.\r\n`,
        code: 1,
      };
    }
    let script = Buffer.from(m[1]!, 'base64').toString('utf16le');
    if (script.includes('[ScriptBlock]::Create(')) {
      // The stdin bootstrap: the real script arrives on stdin.
      if (script !== '$bootgateScript = $input | Out-String\n& ([ScriptBlock]::Create($bootgateScript))\n') throw new Error('unexpected bootstrap');
      script = stdin;
      stdin = '';
    }
    if (!script.startsWith(PREAMBLE) || !script.endsWith(CATCH)) throw new Error('script without bootgate framing');
    const body = script.slice(PREAMBLE.length, script.length - CATCH.length);
    this.scripts.push(body);
    return this.runBody(body, stdin);
  }

  private runBody(body: string, stdin: string): Reply {
    if (body.includes('[System.Convert]::FromBase64String(($input | Out-String))')) return this.writeFileOp(body, stdin);
    if (body.includes('Win32_PerfRawData_PerfOS_Memory')) {
      // As Windows reports them: FreePhysicalMemory in KiB, PoolNonpagedBytes in bytes.
      const nonpaged = BigInt(this.memory.nonpagedBytes);
      const stdout = `AVAILABLE_KIB=${this.memory.freeKiB}\r\nNONPAGED_KIB=${nonpaged / 1024n}\r\n`;
      return { stdout, code: 0 };
    }
    if (body.includes('Get-CimInstance -ClassName Win32_OperatingSystem')) {
      return { stdout: `BOOT=${iso7(this.bootTime)}\r\n`, code: 0 };
    }
    if (body.includes('Get-WinEvent -FilterHashtable')) return this.eventsOp(body);
    if (body.includes('Control\\CrashControl')) return this.dumpListOp();
    if (body.includes('[System.IO.File]::Open($p,')) return this.readHeadOp(body);
    if (body.includes('[System.IO.File]::ReadAllText(')) {
      const path = unquote(new RegExp(`Test-Path -LiteralPath (${QUOTED})`).exec(body)![1]!);
      const prefix = /'(\w+=)' \+ \[System\.IO\.File\]::ReadAllText/.exec(body)![1]!;
      const f = this.files.get(path.toLowerCase());
      return { stdout: f ? `${prefix}${f.data.toString('utf8').trim()}\r\n` : '', code: 0 };
    }
    if (body.includes('New-ItemProperty -LiteralPath $key')) {
      const key = unquote(new RegExp(`^\\$key = (${QUOTED})$`, 'm').exec(body)![1]!);
      const nv = new RegExp(`-Name (${QUOTED}) -Value (${QUOTED}) -PropertyType String -Force`).exec(body)!;
      const values = this.registry.get(key) ?? new Map<string, string>();
      values.set(unquote(nv[1]!), unquote(nv[2]!));
      this.registry.set(key, values);
      return { code: 0 };
    }
    if (/^Remove-Item /m.test(body)) {
      for (const rm of body.matchAll(new RegExp(`^Remove-Item -LiteralPath (${QUOTED}) -Recurse -Force -ErrorAction SilentlyContinue$`, 'gm'))) {
        const p = unquote(rm[1]!).toLowerCase();
        for (const k of [...this.files.keys()]) if (k === p || k.startsWith(`${p}\\`)) this.files.delete(k);
      }
      return { code: 0 };
    }
    if (/^Write-Output /m.test(body)) return this.writeOutputScript(body);
    return this.nativeScript(body);
  }

  /** A script of `Write-Output '<text>'` lines and an optional `exit N` (an agent's self-test printing TAP). */
  private writeOutputScript(body: string): Reply {
    let stdout = '';
    for (const raw of body.split('\n')) {
      const line = raw.trim();
      if (line === '') continue;
      const w = new RegExp(`^Write-Output (${QUOTED})$`).exec(line);
      if (w) {
        stdout += `${unquote(w[1]!)}\r\n`;
        continue;
      }
      const x = /^exit (\d+)$/.exec(line);
      if (x) return { stdout, code: Number(x[1]) };
      throw new Error(`unsupported script line: ${line}`);
    }
    return { stdout, code: 0 };
  }

  /** Lines of native commands, then `exit $LASTEXITCODE`. */
  private nativeScript(body: string): Reply {
    let out = '';
    let err = '';
    let last = 0;
    let reboot = false;
    let eap = 'Stop'; // the preamble's $ErrorActionPreference
    for (const raw of body.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const pref = /^\$ErrorActionPreference = '(\w+)'$/.exec(line);
      if (pref) {
        eap = pref[1]!;
        continue;
      }
      if (line === 'exit $LASTEXITCODE') return { stdout: out, stderr: err, code: last, reboot };
      const tokens = psTokens(line);
      const exe = tokens[0]!.toLowerCase();
      this.nativeCommands.push(line);
      let r: Reply;
      if (exe === 'sc.exe') r = this.sc(tokens.slice(1));
      else if (exe === 'pnputil.exe') r = this.pnputil(tokens.slice(1));
      else if (exe === 'shutdown.exe') r = this.shutdown(tokens.slice(1));
      else if (exe === 'bcdedit.exe') r = this.bcdedit(tokens.slice(1));
      else throw new Error(`unsupported script line: ${line}`);
      out += r.stdout ?? '';
      if (r.stderr) {
        // Windows PowerShell 5.1 with redirected stderr: each stderr line of a native command is an
        // error record (NativeCommandError). Under 'Stop' the first one ends the script (the
        // wrapper's catch prints it, exit 1); otherwise it goes to stderr as CLIXML.
        const first = r.stderr.split('\r\n')[0]!;
        if (eap === 'Stop') {
          return {
            stdout: out,
            stderr: `${tokens[0]} : ${first}\r\nAt line:5 char:1\r\n+ ${line}\r\n    + CategoryInfo          : NotSpecified: (${first}:String) [], RemoteException\r\n    + FullyQualifiedErrorId : NativeCommandError\r\n \r\n`,
            code: 1,
          };
        }
        err += clixmlError(`${tokens[0]} : ${r.stderr}`);
      }
      last = r.code ?? 1;
      reboot ||= r.reboot === true;
    }
    // Without an explicit exit, -EncodedCommand exits 0 or 1 by $? of the last command.
    return { stdout: out, stderr: err, code: last === 0 ? 0 : 1, reboot };
  }

  private sc(args: string[]): Reply {
    const op = (args[0] ?? '').toLowerCase();
    const name = args[1];
    if (!name) return { stdout: SC_USAGE_CREATE, code: 1639 };
    const key = name.toLowerCase();
    const svc = this.services.get(key);
    const options = (rest: string[]): Record<string, string> | undefined => {
      const o: Record<string, string> = {};
      for (let i = 0; i < rest.length; i += 2) {
        const k = rest[i]!;
        const v = rest[i + 1];
        if (!k.endsWith('=') || v === undefined || v.endsWith('=')) return undefined;
        o[k.slice(0, -1).toLowerCase()] = v;
      }
      return o;
    };
    switch (op) {
      case 'create': {
        const o = options(args.slice(2));
        if (!o || !o.binpath || (o.type && !(o.type in SC_TYPES)) || (o.start && !(o.start in SC_STARTS))) return { stdout: SC_USAGE_CREATE, code: 1639 };
        if (this.denyServiceControl) return { stdout: '[SC] OpenSCManager FAILED 5:\r\n\r\nAccess is denied.\r\n\r\n', code: 5 };
        if (svc) return { stdout: SC_EXISTS, code: 1073 };
        this.services.set(key, { name, type: SC_TYPES[o.type ?? 'own']!, start: SC_STARTS[o.start ?? 'demand']!, binpath: o.binpath, state: 'STOPPED', markedForDelete: false });
        return { stdout: '[SC] CreateService SUCCESS\r\n', code: 0 };
      }
      case 'config': {
        const o = options(args.slice(2));
        if (!o) return { stdout: SC_USAGE_CREATE, code: 1639 };
        if (!svc) return { stdout: SC_NO_SERVICE('OpenService'), code: 1060 };
        if (o.type) svc.type = SC_TYPES[o.type] ?? svc.type;
        if (o.start) svc.start = SC_STARTS[o.start] ?? svc.start;
        if (o.binpath) svc.binpath = o.binpath;
        return { stdout: '[SC] ChangeServiceConfig SUCCESS\r\n', code: 0 };
      }
      case 'query': {
        if (!svc) return { stdout: SC_NO_SERVICE('EnumQueryServicesStatus:OpenService'), code: 1060 };
        const running = svc.state === 'RUNNING';
        const lines = [
          '',
          `SERVICE_NAME: ${svc.name} `,
          `        TYPE               : ${svc.type.toString(16)}  ${SC_TYPE_NAMES[svc.type] ?? ''}  `,
          `        STATE              : ${running ? '4  RUNNING' : '1  STOPPED'} `,
          ...(running ? ['                                (STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)'] : []),
          `        WIN32_EXIT_CODE    : ${running ? '0  (0x0)' : '1077  (0x435)'}`,
          '        SERVICE_EXIT_CODE  : 0  (0x0)',
          '        CHECKPOINT         : 0x0',
          '        WAIT_HINT          : 0x0',
          '',
        ];
        return { stdout: lines.join('\r\n'), code: 0 };
      }
      case 'stop': {
        if (!svc) return { stdout: SC_NO_SERVICE('OpenService'), code: 1060 };
        if (svc.state !== 'RUNNING') return { stdout: '[SC] ControlService FAILED 1062:\r\n\r\nThe service has not been started.\r\n\r\n', code: 1062 };
        return { stdout: '[SC] ControlService FAILED 1052:\r\n\r\nThe requested control is not valid for this service.\r\n\r\n', code: 1052 };
      }
      case 'delete': {
        if (!svc) return { stdout: SC_NO_SERVICE('OpenService'), code: 1060 };
        if (svc.state === 'RUNNING') svc.markedForDelete = true;
        else this.services.delete(key);
        return { stdout: '[SC] DeleteService SUCCESS\r\n', code: 0 };
      }
      default:
        return { stdout: `ERROR:  Unrecognized command\r\n`, code: 1639 };
    }
  }

  private pnputil(args: string[]): Reply {
    const head = 'Microsoft PnP Utility\r\n\r\n';
    const op = (args[0] ?? '').toLowerCase();
    if (op === '/add-driver') {
      const infPath = args[1] ?? '';
      const infName = infPath.split('\\').pop()!;
      const fail = (why: string, code: number) => ({
        stdout: `${head}Adding driver package:  ${infName}\r\nFailed to add driver package: ${why}\r\n\r\nTotal driver packages:  1\r\nAdded driver packages:  0\r\n`,
        code,
      });
      const inf = this.files.get(infPath.toLowerCase());
      if (!inf) return fail('The system cannot find the file specified.', 2);
      const text = inf.data.toString('utf8');
      const dir = infPath.slice(0, infPath.length - infName.length);
      const cat = /^\s*CatalogFile\s*=\s*(\S+)/im.exec(text)?.[1];
      if (!cat || !this.files.has(`${dir}${cat}`.toLowerCase())) return fail('The third-party INF does not contain digital signature information.', -536870353 >>> 0);
      const add = /^\s*AddService\s*=\s*([^,\s]+)\s*,[^,]*,\s*([^\s,;]+)/im.exec(text);
      let service: string | undefined;
      if (add) {
        service = add[1]!;
        const section = new RegExp(`^\\[${add[2]}\\]\\s*$([\\s\\S]*?)(?=^\\[|(?![\\s\\S]))`, 'im').exec(text)?.[1] ?? '';
        const start = Number(/^\s*StartType\s*=\s*(\d+)/im.exec(section)?.[1] ?? 3);
        const type = Number(/^\s*ServiceType\s*=\s*(\d+)/im.exec(section)?.[1] ?? 1);
        const binary = (/^\s*ServiceBinary\s*=\s*(\S+)/im.exec(section)?.[1] ?? '').replace(/^%12%\\/i, 'C:\\Windows\\System32\\drivers\\');
        const sysName = binary.split('\\').pop()!;
        const sys = this.files.get(`${dir}${sysName}`.toLowerCase());
        if (!sys) return fail('The system cannot find the file specified.', 2);
        this.writeFile(binary, sys.data);
        this.services.set(service.toLowerCase(), { name: service, type, start, binpath: binary, state: 'STOPPED', markedForDelete: false });
      }
      const published = `oem${this.nextOem++}.inf`;
      this.driverStore.set(published, { inf: infName, service });
      return {
        stdout: `${head}Adding driver package:  ${infName}\r\nDriver package added successfully.\r\nPublished Name:         ${published}\r\n\r\nTotal driver packages:  1\r\nAdded driver packages:  1\r\n`,
        code: 0,
      };
    }
    if (op === '/delete-driver') {
      const published = (args[1] ?? '').toLowerCase();
      const pkg = this.driverStore.get(published);
      if (!pkg) return { stdout: `${head}Failed to delete driver package: The parameter is incorrect.\r\n`, code: 87 };
      this.driverStore.delete(published);
      if (pkg.service) {
        const svc = this.services.get(pkg.service.toLowerCase());
        if (svc?.state === 'RUNNING') svc.markedForDelete = true;
        else this.services.delete(pkg.service.toLowerCase());
      }
      return { stdout: `${head}Driver package uninstalled.\r\nDriver package deleted successfully.\r\n`, code: 0 };
    }
    return { stdout: `${head}Invalid command.\r\n`, code: 87 };
  }

  private shutdown(args: string[]): Reply {
    const a = args.map((x) => x.toLowerCase());
    if (this.failShutdownWith === 1190) return { stderr: 'A system shutdown has already been scheduled.(1190)\r\n', code: 1190 };
    if (this.failShutdownWith !== undefined) return { stderr: 'Access is denied.(5)\r\n', code: this.failShutdownWith };
    if (a.includes('/r') && a.includes('/t')) return { code: 0, reboot: true };
    return { stdout: 'The parameter is incorrect.\r\n', code: 87 };
  }

  /**
   * bcdedit.exe /set {default} safeboot minimal|network, /deletevalue {default} safeboot, with
   * bcdedit's texts. PowerShell hands it `{default}` as given in single quotes.
   */
  private bcdedit(args: string[]): Reply {
    const ok = { stdout: 'The operation completed successfully.\r\n', code: 0 };
    const [op, id, name, value] = args.map((a) => a.toLowerCase());
    if (id !== '{default}' || name !== 'safeboot') return { stdout: 'The parameter is incorrect.\r\nRun "bcdedit /?" for command line assistance.\r\n', code: 1 };
    if (op === '/set' && (value === 'minimal' || value === 'network') && args.length === 4) {
      this.safeBoot = value;
      return ok;
    }
    if (op === '/deletevalue' && args.length === 3) {
      if (this.safeBoot === undefined) return { stderr: 'An error has occurred setting the element data.\r\nElement not found.\r\n', code: 1 };
      this.safeBoot = undefined;
      return ok;
    }
    return { stdout: 'The parameter is incorrect.\r\nRun "bcdedit /?" for command line assistance.\r\n', code: 1 };
  }

  private boot(): void {
    const now = new Date();
    this.bootModes.push(this.safeBoot ?? 'normal');
    if (this.crashOnNextBoot) {
      const b = this.crashOnNextBoot;
      this.crashOnNextBoot = undefined;
      this.recordBugcheck(b, now);
    }
    this.bootTime = now;
    this.bootCount++;
    for (const [k, s] of [...this.services]) {
      if (s.markedForDelete) {
        this.services.delete(k);
        continue;
      }
      const autoStart = s.start <= 2 && s.type <= 2;
      // Safe Mode starts only what is listed under Control\SafeBoot\<Minimal|Network>; a third-party driver is not.
      const allowedInSafeMode = this.registry.has(`HKLM:\\SYSTEM\\CurrentControlSet\\Control\\SafeBoot\\${this.safeBoot === 'network' ? 'Network' : 'Minimal'}\\${s.name}`);
      s.state = autoStart && this.files.has(s.binpath.toLowerCase()) && (this.safeBoot === undefined || allowedInSafeMode) ? 'RUNNING' : 'STOPPED';
    }
    this.up = true;
  }

  private writeFileOp(body: string, stdin: string): Reply {
    const path = unquote(new RegExp(`^\\$path = (${QUOTED})$`, 'm').exec(body)![1]!);
    if (!/^\s*[A-Za-z0-9+/=\s]*$/.test(stdin)) {
      return { stderr: 'Exception calling "FromBase64String" with "1" argument(s): "The input is not a valid Base-64 string"\r\n', code: 1 };
    }
    const data = Buffer.from(stdin.replace(/\s+/g, ''), 'base64');
    const stored = Buffer.from(data);
    if (this.corruptNextWrite && stored.length > 0) {
      stored[0] = stored[0]! ^ 0xff;
      this.corruptNextWrite = false;
    }
    this.writeFile(path, stored);
    const sha = createHash('sha256').update(stored).digest('hex').toUpperCase();
    return { stdout: `BYTES=${stored.length}\r\nSHA256=${sha}\r\n`, code: 0 };
  }

  private eventsOp(body: string): Reply {
    const since = /\[DateTime\]::Parse\('([^']+)', \[Globalization\.CultureInfo\]::InvariantCulture, \[Globalization\.DateTimeStyles\]::RoundtripKind\)/.exec(body);
    const filter = /@\{ LogName = 'System'; Id = ([\d, ]+); StartTime = \$since \}/.exec(body);
    if (!since || !filter) throw new Error('Get-WinEvent script not understood');
    const start = new Date(since[1]!);
    const ids = filter[1]!.split(',').map((s) => Number(s.trim()));
    const hits = this.events.filter((e) => ids.includes(e.id) && e.time.getTime() >= start.getTime()).sort((a, b) => a.recordId - b.recordId);
    // No match: Get-WinEvent throws NoMatchingEventsFound, which the script turns into 0 events.
    return { stdout: `EVENTS=${hits.length}\r\n${hits.map((e) => `${e.xml}\r\n`).join('')}`, code: 0 };
  }

  private dumpListOp(): Reply {
    let out = '';
    const row = (kind: string, f: FakeFile) => `DUMP\t${kind}\t${f.data.length}\t${iso7(f.mtime)}\t${f.path}\r\n`;
    const mem = this.files.get('c:\\windows\\memory.dmp');
    if (mem) out += row('memory', mem);
    for (const [k, f] of this.files) if (/^c:\\windows\\minidump\\[^\\]+\.dmp$/.test(k)) out += row('minidump', f);
    return { stdout: out, code: 0 };
  }

  private readHeadOp(body: string): Reply {
    const p = unquote(new RegExp(`^\\$p = (${QUOTED})$`, 'm').exec(body)![1]!);
    const n = Number(/New-Object byte\[\] (\d+)/.exec(body)![1]);
    const f = this.files.get(p.toLowerCase());
    if (!f) {
      return {
        stderr: `Exception calling "Open" with "4" argument(s): "Could not find file '${p}'."\r\nAt line:5 char:1\r\n+ $fs = [System.IO.File]::Open($p, [System.IO.FileMode]::Open, [System. ...\r\n`,
        code: 1,
      };
    }
    const head = f.data.subarray(0, n);
    return { stdout: `LEN=${head.length}\r\nB64=${head.toString('base64')}\r\n`, code: 0 };
  }
}
