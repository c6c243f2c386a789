import { readFile } from 'node:fs/promises';
import { join, basename } from 'node:path';
import type { AgentDriver, ContentArtifact, PrepareOptions, PreparedBuild } from '../agent.js';
import { AgentInstallError, requireSource } from '../agent.js';
import type { GuestTransport } from '../../guest/transport.js';
import { ConfigError } from '../../util/errors.js';
import { pathExists } from '../../util/fsutil.js';
import { fileNamePart } from '../../util/paths.js';
import { shellWord } from '../../util/shell-quote.js';
import { treeHash } from '../../util/tree-hash.js';
import { buildEbpf, cachedEbpfBuild } from './build.js';
import { arm64Cross } from './sysroot.js';
import { cachedPackageBuild, PACKAGE_DESCRIPTOR, packageBuildKey, readPackageSpec, stagePackageAgent, type PackageBuildManifest } from './package.js';

export interface EbpfAgentOptions {
  name: string;
  /** A guest command that exits 0 when the agent runs; default: the loader's `status`. */
  health?: string;
  cacheDir: string;
}

/** Where an eBPF agent lives in the guest, all derived from its name. */
export interface EbpfGuestPaths {
  /** The loader and its BPF objects (persistent: /opt is on the state disk of the initramfs userland). */
  dir: string;
  content: string;
  /** bpffs directory of the pinned link and maps: gone at every reboot, as a loaded program is. */
  pinDir: string;
  /** Per-boot state of the loader (refusal, verifier log): /run, gone at every reboot. */
  stateDir: string;
  /** Started by the initramfs userland's init after modules-load.d, output to the console. */
  bootScript: string;
  /** Started by systemd on a full disk (harmless on the initramfs, which has no systemd). */
  unit: string;
  unitLink: string;
  /** Exit 0 when the agent's programs are loaded and attached (the default health command). */
  health: string;
  /** Detaches the agent (used by uninstall). */
  stop: string;
  /** A package agent's output (it runs in the foreground). */
  log: string;
}

export function ebpfGuestPaths(name: string): EbpfGuestPaths {
  return {
    dir: `/opt/${name}`,
    content: `/var/lib/${name}/channel.txt`,
    pinDir: `/sys/fs/bpf/${name}`,
    stateDir: `/run/${name}`,
    bootScript: `/etc/bootgate/boot.d/50-${name}`,
    unit: `/etc/systemd/system/${name}.service`,
    unitLink: `/etc/systemd/system/multi-user.target.wants/${name}.service`,
    health: `/opt/${name}/health`,
    stop: `/opt/${name}/stop`,
    log: `/var/log/${name}.log`,
  };
}

/** Quoted only when it must be: the commands stay readable in the unit, the script and run.json. */

/** `<loader> <verb> [-c …] -p … -s …`, for the boot script, the unit and health. */
export function loaderCommand(p: EbpfGuestPaths, loader: string, verb: 'load' | 'status' | 'unload'): string {
  const args = [`${p.dir}/${loader}`, verb];
  if (verb === 'load') args.push('-c', p.content);
  args.push('-p', p.pinDir, '-s', p.stateDir);
  return args.map(shellWord).join(' ');
}

/** Boot hook of a loader agent (sensor-ebpf): the loader loads, pins and exits. */
export function bootScript(name: string, p: EbpfGuestPaths, loader: string): string {
  return [
    '#!/bin/sh',
    `# Installed by bootgate's linux-ebpf driver: loads the ${name} eBPF agent at every boot.`,
    '# The initramfs userland runs /etc/bootgate/boot.d/* after modules-load.d, output on the',
    `# console; a systemd disk starts ${basename(p.unit)} instead.`,
    `echo "bootgate-phase agent-load agent=${name} uptime=$(cut -d' ' -f1 /proc/uptime)"`,
    "if ! grep -q ' /sys/fs/bpf bpf ' /proc/mounts; then mkdir -p /sys/fs/bpf && mount -t bpf bpf /sys/fs/bpf; fi",
    `${loaderCommand(p, loader, 'load')} || echo "bootgate-agent-load-failed agent=${name} status=$?"`,
    'exit 0',
    '',
  ].join('\n');
}

