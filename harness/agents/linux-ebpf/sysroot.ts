import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freshAptState } from '../../images/apt-state.js';
import { aptDownload, candidateVersion, debExtract } from '../../images/debs.js';
import { EM_AARCH64, type EbpfCross } from './build.js';

/**
 * The arm64 libraries an eBPF loader is statically linked against, unpacked from Debian 12's
 * arm64 packages (the lab's own apt state) into a sysroot: the host needs no multiarch set-up,
 * only Debian's cross compiler. Kept under `<cache>/sysroots/<suite>-<arch>-<versions>` and shared.
 */
export const SYSROOT_PACKAGES = ['libc6', 'libc6-dev', 'linux-libc-dev', 'libbpf-dev', 'libelf-dev', 'zlib1g-dev'];
const COMPLETE = '.bootgate-complete';

/** The sysroot for arch from Debian 12 (bookworm), made once per set of package versions; returns its folder. */
export async function ensureSysroot(cacheDir: string, arch: 'arm64', signal?: AbortSignal): Promise<string> {
  const apt = await freshAptState(cacheDir, 'bookworm', arch, signal);
  const pins: string[] = [];
  for (const p of SYSROOT_PACKAGES) pins.push(`${p}=${await candidateVersion(p, signal, apt)}`);
  // Versions in the folder name: a point release makes a new sysroot, never a mix of two.
  const key = createHash('sha256').update(pins.join('\n')).digest('hex').slice(0, 12);
  const dir = join(cacheDir, 'sysroots', `bookworm-${arch}-${key}`);
  if ((await readFile(join(dir, COMPLETE), 'utf8').catch(() => '')) === pins.join('\n')) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    for (const deb of await aptDownload(pins, join(tmp, 'debs'), signal, apt, join(cacheDir, 'debs'))) await debExtract(deb, join(tmp, 'root'), signal);
    await rm(join(tmp, 'debs'), { recursive: true, force: true });
    await writeFile(join(tmp, 'root', COMPLETE), pins.join('\n'));
    await rm(dir, { recursive: true, force: true });
    await rename(join(tmp, 'root'), dir);
    return dir;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** How an eBPF agent is built for arm64 here: arm64's BPF register layout, gcc-aarch64-linux-gnu, the arm64 sysroot. */
export async function arm64Cross(cacheDir: string, signal?: AbortSignal): Promise<EbpfCross> {
  return { bpfArch: 'arm64', cc: 'aarch64-linux-gnu-gcc', sysroot: await ensureSysroot(cacheDir, 'arm64', signal), machine: EM_AARCH64 };
}
