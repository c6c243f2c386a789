import { createHash } from 'node:crypto';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentDriver, ContentArtifact, GuestInfo, PreparedBuild } from '../agent.js';
import { AgentInstallError } from '../agent.js';
import type { GuestTransport } from '../../guest/transport.js';
import { shellQuote } from '../../guest/ssh-transport.js';
import { buildKmod, makeVarArgs } from './build.js';
import { fetchKernelHeaders } from './headers.js';
import { ConfigError } from '../../util/errors.js';
import { treeHash } from '../../util/tree-hash.js';

/**
 * The build cache folder of one build: name, version, source tree hash and, when the build sets
 * make variables, a hash of them (sorted). Without variables the name is what it always was.
 */
export function buildCacheName(name: string, version: string, sourceHash: string, make?: Record<string, string>): string {
  const base = `${name}-${version}-${sourceHash.slice(0, 12)}`;
  const entries = Object.entries(make ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return base;
  return `${base}-make-${createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 12)}`;
}

export interface KmodAgentOptions {
  name: string;
  module?: string;
  health?: string;
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

  get contentPath(): string {
    return `/var/lib/${this.o.name}/channel.txt`;
  }

  /**
   * `make`: the build's make variables (a suite build's `make:` map), passed to kbuild as
   * VAR=value; they are part of the build cache key, so two builds of one source with different
   * variables never share a .ko.
   */
  async prepare(opts: { version: string; source: string; guest: GuestInfo; make?: Record<string, string>; signal?: AbortSignal; progress?: (s: string) => void }): Promise<PreparedBuild> {
    const release = opts.guest.kernelRelease;
    if (!release) throw new ConfigError('KMOD_NO_KERNEL', `a linux-kmod agent needs a Linux image with a known kernel release`);
    const src = await treeHash(opts.source);
    const outDir = join(this.o.cacheDir, 'builds', buildCacheName(this.o.name, opts.version, src, opts.make), release);
    const ko = join(outDir, `${this.module}.ko`);
    const cached = await access(ko).then(
      () => true,
      () => false,
    );
    if (!cached) {
      const vars = makeVarArgs(opts.make, opts.source);
      opts.progress?.(`building ${this.o.name} ${opts.version} for ${release}${vars.length ? ` (${vars.join(' ')})` : ''}`);
      const headersDir = await fetchKernelHeaders({ kernelRelease: release, cacheDir: join(this.o.cacheDir, 'headers'), signal: opts.signal });
      await mkdir(outDir, { recursive: true });
      const r = await buildKmod({ sourceDir: opts.source, kernelRelease: release, headersDir, outDir, moduleName: this.module, makeVars: opts.make, signal: opts.signal });
      return { version: opts.version, files: { ko: r.koPath }, detail: r.vermagic };
    }
    return { version: opts.version, files: { ko }, detail: `cached build for ${release}` };
  }

  async install(t: GuestTransport, build: PreparedBuild, content: ContentArtifact, signal?: AbortSignal): Promise<void> {
    const rel = (await t.exec('uname -r', { signal, timeoutMs: 15_000 })).stdout.trim();
    const extra = `/lib/modules/${rel}/extra`;
    const run = async (cmd: string) => {
      const r = await t.exec(cmd, { signal, timeoutMs: 60_000 });
      if (r.code !== 0) throw new AgentInstallError(`\`${cmd}\` exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(-400)}`);
    };
    await run(`mkdir -p ${shellQuote(extra)} /etc/modules-load.d /etc/modprobe.d ${shellQuote(`/var/lib/${this.o.name}`)}`);
    await t.upload(build.files.ko!, `${extra}/${this.module}.ko`, { signal, mode: 0o644 });
    await t.upload(content.path, this.contentPath, { signal, mode: 0o644 });
    await t.uploadData(`${this.module}\n`, `/etc/modules-load.d/${this.o.name}.conf`, { signal, mode: 0o644 });
    await t.uploadData(`options ${this.module} content=${this.contentPath}\n`, `/etc/modprobe.d/${this.o.name}.conf`, { signal, mode: 0o644 });
    await run('depmod -a && sync');
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
      `rm -f /etc/modules-load.d/${this.o.name}.conf /etc/modprobe.d/${this.o.name}.conf /lib/modules/$(uname -r)/extra/${this.module}.ko && depmod -a && sync`,
      { signal, timeoutMs: 60_000 },
    );
  }
}