/** systemd unit of a loader agent: a oneshot that stays "active" while the pinned link holds. */
export function systemdUnit(name: string, p: EbpfGuestPaths, loader: string): string {
  return [
    '[Unit]',
    `Description=${name} eBPF agent (installed by bootgate)`,
    'After=local-fs.target sys-fs-bpf.mount',
    'Before=bootgate-ready.service',
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    `ExecStart=${loaderCommand(p, loader, 'load')}`,
    `ExecStop=${loaderCommand(p, loader, 'unload')}`,
    'StandardOutput=journal+console',
    'StandardError=journal+console',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}


/** How a package agent's program is started: through its own dynamic loader when it has one. */
export function packageRunScript(name: string, p: EbpfGuestPaths, m: PackageBuildManifest): string {
  const prog = `${p.dir}/bin/${m.program}`;
  const cmd = m.interpreter ? [`${p.dir}/lib/${m.interpreter}`, '--library-path', `${p.dir}/lib`, prog, ...m.args] : [prog, ...m.args];
  return [
    '#!/bin/sh',
    `# Installed by bootgate's linux-ebpf driver: runs ${m.program} in the foreground (output: ${p.log}).`,
    m.interpreter ? `# With the libraries shipped beside it (${m.libs.join(' ')}): the guest userland may have none of them.` : '# A static program.',
    `mkdir -p ${shellWord(p.stateDir)}`,
    `echo $$ > ${shellWord(`${p.stateDir}/pid`)}`,
    `exec ${cmd.map(shellWord).join(' ')}`,
    '',
  ].join('\n');
}

/** Exit 0 when the package agent's process is alive and holds a BPF program and an attachment. */
export function packageHealthScript(p: EbpfGuestPaths, m: PackageBuildManifest): string {
  const what = `${m.program} (${Object.entries(m.packages)[0]?.join(' ') ?? 'package'})`;
  return [
    '#!/bin/sh',
    `p=$(cat ${shellWord(`${p.stateDir}/pid`)} 2>/dev/null)`,
    'if [ -n "$p" ] && [ -d "/proc/$p" ]; then',
    '  fds=$(ls -l "/proc/$p/fd" 2>/dev/null)',
    "  progs=$(echo \"$fds\" | grep -c 'anon_inode:bpf-prog')",
    "  links=$(echo \"$fds\" | grep -c -e 'anon_inode:bpf_link' -e 'anon_inode:\\[perf_event\\]')",
    '  if [ "$progs" -gt 0 ] && [ "$links" -gt 0 ]; then',
    `    echo "${what} running, pid $p: $progs BPF programs, $links bpf_link/perf_event fds"`,
    '    exit 0',
    '  fi',
    `  echo "${what}, pid $p: no BPF program attached yet ($progs programs, $links bpf_link/perf_event fds)"`,
    'else',
    `  echo "${what} is not running"`,
    'fi',
    `tail -n 20 ${shellWord(p.log)} 2>/dev/null`,
    'exit 1',
    '',
  ].join('\n');
}

/** Boot hook of a package agent: mounts what tracers need, starts it, waits until it is attached. */
export function packageBootScript(name: string, p: EbpfGuestPaths, m: PackageBuildManifest): string {
  const tries = m.attachTimeout * 5;
  return [
    '#!/bin/sh',
    `# Installed by bootgate's linux-ebpf driver: starts ${m.program} (${name}) at every boot, in the background.`,
    `echo "bootgate-phase agent-load agent=${name} uptime=$(cut -d' ' -f1 /proc/uptime)"`,
    '# Tracepoint attachment reads event ids from tracefs; a busybox init mounts neither it nor bpffs.',
    "grep -q ' /sys/kernel/tracing tracefs ' /proc/mounts || mount -t tracefs nodev /sys/kernel/tracing",
    "grep -q ' /sys/fs/bpf bpf ' /proc/mounts || mount -t bpf bpf /sys/fs/bpf",
    `mkdir -p /var/log ${shellWord(p.stateDir)}`,
    `rm -f ${shellWord(`${p.stateDir}/pid`)}`,
    `setsid ${shellWord(`${p.dir}/run`)} > ${shellWord(p.log)} 2>&1 < /dev/null &`,
    `# Ready like a Type=notify service: attached, exited, or ${m.attachTimeout}s.`,
    'i=0',
    `while [ $i -lt ${tries} ]; do`,
    `  ${shellWord(p.health)} > /dev/null 2>&1 && break`,
    `  pid=$(cat ${shellWord(`${p.stateDir}/pid`)} 2>/dev/null)`,
    '  [ -n "$pid" ] && [ ! -d "/proc/$pid" ] && break',
    '  sleep 0.2; i=$((i + 1))',
    'done',
    `if out=$(${shellWord(p.health)} 2>&1); then echo "$out" | sed 's/^/${name}: /'; else echo "$out" | sed 's/^/${name}: /'; echo "bootgate-agent-load-failed agent=${name}"; fi`,
    'exit 0',
    '',
  ].join('\n');
}

export function packageUnit(name: string, p: EbpfGuestPaths, m: PackageBuildManifest): string {
  return [
    '[Unit]',
    `Description=${name}: ${m.program} eBPF tracer (installed by bootgate)`,
    'After=local-fs.target sys-fs-bpf.mount sys-kernel-tracing.mount',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${p.dir}/run`,
    `StandardOutput=append:${p.log}`,
    'StandardError=inherit',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/**
 * linux-ebpf: eBPF agents built or fetched once on the host (CO-RE: the same artifact for every
 * kernel), installed the way a product's package does it: files under /opt/<name>, the content
 * under /var/lib/<name>, and a start-at-boot hook (a boot.d script for the initramfs userland, a
 * systemd unit for a full disk). The harness loads nothing itself. Two flavours of source:
 *
 * - a directory with a Makefile (examples/agents/sensor-ebpf): `make OUT=` builds a static loader
 *   and its BPF objects; the loader loads, pins the link in bpffs and exits (see build.ts);
 * - a directory with debian-package.json (a third-party tool such as libbpf-tools' execsnoop):
 *   the program and its shared libraries from Debian packages, run in the background (package.ts).
 *
 * Health is /opt/<name>/health: exit 0 only when the BPF programs are loaded and attached;
 * otherwise its output says why (a verifier rejection shows as an unhealthy agent: the agent's
 * failure, not a crash).
 */
export class EbpfAgent implements AgentDriver {
  readonly kind = 'linux-ebpf';
  readonly paths: EbpfGuestPaths;

  constructor(private readonly o: EbpfAgentOptions) {
    this.paths = ebpfGuestPaths(o.name);
  }

  get contentPath(): string {
    return this.paths.content;
  }

  async prepare(opts: PrepareOptions): Promise<PreparedBuild> {
    const source = requireSource(opts, this.kind);
    const builds = join(this.o.cacheDir, 'builds');
    // One folder name per agent and version (both validated, and encoded again: never a path).
    const stem = `${fileNamePart(this.o.name)}-${fileNamePart(opts.version)}`;
    if (await pathExists(join(source, PACKAGE_DESCRIPTOR))) {
      const { spec, text } = await readPackageSpec(source);
      const { key, versions } = await packageBuildKey(spec, text, opts.signal);
      const outDir = join(builds, `${stem}-${key}`, 'ebpf-package');
      let b = await cachedPackageBuild(outDir);
      if (!b) {
        opts.progress?.(`fetching ${this.o.name} ${opts.version} from Debian (${spec.packages.join(', ')})`);
        b = await stagePackageAgent({ spec, versions, outDir, sourceDir: source, signal: opts.signal });
      }
      const files: Record<string, string> = { manifest: join(b.dir, 'build.json'), program: join(b.dir, 'bin', b.manifest.program) };
      for (const l of b.manifest.libs) files[`lib:${l}`] = join(b.dir, 'lib', l);
      return { version: opts.version, files, detail: b.manifest.detail };
    }
    if (!(await pathExists(join(source, 'Makefile')))) {
      throw new ConfigError('EBPF_SOURCE_INVALID', `${source} has neither a Makefile (an eBPF agent built from source) nor ${PACKAGE_DESCRIPTOR} (a packaged tool)`, {
        file: source,
      });
    }
    const src = await treeHash(source);
    // Not keyed by kernel release: one CO-RE build serves every image of an architecture.
    const arch = opts.guest.arch ?? 'amd64';
    const outDir = join(builds, `${stem}-${src.slice(0, 12)}`, arch === 'amd64' ? 'ebpf-core' : `ebpf-core-${arch}`);
    let b = await cachedEbpfBuild(outDir);
    if (!b) {
      opts.progress?.(`building ${this.o.name} ${opts.version} (eBPF, CO-RE: one build for every ${arch} kernel)`);
      const cross = arch === 'amd64' ? undefined : await arm64Cross(this.o.cacheDir, opts.signal);
      b = await buildEbpf({ sourceDir: source, outDir, cross, signal: opts.signal });
    }
    const files: Record<string, string> = { loader: b.loader };
    for (const obj of b.objects) files[`object:${basename(obj)}`] = obj;
    return { version: opts.version, files, detail: b.detail };
  }

  async install(t: GuestTransport, build: PreparedBuild, content: ContentArtifact, signal?: AbortSignal): Promise<void> {
    const p = this.paths;
    const run = async (cmd: string) => {
      const r = await t.exec(cmd, { signal, timeoutMs: 60_000 });
      if (r.code !== 0) throw new AgentInstallError(`\`${cmd}\` exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(-400)}`);
      return r;
    };
    await run(`mkdir -p ${[p.dir, `/var/lib/${this.o.name}`, '/etc/bootgate/boot.d', '/etc/systemd/system/multi-user.target.wants'].map(shellWord).join(' ')}`);
    await t.upload(content.path, p.content, { signal, mode: 0o644 });

    if (build.files.manifest) {
      const m = JSON.parse(await readFile(build.files.manifest, 'utf8')) as PackageBuildManifest;
      await run(`mkdir -p ${shellWord(`${p.dir}/bin`)} ${shellWord(`${p.dir}/lib`)}`);
      await t.upload(build.files.program!, `${p.dir}/bin/${m.program}`, { signal, mode: 0o755 });
      for (const [key, path] of Object.entries(build.files)) {
        if (key.startsWith('lib:')) await t.upload(path, `${p.dir}/lib/${key.slice(4)}`, { signal, mode: 0o755 });
      }
      await t.uploadData(packageRunScript(this.o.name, p, m), `${p.dir}/run`, { signal, mode: 0o755 });
      await t.uploadData(packageHealthScript(p, m), p.health, { signal, mode: 0o755 });
      await t.uploadData(`#!/bin/sh\npid=$(cat ${shellWord(`${p.stateDir}/pid`)} 2>/dev/null) && kill "$pid" 2>/dev/null\nexit 0\n`, p.stop, { signal, mode: 0o755 });
      await t.uploadData(packageBootScript(this.o.name, p, m), p.bootScript, { signal, mode: 0o755 });
      await t.uploadData(packageUnit(this.o.name, p, m), p.unit, { signal, mode: 0o644 });
    } else {
      const loaderPath = build.files.loader;
      if (!loaderPath) throw new AgentInstallError('the eBPF build has no loader');
      const loader = basename(loaderPath);
      await t.upload(loaderPath, `${p.dir}/${loader}`, { signal, mode: 0o755 });
      for (const [key, path] of Object.entries(build.files)) {
        if (key.startsWith('object:')) await t.upload(path, `${p.dir}/${key.slice('object:'.length)}`, { signal, mode: 0o644 });
      }
      // The loader must run on this userland (static: no libbpf/libelf in the guest).
      await run(`${shellWord(`${p.dir}/${loader}`)} version`);
      await t.uploadData(`#!/bin/sh\nexec ${loaderCommand(p, loader, 'status')}\n`, p.health, { signal, mode: 0o755 });
      await t.uploadData(`#!/bin/sh\nexec ${loaderCommand(p, loader, 'unload')}\n`, p.stop, { signal, mode: 0o755 });
      await t.uploadData(bootScript(this.o.name, p, loader), p.bootScript, { signal, mode: 0o755 });
      await t.uploadData(systemdUnit(this.o.name, p, loader), p.unit, { signal, mode: 0o644 });
    }
    await run(`ln -sf ${shellWord(p.unit)} ${shellWord(p.unitLink)} && sync`);
  }

  /** A loader agent loads again from another file: a load the verifier refuses leaves the previous program attached. */
  contentLoadCommand(build: PreparedBuild, remotePath: string): string | undefined {
    const loader = build.files.loader && basename(build.files.loader);
    if (!loader) return undefined;
    const p = ebpfGuestPaths(this.o.name);
    return [`${p.dir}/${loader}`, 'load', '-c', remotePath, '-p', p.pinDir, '-s', p.stateDir].map(shellWord).join(' ');
  }

  async health(t: GuestTransport, signal?: AbortSignal): Promise<{ ok: boolean; output: string }> {
    const r = await t.exec(this.o.health ?? shellWord(this.paths.health), { signal, timeoutMs: 30_000 });
    return { ok: r.code === 0, output: (r.stdout + r.stderr).trim().slice(0, 2000) };
  }

  async uninstall(t: GuestTransport, signal?: AbortSignal): Promise<void> {
    const p = this.paths;
    await t.exec(
      [
        `${shellWord(p.stop)} >/dev/null 2>&1`,
        `rm -rf ${[p.dir, `/var/lib/${this.o.name}`, p.bootScript, p.unit, p.unitLink, p.stateDir, p.log].map(shellWord).join(' ')}`,
        'sync',
      ].join('; '),
      { signal, timeoutMs: 60_000 },
    );
  }
}
