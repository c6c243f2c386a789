import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import { ConfigError, LabError, throwIfAborted } from '../../util/errors.js';
import { execCapture, type ExecResult } from '../../util/exec.js';
import { pathExists } from '../../util/fsutil.js';
import { crossCompilerPackage } from './cross-build.js';
import { checkVermagic, readModinfo } from './modinfo.js';

/**
 * Build an out-of-tree kernel module (an agent) against a kernel build dir such as the one
 * fetchKernelHeaders returns, in a scratch copy of its source, and check that the result is
 * loadable by that kernel (vermagic) before handing it out.
 */

export interface BuildKmodOptions {
  /** Module source: a directory with a Kbuild (or Makefile with obj-m). Never written to. */
  sourceDir: string;
  /** `uname -r` of the target kernel; the module's vermagic must name it. */
  kernelRelease: string;
  /** Kernel build dir (`make -C` target), e.g. from fetchKernelHeaders. */
  headersDir: string;
  /** Where the .ko is copied. */
  outDir: string;
  /** Which module to return when the source builds several (file name without .ko). */
  moduleName?: string;
  /**
   * Variables for the module's own Kbuild, passed on make's command line as VAR=value (so they
   * reach kbuild's sub-makes): build-time variants of one source, e.g. `{ SENSOR_VERSION: "2.2.0-slow" }`.
   * Names are make identifiers and may not be kbuild's own (M, O, ARCH, CC, KBUILD_*...); values are
   * one word of plain characters, since a Kbuild usually pastes them into compiler flags.
   */
  makeVars?: Record<string, string>;
  /**
   * Where make runs: on the host (default), or in a build environment of the kernel's own Debian
   * suite (kbuild-container.ts), whose kbuild binaries and compiler the host cannot run or lacks.
   */
  runMake?: MakeRunner;
  /** Cross-compile for another architecture: kbuild's ARCH and the compiler prefix (Debian's cross compiler, e.g. aarch64-linux-gnu-). */
  cross?: { arch: string; prefix: string };
  signal?: AbortSignal;
}

/** Runs `make args` for a module build whose scratch folder is `scratch`, with the compiler `cc` the kernel names. */
export type MakeRunner = (args: string[], o: { scratch: string; cc: string; env: NodeJS.ProcessEnv; signal?: AbortSignal }) => Promise<ExecResult>;

const hostMake: MakeRunner = (args, o) => execCapture('make', args, { env: o.env, signal: o.signal });

export interface BuildKmodResult {
  koPath: string;
  vermagic: string;
  /** Compiler and modpost warnings, paths as in sourceDir. Empty for a clean build. */
  warnings: string[];
  durationMs: number;
}

/** Files a previous in-place build leaves in a source dir; never copied into the scratch build. */
export function isBuildArtifact(name: string): boolean {
  return (
    /\.(o|ko|mod|a|dwo|order|symvers|cmd)$/.test(name) ||
    name.endsWith('.mod.c') ||
    name === '.tmp_versions' ||
    name === '.cache.mk' ||
    name === '.git'
  );
}

/** The compiler the kernel was built with, from Debian's `.kernelvariables` (`CC = ... $(CROSS_COMPILE)gcc-12`). */
export function kernelCompiler(kernelvariables: string | undefined): string {
  const m = kernelvariables ? /^CC\s*[:?]?=(.*)$/m.exec(kernelvariables) : null;
  const last = m?.[1]!.trim().split(/\s+/).pop() ?? '';
  const cc = last.replace(/\$\([^)]*\)/g, '');
  return /^[A-Za-z0-9_.+-]+$/.test(cc) ? cc : 'gcc';
}

export interface BuildDiagnostics {
  errors: string[];
  warnings: string[];
}

/** Compiler, linker and modpost messages from a kbuild run, scratch paths mapped back to the source dir. */
export function summarizeBuildOutput(output: string, scratchDir?: string, sourceDir?: string): BuildDiagnostics {
  const text = scratchDir && sourceDir ? output.split(`${scratchDir}/`).join(`${sourceDir}/`) : output;
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (/\b(fatal )?error:/.test(line) || /^ERROR:/.test(line) || /undefined reference to|\bundefined!$/.test(line)) errors.push(line.trim());
    else if (/\bwarning:/.test(line) || /^WARNING:/.test(line)) warnings.push(line.trim());
  }
  return { errors, warnings };
}

