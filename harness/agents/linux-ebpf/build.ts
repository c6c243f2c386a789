import { chmod, cp, mkdir, mkdtemp, open, readdir, rename, rm, stat, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ConfigError, LabError, throwIfAborted } from '../../util/errors.js';
import { execCapture } from '../../util/exec.js';
import { pathExists } from '../../util/fsutil.js';

/**
 * Build an eBPF agent on the host: `make OUT=<dir>` in a scratch copy of its source. The result
 * is one build for every kernel (CO-RE: the BPF object carries BTF and is relocated against the
 * running kernel's BTF at load), so, unlike a kernel module, it is not built per image.
 *
 * The source's contract (examples/agents/sensor-ebpf is the reference):
 * - its Makefile honours OUT, CC, CLANG and BPFTOOL and writes into OUT exactly one executable
 *   (the loader) and one or more BPF objects (`*.bpf.o`);
 * - the loader is statically linked (the initramfs userland has busybox and libc, no libbpf,
 *   no libelf) and speaks `load|status|unload -c CONTENT -p PINDIR -s STATEDIR`, finding its
 *   objects next to itself.
 */

/** What the host needs to build an eBPF agent, and the Debian package that brings each. */
export const EBPF_TOOLCHAIN: { what: string; pkg: string; check: { tool: string; args: string[] } | { file: string } }[] = [
  { what: 'make', pkg: 'make', check: { tool: 'make', args: ['--version'] } },
  { what: 'gcc', pkg: 'gcc', check: { tool: 'gcc', args: ['--version'] } },
  { what: 'clang (BPF target)', pkg: 'clang', check: { tool: 'clang', args: ['-print-targets'] } },
  { what: 'bpftool', pkg: 'bpftool', check: { tool: 'bpftool', args: ['version'] } },
  { what: 'bpf/bpf_helpers.h', pkg: 'libbpf-dev', check: { file: '/usr/include/bpf/bpf_helpers.h' } },
  { what: 'libbpf.a', pkg: 'libbpf-dev', check: { file: 'libbpf.a' } },
  { what: 'libelf.a', pkg: 'libelf-dev', check: { file: 'libelf.a' } },
  { what: 'libz.a', pkg: 'zlib1g-dev', check: { file: 'libz.a' } },
  { what: 'libc.a', pkg: 'libc6-dev', check: { file: 'libc.a' } },
  { what: 'linux/bpf.h', pkg: 'linux-libc-dev', check: { file: '/usr/include/linux/bpf.h' } },
];

/** A host tool by name: on PATH, or in the sbin directories a non-root PATH lacks (bpftool). */
async function findTool(tool: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean).concat(['/usr/sbin', '/sbin', '/usr/local/sbin'])) {
    if (await pathExists(join(dir, tool))) return join(dir, tool);
  }
  return undefined;
}

export interface EbpfToolchain {
  clang: string;
  bpftool: string;
  clangVersion: string;
}

/** Check every tool and library the build needs; one error naming all that are missing and their packages. */
export async function checkEbpfToolchain(signal?: AbortSignal): Promise<EbpfToolchain> {
  const missing: { what: string; pkg: string }[] = [];
  const paths: Record<string, string> = {};
  let clangVersion = '';
  for (const t of EBPF_TOOLCHAIN) {
    throwIfAborted(signal);
    let ok = false;
    if ('tool' in t.check) {
      const path = await findTool(t.check.tool);
      if (path) {
        const r = await execCapture(path, t.check.args, { signal }).catch(() => undefined);
        ok = r?.code === 0;
        if (ok && t.check.tool === 'clang') {
          ok = /^\s*bpf\b/m.test(r!.stdout);
          const v = await execCapture(path, ['--version'], { signal }).catch(() => undefined);
          clangVersion = v?.stdout.split('\n')[0]?.trim() ?? '';
        }
        if (ok) paths[t.check.tool] = path;
      }
    } else if (t.check.file.startsWith('/')) {
      ok = await pathExists(t.check.file);
    } else {
      // A static library where the linker looks: gcc answers with the bare name when it has none.
      const r = await execCapture('gcc', [`-print-file-name=${t.check.file}`], { signal }).catch(() => undefined);
      const p = r ? r.stdout.trim() : `/usr/lib/x86_64-linux-gnu/${t.check.file}`; // without gcc: Debian's multiarch dir
      ok = !!p && p !== t.check.file && (await pathExists(p));
    }
    if (!ok) missing.push({ what: t.what, pkg: t.pkg });
  }
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((m) => m.pkg))];
    throw new LabError(
      'HOST_TOOL_MISSING',
      `building linux-ebpf agents needs ${missing.map((m) => `${m.what} (Debian package ${m.pkg})`).join(', ')}, missing on this host: apt-get install -y ${pkgs.join(' ')}`,
    );
  }
  return { clang: paths.clang!, bpftool: paths.bpftool!, clangVersion };
}

