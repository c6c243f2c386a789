import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { aptDownload, candidateVersion, debExtract } from '../../images/debs.js';
import { sharedLibClosure } from '../../images/elf-deps.js';
import { ConfigError } from '../../util/errors.js';
import { EM_X86_64, readElfFacts } from './build.js';

/**
 * A third-party eBPF agent that no one here wrote, taken from a Debian package (e.g. libbpf-tools'
 * execsnoop): downloaded with `apt-get download` and unpacked, nothing installed on the host.
 * Such tools are long-running tracers, dynamically linked (execsnoop needs libelf.so.1, libz.so.1,
 * libc.so.6): the busybox initramfs has libc and libz (for dropbear) but no libelf. So the
 * program is shipped with its whole library closure and the dynamic loader from the same
 * packages, and started through that loader (`ld-linux-x86-64.so.2 --library-path`): it runs
 * whatever libraries the guest userland has.
 *
 * The agent source is a directory holding `debian-package.json`:
 *   { "packages": ["libbpf-tools", "libelf1", "zlib1g", "libc6"],
 *     "program": "usr/sbin/execsnoop", "args": ["-T"] }
 * The first package holds the program; the others supply its libraries.
 */

export const PACKAGE_DESCRIPTOR = 'debian-package.json';

export const packageAgentSchema = z
  .object({
    /** Debian packages (name or name=version); the first holds the program, the rest its libraries. */
    packages: z.array(z.string().regex(/^[a-z0-9][a-z0-9+.-]*(=[A-Za-z0-9.+:~-]+)?$/, 'a Debian package name, optionally =version')).min(1),
    /** The program's path inside the unpacked packages, e.g. usr/sbin/execsnoop. */
    program: z.string().regex(/^[A-Za-z0-9._/+-]+$/).refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'a relative path inside the package'),
    /** Its arguments: it runs in the foreground, its output goes to /var/log/<agent>.log. */
    args: z.array(z.string().regex(/^[A-Za-z0-9._/=:,+-]*$/, 'plain arguments only (no shell characters)')).default([]),
    /** Seconds the boot hook waits for the program's BPF programs to be attached. */
    attachTimeout: z.number().int().min(1).max(300).default(60),
  })
  .strict();

export type PackageAgentSpec = z.infer<typeof packageAgentSchema>;

/** What a staged package agent is, next to its files (build.json). */
export interface PackageBuildManifest {
  flavour: 'package';
  program: string;
  args: string[];
  attachTimeout: number;
  /** Library file names under lib/ (the dynamic loader among them), empty for a static program. */
  libs: string[];
  /** The dynamic loader's file name under lib/, when the program is dynamic. */
  interpreter?: string;
  packages: Record<string, string>;
  detail: string;
}

export interface PackageBuild {
  dir: string;
  manifest: PackageBuildManifest;
}

export async function readPackageSpec(sourceDir: string): Promise<{ spec: PackageAgentSpec; text: string }> {
  const file = join(sourceDir, PACKAGE_DESCRIPTOR);
  const text = await readFile(file, 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError('EBPF_PACKAGE_INVALID', `${file} is not JSON: ${(e as Error).message}`, { file });
  }
  const r = packageAgentSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new ConfigError('EBPF_PACKAGE_INVALID', `${file}: ${i.path.join('.') || '(root)'}: ${i.message}`, { file, field: i.path.join('.') });
  }
  return { spec: r.data, text };
}

/** The cache key of a package agent: its descriptor and the exact package versions apt would fetch. */
export async function packageBuildKey(spec: PackageAgentSpec, text: string, signal?: AbortSignal): Promise<{ key: string; versions: Record<string, string> }> {
  const versions: Record<string, string> = {};
  for (const p of spec.packages) {
    const [name, pinned] = p.split('=') as [string, string | undefined];
    versions[name] = pinned ?? (await candidateVersion(name, signal));
  }
  const key = createHash('sha256').update(text).update(JSON.stringify(versions)).digest('hex').slice(0, 12);
  return { key, versions };
}

