/**
 * windows-driver: a prebuilt kernel driver (.sys), installed the way a product's installer does
 * it, so that Windows itself loads it at the next boot (boot-start by default, as EDR drivers are).
 * bootgate builds nothing for Windows: prepare() takes the .sys (and .inf/.cat) from the build's
 * source folder.
 *
 * Two install methods:
 * - `sc` (default): the .sys goes to C:\Windows\System32\drivers\NAME.sys, then
 *     sc.exe create NAME type= kernel start= boot binpath= C:\Windows\System32\drivers\NAME.sys
 *   (sc.exe wants the space after each `=`: `type=kernel` is a syntax error).
 * - `inf`: the package (.inf, .sys, .cat) goes to C:\ProgramData\<agent>\driver\, then
 *     pnputil.exe /add-driver C:\ProgramData\<agent>\driver\X.inf /install
 *   The INF's AddService decides the service name and start type (`service` must match it).
 *   Primitive drivers (a [DefaultInstall] section) install this way on Windows 10 1903 and later.
 *
 * Content goes to a configurable path (default C:\ProgramData\<agent>\channel.bin), and the path
 * is written to HKLM\SYSTEM\CurrentControlSet\Services\NAME\Parameters\ContentPath, where a
 * driver reads its configuration (the counterpart of the kmod agent's modprobe.d option).
 * Health: `sc.exe query NAME` shows STATE 4 RUNNING. Uninstall: sc.exe delete (pnputil
 * /delete-driver for an INF install).
 *
 * Whose fault: a failed pnputil is the agent's (its INF, catalog or signature: AgentInstallError);
 * a failed sc.exe create or file copy is the lab's (LabError: sc.exe does not look at the driver).
 * A driver Windows refuses to load shows up as not RUNNING after the reboot, or as a crash.
 *
 * Verified against the fake Windows OpenSSH server of driver-agent.int.test.ts only.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { AgentDriver, ContentArtifact, PrepareOptions, PreparedBuild } from '../agent.js';
import { AgentInstallError, requireSource } from '../agent.js';
import type { GuestTransport } from '../../guest/transport.js';
import { nativeCommandScript, psQuote, psWriteFile, runPs, type PsResult } from '../../guest/windows/powershell.js';
import { ConfigError, LabError } from '../../util/errors.js';
import type { RecoveryAttempt } from '../../results/recovery-record.js';
import { recoverInSafeMode } from './safe-mode.js';

export type DriverStartType = 'boot' | 'system' | 'auto' | 'demand';

export interface WindowsDriverAgentOptions {
  /** The agent's name: its ProgramData folder, and the service name unless `service` is given. */
  name: string;
  /** Service (and driver file) name. Letters, digits, `_` and `-`. */
  service?: string;
  /** The .sys file in the build's source folder. Default `<service>.sys`. */
  driverFile?: string;
  /** Install with pnputil from this INF (in the source folder) instead of sc.exe. */
  inf?: string;
  /** sc.exe start type. Default boot. Ignored for INF installs (the INF says). */
  startType?: DriverStartType;
  /** Where the content goes. Default C:\ProgramData\<name>\channel.bin. */
  contentPath?: string;
  /** Registry value under Services\<service>\Parameters that names the content path; false for none. Default ContentPath. */
  contentRegistryValue?: string | false;
  /** A PowerShell script whose exit 0 means healthy, instead of `sc.exe query`. */
  health?: string;
}

const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;
const FILE_RE = /^[A-Za-z0-9_.-]{1,128}$/;
const DRIVERS_DIR = 'C:\\Windows\\System32\\drivers';

// ---- PE header ------------------------------------------------------------------------------------

export interface PeInfo {
  /** IMAGE_FILE_HEADER.Machine: 0x8664 x64, 0xaa64 arm64, 0x14c x86. */
  machine: number;
  /** 0x10b PE32, 0x20b PE32+. */
  magic: number;
  /** IMAGE_OPTIONAL_HEADER.Subsystem: 1 native (drivers), 2 GUI, 3 console. */
  subsystem: number;
}

/**
 * The few PE fields that tell a kernel driver: "MZ", e_lfanew at 0x3C, "PE\0\0", Machine (u16 at
 * +4), the optional header at +24 with Magic first and Subsystem at offset 68 (the same for PE32
 * and PE32+). Undefined when the buffer is not a PE image.
 */