/** ELF facts the build checks: BPF object or x86-64 executable, and whether it wants a dynamic loader. */
export interface ElfFacts {
  machine: number;
  type: number;
  /** PT_INTERP present: dynamically linked. */
  dynamic: boolean;
}

export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;

/**
 * A build for another architecture than the host's: the BPF target's register layout
 * (`__TARGET_ARCH_<bpfArch>`), Debian's cross compiler, and a sysroot of that architecture's
 * libraries (sysroot.ts) the loader is linked against; the loader must then be of `machine`.
 */
export interface EbpfCross {
  bpfArch: string;
  cc: string;
  sysroot: string;
  machine: number;
}
export const EM_BPF = 247;

export async function readElfFacts(path: string): Promise<ElfFacts | undefined> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(64);
    const { bytesRead } = await fh.read(head, 0, 64, 0);
    if (bytesRead < 64 || head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2 || head[5] !== 1) return undefined; // ELF64 LE only
    const type = head.readUInt16LE(16);
    const machine = head.readUInt16LE(18);
    const phoff = Number(head.readBigUInt64LE(32));
    const phentsize = head.readUInt16LE(54);
    const phnum = head.readUInt16LE(56);
    let dynamic = false;
    if (phoff && phnum && phentsize >= 4) {
      const ph = Buffer.alloc(phentsize * phnum);
      await fh.read(ph, 0, ph.length, phoff);
      for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3 /* PT_INTERP */) dynamic = true;
    }
    return { machine, type, dynamic };
  } finally {
    await fh.close();
  }
}

export interface BuildEbpfOptions {
  sourceDir: string;
  /** Final directory of the artifacts; written atomically (a scratch dir renamed into place). */
  outDir: string;
  cross?: EbpfCross;
  signal?: AbortSignal;
}

export interface EbpfBuild {
  /** The loader executable. */
  loader: string;
  /** The BPF objects, shipped beside the loader. */
  objects: string[];
  /** One line for run.json. */
  detail: string;
}

const MANIFEST = 'build.json';

/** A cached build in outDir, if a complete one is there. */
export async function cachedEbpfBuild(outDir: string): Promise<EbpfBuild | undefined> {
  const text = await readFile(join(outDir, MANIFEST), 'utf8').catch(() => undefined);
  if (!text) return undefined;
  try {
    const m = JSON.parse(text) as { loader: string; objects: string[]; detail: string };
    const loader = join(outDir, m.loader);
    const objects = m.objects.map((o) => join(outDir, o));
    for (const f of [loader, ...objects]) if (!(await pathExists(f))) return undefined;
    return { loader, objects, detail: `${m.detail} (cached)` };
  } catch {
    return undefined;
  }
}

/** Files a previous in-place build leaves in the source: never copied into the scratch build. */
function isArtifact(name: string): boolean {
  return /\.(o|a|so)$/.test(name) || name === '.git';
}