export async function cachedPackageBuild(outDir: string): Promise<PackageBuild | undefined> {
  const text = await readFile(join(outDir, 'build.json'), 'utf8').catch(() => undefined);
  if (!text) return undefined;
  try {
    const manifest = JSON.parse(text) as PackageBuildManifest;
    if (manifest.flavour !== 'package') return undefined;
    await stat(join(outDir, 'bin', manifest.program));
    for (const l of manifest.libs) await stat(join(outDir, 'lib', l));
    return { dir: outDir, manifest: { ...manifest, detail: `${manifest.detail} (cached)` } };
  } catch {
    return undefined;
  }
}

/** Download, unpack, and stage bin/<program> + lib/<closure> + build.json into outDir. */
export async function stagePackageAgent(o: {
  spec: PackageAgentSpec;
  versions: Record<string, string>;
  outDir: string;
  sourceDir: string;
  signal?: AbortSignal;
}): Promise<PackageBuild> {
  const { spec, outDir, signal } = o;
  const work = await mkdtemp(join(tmpdir(), 'bootgate-ebpf-pkg-'));
  await mkdir(dirname(outDir), { recursive: true });
  const out = await mkdtemp(`${outDir}.tmp-`);
  try {
    const pins = spec.packages.map((p) => {
      const name = p.split('=')[0]!;
      return `${name}=${o.versions[name]}`;
    });
    const debs = await aptDownload(pins, join(work, 'debs'), signal);
    const root = join(work, 'root');
    for (const d of debs) await debExtract(d, root, signal);
    const programPath = join(root, spec.program);
    const facts = await readElfFacts(programPath).catch(() => undefined);
    if (!facts) {
      throw new ConfigError('EBPF_PACKAGE_PROGRAM', `${spec.program} is not an ELF file in ${spec.packages[0]} (from ${join(o.sourceDir, PACKAGE_DESCRIPTOR)})`, {
        file: join(o.sourceDir, PACKAGE_DESCRIPTOR),
        field: 'program',
      });
    }
    if (facts.machine !== EM_X86_64) throw new ConfigError('EBPF_PACKAGE_PROGRAM', `${spec.program} is not an x86-64 program`, { field: 'program' });
    const program = basename(spec.program);
    await mkdir(join(out, 'bin'), { recursive: true });
    await mkdir(join(out, 'lib'), { recursive: true });
    await copyFile(programPath, join(out, 'bin', program));
    await chmod(join(out, 'bin', program), 0o755);
    const libs: string[] = [];
    let interpreter: string | undefined;
    if (facts.dynamic) {
      for (const rel of await sharedLibClosure(root, [spec.program], signal)) {
        await copyFile(join(root, rel), join(out, 'lib', basename(rel)));
        libs.push(basename(rel));
      }
      interpreter = 'ld-linux-x86-64.so.2';
      const ld = ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu', 'lib64'].map((d) => join(root, d, interpreter!));
      let copied = false;
      for (const p of ld) {
        if (await stat(p).catch(() => undefined)) {
          await copyFile(p, join(out, 'lib', interpreter));
          copied = true;
          break;
        }
      }
      if (!copied) throw new ConfigError('EBPF_PACKAGE_LIBS', `${interpreter} is not in the packages ${spec.packages.join(', ')}: add libc6`, { field: 'packages' });
      if (!libs.includes(interpreter)) libs.push(interpreter);
      for (const l of libs) await chmod(join(out, 'lib', l), 0o755);
    }
    const pkgLine = Object.entries(o.versions)
      .map(([n, v]) => `${n} ${v}`)
      .join(', ');
    const manifest: PackageBuildManifest = {
      flavour: 'package',
      program,
      args: spec.args,
      attachTimeout: spec.attachTimeout,
      libs,
      interpreter,
      packages: o.versions,
      detail: `Debian package: ${program} from ${pkgLine}; ${facts.dynamic ? `dynamic, shipped with ${libs.join(' ')}` : 'static'}`,
    };
    await writeFile(join(out, 'build.json'), JSON.stringify(manifest, null, 2) + '\n');
    await rm(outDir, { recursive: true, force: true });
    await rename(out, outDir);
    return { dir: outDir, manifest };
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(out, { recursive: true, force: true });
  }
}