/** Host tools kbuild calls by name, and the Debian package that brings each. */
const KBUILD_TOOLS: Record<string, string> = { pahole: 'dwarves', bc: 'bc', flex: 'flex', bison: 'bison', perl: 'perl', gcc: 'gcc' };

function makeFailureMessage(output: string, diag: BuildDiagnostics): string {
  // "sh: 1: pahole: not found" is a host tool missing, not a fault of the module's source.
  const missing = /(?:^|\s)(\S+): not found/m.exec(output)?.[1];
  if (missing) return `the host lacks ${missing}, which kbuild needs${KBUILD_TOOLS[missing] ? ` (install Debian package ${KBUILD_TOOLS[missing]}; see \`bootgate doctor\`)` : ''}`;
  if (diag.errors.length > 0) return diag.errors.slice(0, 12).join('\n');
  const makeErrors = output.split('\n').filter((l) => /\*\*\*/.test(l));
  const tail = output.trim().split('\n').slice(-12);
  return (makeErrors.length > 0 ? makeErrors : tail).join('\n');
}

async function findKos(dir: string): Promise<string[]> {
  const order = await readFile(join(dir, 'modules.order'), 'utf8').catch(() => '');
  const listed = order
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => (l.endsWith('.o') ? `${l.slice(0, -2)}.ko` : l))
    .map((l) => (isAbsolute(l) ? l : join(dir, l)));
  const found: string[] = [];
  for (const ko of listed) if (await pathExists(ko)) found.push(ko);
  if (found.length > 0) return found;
  const all = await readdir(dir, { recursive: true });
  return all.filter((f) => f.endsWith('.ko')).map((f) => join(dir, f));
}

/** Environment for make: the caller's, minus what would redirect or reconfigure kbuild. */
function buildEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  for (const k of ['ARCH', 'CROSS_COMPILE', 'KBUILD_OUTPUT', 'KBUILD_EXTMOD', 'O', 'M', 'MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'DEBIAN_KERNEL_USE_CCACHE']) {
    delete env[k];
  }
  return env;
}

/** Make variables kbuild itself reads: a module's build may not set them. */
const KBUILD_OWN_VARS = new Set(['M', 'O', 'C', 'V', 'W', 'ARCH', 'SRCARCH', 'CROSS_COMPILE', 'CC', 'LD', 'AR', 'NM', 'OBJCOPY', 'HOSTCC', 'LLVM', 'KDIR', 'MAKEFLAGS', 'MFLAGS', 'MAKE', 'SHELL', 'INSTALL_MOD_PATH', 'src', 'obj']);

/** VAR=value arguments for make, checked: a bad name or value is a ConfigError naming it. */
export function makeVarArgs(vars: Record<string, string> | undefined, sourceDir: string): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(vars ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) {
      throw new ConfigError('KMOD_MAKE_VAR', `make variable name ${JSON.stringify(k)} is not a make identifier (letters, digits, _)`, { file: sourceDir, field: `make.${k}` });
    }
    if (KBUILD_OWN_VARS.has(k) || k.startsWith('KBUILD_') || k.startsWith('CONFIG_')) {
      throw new ConfigError('KMOD_MAKE_VAR', `make variable ${k} belongs to kbuild itself and cannot be set per build`, { file: sourceDir, field: `make.${k}` });
    }
    if (!/^[A-Za-z0-9._+~:,=@%/-]*$/.test(v)) {
      throw new ConfigError('KMOD_MAKE_VAR', `make variable ${k}=${JSON.stringify(v)}: values are one word of letters, digits and . _ + ~ : , = @ % / - (no spaces, quotes or shell characters)`, {
        file: sourceDir,
        field: `make.${k}`,
      });
    }
    out.push(`${k}=${v}`);
  }
  return out;
}

export async function buildKmod(opts: BuildKmodOptions): Promise<BuildKmodResult> {
  const { sourceDir, kernelRelease, headersDir, outDir, signal } = opts;
  const started = Date.now();
  const makeVars = makeVarArgs(opts.makeVars, sourceDir);

  const srcStat = await stat(sourceDir).catch(() => undefined);
  if (!srcStat?.isDirectory()) {
    throw new ConfigError('KMOD_SOURCE_MISSING', `module source directory ${sourceDir} does not exist`, { file: sourceDir });
  }
  if (!(await pathExists(join(sourceDir, 'Kbuild'))) && !(await pathExists(join(sourceDir, 'Makefile')))) {
    throw new ConfigError('KMOD_SOURCE_INVALID', `${sourceDir} has neither a Kbuild nor a Makefile declaring obj-m`, { file: sourceDir });
  }
  if (!(await pathExists(join(headersDir, 'Makefile')))) {
    throw new ConfigError('KERNEL_HEADERS_MISSING', `${headersDir} is not a kernel build directory (no Makefile); fetch the headers of ${kernelRelease} first`, {
      file: headersDir,
    });
  }
  const uts = await readFile(join(headersDir, 'include/generated/utsrelease.h'), 'utf8').catch(() => '');
  const headersRelease = /UTS_RELEASE\s+"([^"]*)"/.exec(uts)?.[1];
  if (headersRelease && headersRelease !== kernelRelease) {
    throw new ConfigError('KERNEL_HEADERS_MISMATCH', `${headersDir} holds the headers of ${headersRelease}, not of ${kernelRelease}`, { file: headersDir });
  }

  // The kernel's own compiler must be on the host (a build environment brings its own): a module
  // built with another one may not load.
  const cc = `${opts.cross?.prefix ?? ''}${kernelCompiler(await readFile(join(headersDir, '.kernelvariables'), 'utf8').catch(() => undefined))}`;
  try {
    if (!opts.runMake) await execCapture(cc, ['--version'], { signal });
  } catch (e) {
    if ((e as { code?: string }).code === 'HOST_TOOL_MISSING') {
      const pkg = opts.cross ? crossCompilerPackage(cc, opts.cross.prefix) : cc;
      throw new LabError('HOST_TOOL_MISSING', `${cc}, the compiler kernel ${kernelRelease} was built with, is not installed on this host (apt-get install ${pkg})`, {
        cause: e,
      });
    }
    throw e;
  }

  throwIfAborted(signal);
  const scratch = await mkdtemp(join(tmpdir(), 'bootgate-kmod-'));
  const src = join(scratch, 'src');
  try {
    await cp(sourceDir, src, { recursive: true, filter: (p) => p === sourceDir || !isBuildArtifact(basename(p)) });
    const jobs = Math.max(1, availableParallelism());
    const crossArgs = opts.cross ? [`ARCH=${opts.cross.arch}`, `CROSS_COMPILE=${opts.cross.prefix}`] : [];
    const r = await (opts.runMake ?? hostMake)(['-C', headersDir, `M=${src}`, `-j${jobs}`, ...crossArgs, 'modules', ...makeVars], { scratch, cc, env: buildEnv(), signal });
    const output = `${r.stdout}\n${r.stderr}`;
    const diag = summarizeBuildOutput(output, src, sourceDir);
    if (r.code !== 0) {
      const why = makeFailureMessage(output.split(`${src}/`).join(`${sourceDir}/`), diag);
      const what = `building the module in ${sourceDir}${makeVars.length ? ` with ${makeVars.join(' ')}` : ''} against ${kernelRelease} failed (make exited ${r.code}):\n${why}`;
      if (why.startsWith('the host lacks')) throw new LabError('HOST_TOOL_MISSING', what);
      throw new ConfigError('KMOD_BUILD_FAILED', what, { file: sourceDir });
    }

    const kos = await findKos(src);
    let ko: string | undefined;
    if (opts.moduleName) ko = kos.find((k) => basename(k) === `${opts.moduleName}.ko`);
    else if (kos.length === 1) ko = kos[0];
    if (!ko) {
      const names = kos.map((k) => basename(k)).join(', ') || 'none';
      throw new ConfigError(
        kos.length > 1 ? 'KMOD_AMBIGUOUS' : 'KMOD_NOT_BUILT',
        opts.moduleName
          ? `the build of ${sourceDir} did not produce ${opts.moduleName}.ko (built: ${names})`
          : kos.length > 1
            ? `the build of ${sourceDir} produced several modules (${names}): name the agent's module`
            : `the build of ${sourceDir} succeeded but produced no .ko (is obj-m set in its Kbuild?)`,
        { file: sourceDir },
      );
    }

    let vermagicValue: string | undefined;
    try {
      vermagicValue = readModinfo(await readFile(ko)).vermagic?.[0];
    } catch (e) {
      throw new ConfigError('KMOD_INVALID', `${basename(ko)} built from ${sourceDir} is not a readable kernel module: ${(e as Error).message}`, {
        file: sourceDir,
      });
    }
    const vermagic = checkVermagic(vermagicValue, kernelRelease, basename(ko));

    await mkdir(outDir, { recursive: true });
    const koPath = join(outDir, basename(ko));
    await copyFile(ko, koPath);
    return { koPath, vermagic, warnings: diag.warnings, durationMs: Date.now() - started };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