export function parsePeHeader(buf: Buffer): PeInfo | undefined {
  if (buf.length < 0x40 || buf.toString('latin1', 0, 2) !== 'MZ') return undefined;
  const pe = buf.readUInt32LE(0x3c);
  if (pe + 24 + 70 > buf.length || buf.toString('latin1', pe, pe + 4) !== 'PE\0\0') return undefined;
  const opt = pe + 24;
  return { machine: buf.readUInt16LE(pe + 4), magic: buf.readUInt16LE(opt), subsystem: buf.readUInt16LE(opt + 68) };
}

// ---- sc.exe query ----------------------------------------------------------------------------------

export interface ScQuery {
  service?: string;
  type?: number;
  typeName?: string;
  state?: number;
  /** RUNNING, STOPPED, START_PENDING, ... */
  stateName?: string;
  win32ExitCode?: number;
}

/** Reads `sc.exe query NAME` output (the SERVICE_NAME / TYPE / STATE block). */
export function parseScQuery(text: string): ScQuery {
  const out: ScQuery = {};
  const name = /^\s*SERVICE_NAME:\s*(\S+)/m.exec(text);
  if (name) out.service = name[1];
  const type = /^\s*TYPE\s*:\s*([0-9a-f]+)\s+(\w+)/im.exec(text);
  if (type) {
    out.type = parseInt(type[1]!, 16);
    out.typeName = type[2];
  }
  const state = /^\s*STATE\s*:\s*(\d+)\s+(\w+)/m.exec(text);
  if (state) {
    out.state = Number(state[1]);
    out.stateName = state[2];
  }
  const exit = /^\s*WIN32_EXIT_CODE\s*:\s*(\d+)/m.exec(text);
  if (exit) out.win32ExitCode = Number(exit[1]);
  return out;
}

/** `Published Name: oem7.inf` of pnputil /add-driver (older pnputil: `Published name : oem7.inf`). */
export function parsePublishedName(pnputilOutput: string): string | undefined {
  return /Published name\s*:\s*(oem\d+\.inf)/i.exec(pnputilOutput)?.[1];
}

// ---- the driver -----------------------------------------------------------------------------------

export class WindowsDriverAgent implements AgentDriver {
  readonly kind = 'windows-driver';
  readonly service: string;
  private publishedInf?: string;

  constructor(private readonly o: WindowsDriverAgentOptions) {
    if (!NAME_RE.test(o.name)) throw new ConfigError('WINDRIVER_NAME', `agent name ${JSON.stringify(o.name)}: use letters, digits, _ and - (at most 64)`, { field: 'agent.name' });
    this.service = o.service ?? o.name;
    if (!NAME_RE.test(this.service)) throw new ConfigError('WINDRIVER_NAME', `service name ${JSON.stringify(this.service)}: use letters, digits, _ and - (at most 64)`);
    for (const f of [o.driverFile, o.inf]) {
      if (f !== undefined && !FILE_RE.test(f)) throw new ConfigError('WINDRIVER_FILE', `file name ${JSON.stringify(f)}: a plain file name in the build's source folder`);
    }
    if (o.contentPath !== undefined && !/^[A-Za-z]:\\[^\0\r\n]+$/.test(o.contentPath)) {
      throw new ConfigError('WINDRIVER_CONTENT_PATH', `content path ${JSON.stringify(o.contentPath)}: an absolute path such as C:\\ProgramData\\${o.name}\\channel.bin`);
    }
  }

  get method(): 'sc' | 'inf' {
    return this.o.inf ? 'inf' : 'sc';
  }
  get agentDir(): string {
    return `C:\\ProgramData\\${this.o.name}`;
  }
  get contentPath(): string {
    return this.o.contentPath ?? `${this.agentDir}\\channel.bin`;
  }
  /** Where the .sys goes for an sc.exe install, and what binpath names. */
  get driverPath(): string {
    return `${DRIVERS_DIR}\\${this.service}.sys`;
  }
  get stagingDir(): string {
    return `${this.agentDir}\\driver`;
  }
  private get publishedNameFile(): string {
    return `${this.agentDir}\\published-inf.txt`;
  }

