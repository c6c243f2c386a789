import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { AgentDriver, ContentArtifact, PrepareOptions, PreparedBuild } from '../agent.js';
import { AgentInstallError, requireSource } from '../agent.js';
import type { GuestTransport } from '../../guest/transport.js';
import { buildKmod, makeVarArgs } from './build.js';
import { fetchKernelHeaders, headersCachePaths } from './headers.js';
import { containerMake } from './kbuild-container.js';
import { crossBuildOf } from './cross-build.js';
import { freshAptState } from '../../images/apt-state.js';
import { fetchInTreeModule } from './in-tree.js';
import { findPrebuiltModule, isSourceFolder } from './prebuilt.js';
import { ConfigError } from '../../util/errors.js';
import { pathExists } from '../../util/fsutil.js';
import { fileNamePart } from '../../util/paths.js';
import { shellQuote } from '../../util/shell-quote.js';
import { treeHash } from '../../util/tree-hash.js';

/**
 * The build cache folder of one build: name, version, source tree hash and, when the build sets
 * make variables, a hash of them (sorted). Without variables the name is what it always was.
 */
export function buildCacheName(name: string, version: string, sourceHash: string, make?: Record<string, string>): string {
  // Name and version are validated (suite-schema.ts) and encoded again here: the result is one folder name, never a path.
  const base = `${fileNamePart(name)}-${fileNamePart(version)}-${sourceHash.slice(0, 12)}`;
  const entries = Object.entries(make ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return base;
  return `${base}-make-${createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 12)}`;
}

/** For commands that run depmod over the guest kernel's whole module tree. */
const DEPMOD_TIMEOUT_MS = 300_000;

export interface KmodAgentOptions {
  name: string;
  module?: string;
  health?: string;
  /** The module parameter given the content file's path (default `content`; `''`: none). */
  contentParam?: string;
  /** The module parameter (name=value) that loads it in its safe mode, when it has one. */
  safeModeParam?: string;
  cacheDir: string;
}

/**
 * linux-kmod: a module built per kernel, installed the way a product's package does it
 * (/lib/modules/<release>/extra, depmod, modules-load.d, options in modprobe.d), so the
 * guest's own boot loads it early, like a boot-start driver. Works on both userlands.
 */
export class KmodAgent implements AgentDriver {
  readonly kind = 'linux-kmod';
  private readonly module: string;

  constructor(private readonly o: KmodAgentOptions) {
    this.module = o.module ?? o.name;
  }

  /** The kernel refuses to load a module on module_blacklist=, whatever modprobe or modules-load.d ask. */
  bootWithoutAgentArgs(): string[] {
    // The kernel keeps module names with _ (a - in a file name becomes _).
    return [`module_blacklist=${this.module.replace(/-/g, '_')}`];
  }

  /** What the operator types in a rescue shell: nothing loads the module at the next boot, and its files are gone. */
  rescueRemoveCommand(): string {
    // No depmod: over a minute of CPU under TCG; a stale modules.dep entry only makes an explicit modprobe fail.
    return `rm -rf /etc/modules-load.d/${this.o.name}.conf /etc/modprobe.d/${this.o.name}.conf /lib/modules/*/extra/${this.o.name}`;
  }

  /** modprobe passes <module>.<param>=<value> from /proc/cmdline to the module it loads (kmod and busybox alike). */
  safeModeArgs(): string[] {
    return this.o.safeModeParam ? [`${this.module.replace(/-/g, '_')}.${this.o.safeModeParam}`] : [];
  }

  /** The module read its content at load: unloaded (if loaded) and loaded again with the path as its content parameter. */
  contentLoadCommand(_build: PreparedBuild, remotePath: string): string | undefined {
    const param = this.o.contentParam ?? 'content';
    if (param === '') return undefined;
    // insmod of the installed file, not modprobe: modprobe.d's options name the installed content.
    return `rmmod ${this.module} 2>/dev/null; insmod ${this.extraDir('$(uname -r)')}/${this.module}.ko ${param}=${shellQuote(remotePath)}`;
  }

  get contentPath(): string {
    return `/var/lib/${this.o.name}/channel.txt`;
  }

  /**
   * Make the module for the guest's kernel: built from source (a folder with a Kbuild or
   * Makefile; the build's make variables are passed to kbuild as VAR=value and are part of the
   * cache key), taken as built from a folder of `<release>/<module>.ko`, or taken from the
   * image's own kernel package (`inTree`). Each is checked against the kernel (vermagic).
   */
  async prepare(opts: PrepareOptions): Promise<PreparedBuild> {
    const release = opts.guest.kernelRelease;
    if (!release) throw new ConfigError('KMOD_NO_KERNEL', `a linux-kmod agent needs a Linux image with a known kernel release`);
    if (opts.inTree) return this.prepareInTree(opts, release);
    const source = requireSource(opts, this.kind);
    if (!(await isSourceFolder(source))) {
      const p = await findPrebuiltModule(source, this.module, release, opts.version);
      return { version: opts.version, files: { ko: p.ko }, detail: `prebuilt: ${p.vermagic}` };
    }
    const src = await treeHash(source);
    const outDir = join(this.o.cacheDir, 'builds', buildCacheName(this.o.name, opts.version, src, opts.make), release);
    const ko = join(outDir, `${this.module}.ko`);
    if (!(await pathExists(ko))) {
      const vars = makeVarArgs(opts.make, source);
      opts.progress?.(`building ${this.o.name} ${opts.version} for ${release}${vars.length ? ` (${vars.join(' ')})` : ''}`);
      // A kernel of another suite: its headers from that suite's archive, make in that suite's userland.
      // An arm64 kernel (Debian 12's, gcc-12 as the host's): cross-built here (cross-build.ts).
      const arch = opts.guest.arch ?? 'amd64';
      const cross = arch === 'amd64' ? undefined : crossBuildOf(arch, opts.guest.aptSuite);
      const suite = cross ? cross.suite : opts.guest.aptSuite;
      const apt = suite ? await freshAptState(this.o.cacheDir, suite, arch, opts.signal) : undefined;
      const hostKbuildApt = cross ? await freshAptState(this.o.cacheDir, cross.suite, 'amd64', opts.signal) : undefined;
      const headersCache = join(this.o.cacheDir, 'headers');
      const headersDir = await fetchKernelHeaders({ kernelRelease: release, cacheDir: headersCache, apt, hostKbuildApt, debCache: join(this.o.cacheDir, 'debs'), signal: opts.signal });
      const runMake = suite && !cross ? containerMake({ suite, headersRoot: headersCachePaths(headersCache, release).dir, progress: opts.progress }) : undefined;
      await mkdir(outDir, { recursive: true });
      const r = await buildKmod({ sourceDir: source, kernelRelease: release, headersDir, outDir, moduleName: this.module, makeVars: opts.make, runMake, cross, signal: opts.signal });
      return { version: opts.version, files: { ko: r.koPath }, detail: `built from source: ${r.vermagic.trim()}` };
    }
    return { version: opts.version, files: { ko }, detail: `built from source for ${release} (cached)` };
  }

  private async prepareInTree(opts: PrepareOptions, release: string): Promise<PreparedBuild> {
    const { kernelPackage, kernelPackageVersion } = opts.guest;
    // in-tree.ts reads the host's apt lists (amd64): an arm64 kernel package is not there.
    if ((opts.guest.arch ?? 'amd64') !== 'amd64') throw new ConfigError('KMOD_IN_TREE_ARCH', `build ${opts.version}: in-tree modules are taken for amd64 images only so far, not ${opts.guest.arch}`);
    if (!kernelPackage || !kernelPackageVersion) {
      throw new ConfigError('KMOD_IN_TREE_IMAGE', `build ${opts.version}: an in-tree module comes from the image's Debian kernel package, and this image records none (rebuild it: \`bootgate images build\`)`);
    }
    const m = await fetchInTreeModule({
      module: this.module,
      kernelPackage,
      packageVersion: kernelPackageVersion,
      kernelRelease: release,
      cacheDir: join(this.o.cacheDir, 'in-tree'),
      signal: opts.signal,
      progress: opts.progress,
    });
    const files: Record<string, string> = { ko: m.ko };
    for (const d of m.deps) files[`dep:${basename(d)}`] = d;
    return { version: opts.version, files, detail: `in-tree from ${kernelPackage} ${kernelPackageVersion}: ${m.vermagic}` };
  }

  /** Where the agent's modules go: its own folder under extra/, so uninstall takes exactly them. */
  private extraDir(release: string): string {
    return `/lib/modules/${release}/extra/${this.o.name}`;
  }

  async install(t: GuestTransport, build: PreparedBuild, content: ContentArtifact, signal?: AbortSignal): Promise<void> {
    const rel = (await t.exec('uname -r', { signal, timeoutMs: 15_000 })).stdout.trim();
    const extra = this.extraDir(rel);
    const run = async (cmd: string, timeoutMs = 60_000) => {
      const r = await t.exec(cmd, { signal, timeoutMs });
      if (r.code !== 0) throw new AgentInstallError(`\`${cmd}\` exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(-400)}`);
    };
    await run(`rm -rf ${shellQuote(extra)} && mkdir -p ${shellQuote(extra)} /etc/modules-load.d /etc/modprobe.d ${shellQuote(`/var/lib/${this.o.name}`)}`);
    await t.upload(build.files.ko!, `${extra}/${this.module}.ko`, { signal, mode: 0o644 });
    for (const [key, path] of Object.entries(build.files)) {
      if (key.startsWith('dep:')) await t.upload(path, `${extra}/${key.slice(4)}`, { signal, mode: 0o644 });
    }
    await t.upload(content.path, this.contentPath, { signal, mode: 0o644 });
    await t.uploadData(`${this.module}\n`, `/etc/modules-load.d/${this.o.name}.conf`, { signal, mode: 0o644 });
    const param = this.o.contentParam ?? 'content';
    const options = param === '' ? `# ${this.module} takes no content parameter\n` : `options ${this.module} ${param}=${this.contentPath}\n`;
    await t.uploadData(options, `/etc/modprobe.d/${this.o.name}.conf`, { signal, mode: 0o644 });
    // depmod indexes every module of the kernel: thousands on a full Debian disk, over a minute
    // of emulated CPU under TCG on a busy host. The limit is for a guest that hangs, not a slow one.
    await run('depmod -a && sync', DEPMOD_TIMEOUT_MS);
  }

  async footprint(t: GuestTransport, signal?: AbortSignal): Promise<number | undefined> {
    const r = await t.exec(`cat /sys/module/${this.module}/coresize`, { signal, timeoutMs: 15_000 });
    const n = Number(r.stdout.trim());
    return r.code === 0 && Number.isFinite(n) ? n : undefined;
  }

  async pause(t: GuestTransport, signal?: AbortSignal): Promise<void> {
    const r = await t.exec(`rmmod ${this.module}`, { signal, timeoutMs: 60_000 });
    if (r.code !== 0) throw new AgentInstallError(`rmmod ${this.module} exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
  }

  async resume(t: GuestTransport, signal?: AbortSignal): Promise<void> {
    const r = await t.exec(`modprobe ${this.module}`, { signal, timeoutMs: 60_000 });
    if (r.code !== 0) throw new AgentInstallError(`modprobe ${this.module} exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
  }

  async updateContent(t: GuestTransport, content: ContentArtifact, signal?: AbortSignal): Promise<void> {
    // The module reads its content at load: the new file takes effect at the next boot.
    await t.upload(content.path, this.contentPath, { signal, mode: 0o644 });
    const r = await t.exec('sync', { signal, timeoutMs: 60_000 });
    if (r.code !== 0) throw new AgentInstallError(`sync exited ${r.code}`);
  }

  async health(t: GuestTransport, signal?: AbortSignal): Promise<{ ok: boolean; output: string }> {
    const cmd = this.o.health ?? `test -d /sys/module/${this.module} && cat /sys/module/${this.module}/version 2>/dev/null; test -d /sys/module/${this.module}`;
    const r = await t.exec(cmd, { signal, timeoutMs: 30_000 });
    return { ok: r.code === 0, output: (r.stdout + r.stderr).trim().slice(0, 2000) };
  }

  async uninstall(t: GuestTransport, signal?: AbortSignal): Promise<void> {
    await t.exec(
      `rm -rf /etc/modules-load.d/${this.o.name}.conf /etc/modprobe.d/${this.o.name}.conf ${this.extraDir('$(uname -r)')} && depmod -a && sync`,
      { signal, timeoutMs: DEPMOD_TIMEOUT_MS },
    );
  }
}