export async function buildEbpf(o: BuildEbpfOptions): Promise<EbpfBuild> {
  const { sourceDir, outDir, signal } = o;
  const st = await stat(sourceDir).catch(() => undefined);
  if (!st?.isDirectory()) throw new ConfigError('EBPF_SOURCE_MISSING', `eBPF agent source directory ${sourceDir} does not exist`, { file: sourceDir });
  if (!(await pathExists(join(sourceDir, 'Makefile')))) {
    throw new ConfigError('EBPF_SOURCE_INVALID', `${sourceDir} has no Makefile (a linux-ebpf agent builds with \`make OUT=<dir>\`)`, { file: sourceDir });
  }
  const tc = await checkEbpfToolchain(signal);
  const t0 = Date.now();
  const scratch = await mkdtemp(join(tmpdir(), 'bootgate-ebpf-'));
  await mkdir(dirname(outDir), { recursive: true });
  // Beside the cache entry, so that it is renamed into place (same file system).
  const out = await mkdtemp(`${outDir}.tmp-`);
  try {
    const src = join(scratch, 'src');
    await cp(sourceDir, src, { recursive: true, filter: (p) => p === sourceDir || !isArtifact(basename(p)) });
    const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', LANG: 'C' };
    for (const k of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'CFLAGS', 'LDFLAGS']) delete env[k];
    const crossArgs = o.cross ? [`CC=${o.cross.cc}`, `BPF_ARCH=${o.cross.bpfArch}`, `SYSROOT=${o.cross.sysroot}`] : ['CC=gcc'];
    const r = await execCapture('make', ['-C', src, `OUT=${out}`, ...crossArgs, `CLANG=${tc.clang}`, `BPFTOOL=${tc.bpftool}`], { env, signal });
    if (r.code !== 0) {
      const text = `${r.stdout}\n${r.stderr}`.split(`${src}/`).join(`${sourceDir}/`);
      const errors = text.split('\n').filter((l) => /\berror\b|undefined reference|\*\*\*/i.test(l));
      throw new ConfigError('EBPF_BUILD_FAILED', `building the eBPF agent in ${sourceDir} failed (make exited ${r.code}):\n${(errors.length ? errors : text.trim().split('\n').slice(-12)).slice(0, 16).join('\n')}`, {
        file: sourceDir,
      });
    }

    const names = (await readdir(out)).sort();
    const objects: string[] = [];
    const executables: string[] = [];
    for (const n of names) {
      const p = join(out, n);
      if (!(await stat(p)).isFile()) continue;
      const elf = await readElfFacts(p);
      if (n.endsWith('.bpf.o')) {
        if (elf?.machine !== EM_BPF) throw new ConfigError('EBPF_BUILD_INVALID', `${n} built from ${sourceDir} is not a BPF object`, { file: sourceDir });
        objects.push(n);
      } else if (elf?.machine === (o.cross?.machine ?? EM_X86_64) && ((await stat(p)).mode & 0o111) !== 0) {
        executables.push(n);
      }
    }
    if (objects.length === 0) throw new ConfigError('EBPF_NOT_BUILT', `the build of ${sourceDir} produced no *.bpf.o in OUT`, { file: sourceDir });
    if (executables.length !== 1) {
      throw new ConfigError('EBPF_LOADER_AMBIGUOUS', `the build of ${sourceDir} must produce exactly one executable (the loader) in OUT; it produced ${executables.join(', ') || 'none'}`, {
        file: sourceDir,
      });
    }
    const loader = executables[0]!;
    if ((await readElfFacts(join(out, loader)))!.dynamic) {
      throw new ConfigError(
        'EBPF_LOADER_DYNAMIC',
        `the loader ${loader} built from ${sourceDir} is dynamically linked: the initramfs userland has no libbpf or libelf; link it statically (-static, libbpf.a libelf.a libz.a)`,
        { file: sourceDir },
      );
    }
    const size = (await stat(join(out, loader))).size;
    const detail = `CO-RE build for every kernel${o.cross ? ` of ${o.cross.bpfArch}` : ''}: ${loader} (static, ${(size / 2 ** 20).toFixed(1)} MiB) + ${objects.join(', ')}; ${tc.clangVersion || 'clang'}; built in ${((Date.now() - t0) / 1000).toFixed(1)}s`;
    await chmod(join(out, loader), 0o755);
    await writeFile(join(out, MANIFEST), JSON.stringify({ loader, objects, detail }, null, 2) + '\n');

    // Into place in one rename: an interrupted build never leaves half a cache entry.
    await rm(outDir, { recursive: true, force: true });
    await rename(out, outDir);
    return { loader: join(outDir, loader), objects: objects.map((n) => join(outDir, n)), detail };
  } finally {
    await rm(scratch, { recursive: true, force: true });
    await rm(out, { recursive: true, force: true });
  }
}