  async prepare(opts: PrepareOptions): Promise<PreparedBuild> {
    const source = requireSource(opts, this.kind);
    if (opts.guest.os !== 'windows') {
      throw new ConfigError('WINDRIVER_NOT_WINDOWS', `a windows-driver agent installs into Windows images only (this image is ${opts.guest.os})`);
    }
    let names: string[];
    try {
      names = await readdir(source);
    } catch (e) {
      throw new ConfigError('WINDRIVER_SOURCE', `build ${opts.version}: cannot read its source folder ${source}: ${(e as Error).message}`, {}, { cause: e });
    }
    const find = (want: string) => names.find((n) => n.toLowerCase() === want.toLowerCase());
    const sysWanted = this.o.driverFile ?? `${this.service}.sys`;
    const sysName = find(sysWanted);
    if (!sysName) {
      throw new ConfigError(
        'WINDRIVER_NO_SYS',
        `build ${opts.version}: no ${sysWanted} in ${source}. bootgate does not build Windows drivers: put the prebuilt (signed or test-signed) driver there`,
      );
    }
    const sysPath = join(source, sysName);
    const sys = await readFile(sysPath);
    const pe = parsePeHeader(sys);
    if (!pe) throw new ConfigError('WINDRIVER_NOT_PE', `${sysPath} is not a PE image (no MZ/PE header)`);
    if (pe.subsystem !== 1) throw new ConfigError('WINDRIVER_NOT_DRIVER', `${sysPath} is a PE image for subsystem ${pe.subsystem}, not a kernel driver (subsystem 1, native)`);
    if (pe.machine !== 0x8664 || pe.magic !== 0x20b) {
      throw new ConfigError('WINDRIVER_ARCH', `${sysPath} is built for machine 0x${pe.machine.toString(16)}; bootgate's guests are x64 (0x8664, PE32+)`);
    }
    const files: Record<string, string> = { sys: sysPath };
    if (this.o.inf) {
      const infName = find(this.o.inf);
      if (!infName) throw new ConfigError('WINDRIVER_NO_INF', `build ${opts.version}: no ${this.o.inf} in ${source}`);
      files.inf = join(source, infName);
      const cats = names.filter((n) => n.toLowerCase().endsWith('.cat'));
      const stem = infName.replace(/\.inf$/i, '').toLowerCase();
      const cat = cats.find((n) => n.toLowerCase() === `${stem}.cat`) ?? (cats.length === 1 ? cats[0] : undefined);
      if (cat) files.cat = join(source, cat);
    }
    const sha = createHash('sha256').update(sys).digest('hex');
    const how = this.o.inf ? `pnputil ${basename(files.inf!)}` : `sc.exe start= ${this.o.startType ?? 'boot'}`;
    return { version: opts.version, files, detail: `${sysName} sha256:${sha.slice(0, 16)} x64, ${how}` };
  }

  async install(t: GuestTransport, build: PreparedBuild, content: ContentArtifact, signal?: AbortSignal): Promise<void> {
    const sys = build.files.sys;
    if (!sys) throw new LabError('WINDRIVER_BUILD', `build ${build.version} was not prepared by the windows-driver agent (no .sys)`);
    await psWriteFile(t, await readFile(content.path), this.contentPath, { signal });

    if (this.method === 'sc') {
      await psWriteFile(t, await readFile(sys), this.driverPath, { signal });
      const opts = `type= kernel start= ${this.o.startType ?? 'boot'} binpath= ${this.driverPath}`;
      const created = await this.native(t, `sc.exe create ${this.service} ${opts}`, signal, [0, 1073]);
      if (created.code === 1073) {
        // ERROR_SERVICE_EXISTS: an install again on the same guest. Point the service at this build.
        await this.native(t, `sc.exe config ${this.service} ${opts}`, signal);
      }
    } else {
      for (const key of ['inf', 'sys', 'cat'] as const) {
        const f = build.files[key];
        if (f) await psWriteFile(t, await readFile(f), `${this.stagingDir}\\${basename(f)}`, { signal });
      }
      const inf = `${this.stagingDir}\\${basename(build.files.inf!)}`;
      const r = await this.native(t, `pnputil.exe /add-driver ${inf} /install`, signal, [0, 3010], 'agent');
      const published = parsePublishedName(r.stdout);
      if (!published) throw new AgentInstallError(`pnputil added no driver package from ${basename(inf)}: ${r.stdout.trim().slice(-400)}`);
      this.publishedInf = published;
      await psWriteFile(t, `${published}\r\n`, this.publishedNameFile, { signal });
    }

    const value = this.o.contentRegistryValue ?? 'ContentPath';
    if (value !== false) {
      const key = `HKLM:\\SYSTEM\\CurrentControlSet\\Services\\${this.service}\\Parameters`;
      await runPs(
        t,
        [
          `$key = ${psQuote(key)}`,
          'if (-not (Test-Path -LiteralPath $key)) { New-Item -Path $key -Force | Out-Null }',
          `New-ItemProperty -LiteralPath $key -Name ${psQuote(value)} -Value ${psQuote(this.contentPath)} -PropertyType String -Force | Out-Null`,
        ].join('\n'),
        { signal, timeoutMs: 60_000 },
      );
    }
  }

  async health(t: GuestTransport, signal?: AbortSignal): Promise<{ ok: boolean; output: string }> {
    if (this.o.health) {
      const r = await runPs(t, this.o.health, { signal, timeoutMs: 60_000, check: false });
      return { ok: r.code === 0, output: (r.stdout + r.stderr).trim().slice(0, 2000) };
    }
    const r = await runPs(t, nativeCommandScript(`sc.exe query ${this.service}`), { signal, timeoutMs: 60_000, check: false });
    const q = parseScQuery(r.stdout);
    return { ok: r.code === 0 && q.stateName === 'RUNNING', output: (r.stdout + r.stderr).trim().slice(0, 2000) };
  }

  async uninstall(t: GuestTransport, signal?: AbortSignal): Promise<void> {
    if (this.method === 'inf') {
      const published = this.publishedInf ?? (await this.readPublishedName(t, signal));
      if (published) await this.native(t, `pnputil.exe /delete-driver ${published} /uninstall /force`, signal, [0, 3010]);
    }
    // A boot driver usually refuses to stop (1052) and 1062 means it was not running: neither matters,
    // the service is gone from the next boot on. 1060: there was no service.
    await this.native(t, `sc.exe stop ${this.service}`, signal, [0, 1052, 1060, 1061, 1062]);
    await this.native(t, `sc.exe delete ${this.service}`, signal, [0, 1060, 1072]);
    const paths = [this.contentPath, this.agentDir, ...(this.method === 'sc' ? [this.driverPath] : [])];
    await runPs(t, paths.map((p) => `Remove-Item -LiteralPath ${psQuote(p)} -Recurse -Force -ErrorAction SilentlyContinue`).join('\n'), { signal, timeoutMs: 60_000 });
    this.publishedInf = undefined;
  }

  /** The windows-safe-mode recovery (safe-mode.ts): Safe Mode, the driver removed, a normal boot. */
  removeThroughSafeMode(t: GuestTransport, reboot: (t: GuestTransport) => Promise<GuestTransport>, signal?: AbortSignal): Promise<{ attempt: RecoveryAttempt; transport: GuestTransport }> {
    return recoverInSafeMode(t, this, { reboot, signal });
  }

  private async readPublishedName(t: GuestTransport, signal?: AbortSignal): Promise<string | undefined> {
    const p = psQuote(this.publishedNameFile);
    const r = await runPs(t, `if (Test-Path -LiteralPath ${p}) { 'PUBLISHED=' + [System.IO.File]::ReadAllText(${p}).Trim() }`, { signal, timeoutMs: 60_000 });
    return /^PUBLISHED=(oem\d+\.inf)$/im.exec(r.stdout)?.[1];
  }

  /** One native command (its arguments are validated names and paths: no quoting needed), exit code passed through. */
  private async native(t: GuestTransport, line: string, signal: AbortSignal | undefined, okCodes: number[] = [0], blame: 'lab' | 'agent' = 'lab'): Promise<PsResult> {
    const r = await runPs(t, nativeCommandScript(line), { signal, timeoutMs: 120_000, check: false });
    if (r.code !== null && okCodes.includes(r.code)) return r;
    const out = (r.stdout.trim() || r.stderr.trim()).slice(-400);
    const msg = `\`${line}\` exited ${r.code ?? 'without a status'}${out ? `: ${out}` : ''}`;
    if (blame === 'agent') throw new AgentInstallError(msg);
    const hint = r.code === 5 ? ' (access denied: the SSH user must be an administrator; see docs/windows-guests.md)' : '';
    throw new LabError('WINDRIVER_COMMAND', msg + hint);
  }
}
