import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildEbpf, cachedEbpfBuild, checkEbpfToolchain, EM_BPF, EM_X86_64, readElfFacts } from './build.js';
import { classifyVerifierLog } from './verifier-refusal.js';

const ROOT = join(import.meta.dirname, '../../..');
const SOURCE = join(ROOT, 'examples/agents/sensor-ebpf');
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('buildEbpf, for real: clang, bpftool, static libbpf', () => {
  it('builds sensor-ebpf into one static loader and two BPF objects (the compat one without bpf_strncmp), cached after', async () => {
    await checkEbpfToolchain();
    const cache = await mkdtemp(join(tmpdir(), 'bootgate-ebpf-build-'));
    dirs.push(cache);
    const out = join(cache, 'sensor-ebpf');
    const b = await buildEbpf({ sourceDir: SOURCE, outDir: out });
    expect(basename(b.loader)).toBe('sensor-ebpf');
    expect(b.objects.map((o) => basename(o))).toEqual(['sensor-compat.bpf.o', 'sensor.bpf.o']);
    expect(await readElfFacts(b.loader)).toMatchObject({ machine: EM_X86_64, dynamic: false });
    for (const o of b.objects) expect((await readElfFacts(o))?.machine).toBe(EM_BPF);
    // The compat object calls no bpf_strncmp (a BPF call instruction, opcode 0x85, of helper 182); the full one does.
    const strncmpCall = Buffer.from([0x85, 0, 0, 0, 182, 0, 0, 0]);
    expect(readFileSync(b.objects[1]!).includes(strncmpCall)).toBe(true);
    expect(readFileSync(b.objects[0]!).includes(strncmpCall)).toBe(false);
    // CO-RE: BTF and its relocation records are in the object, DWARF is not.
    const sections = execFileSync('readelf', ['-S', '-W', b.objects[1]!], { encoding: 'utf8' });
    expect(sections).toMatch(/\s\.BTF\s/);
    expect(sections).toMatch(/\s\.BTF\.ext\s/);
    expect(sections).not.toMatch(/\.debug_info/);
    expect(execFileSync(b.loader, ['version'], { encoding: 'utf8' })).toMatch(/^sensor-ebpf 2\.1\.0 \(libbpf v1\.\d+\)/);
    expect(b.detail).toMatch(/^CO-RE build for every kernel: sensor-ebpf \(static/);
    expect((await cachedEbpfBuild(out))?.loader).toBe(b.loader);
    expect(existsSync(`${out}.tmp`)).toBe(false);
  });

  it("the loader's parser refuses content it cannot read, without any kernel", async () => {
    const cache = await mkdtemp(join(tmpdir(), 'bootgate-ebpf-build-'));
    dirs.push(cache);
    const b = (await cachedEbpfBuild(join(cache, 'x'))) ?? (await buildEbpf({ sourceDir: SOURCE, outDir: join(cache, 'x') }));
    const full = b.objects.find((o) => basename(o) === 'sensor.bpf.o')!;
    const r = spawnSync(b.loader, ['check', '-c', join(cache, 'missing.txt'), '-o', full], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^sensor-ebpf: refused content .*missing\.txt: cannot read content/m);

    // Where this host lets us load BPF (root, BTF), the verifier's verdict on the two contents.
    const good = spawnSync(b.loader, ['check', '-c', join(ROOT, 'examples/content/channel-290.txt'), '-o', full], { encoding: 'utf8' });
    if (good.status !== 0) {
      console.log(`host cannot load BPF programs, skipping the verifier check: ${good.stdout.trim().split('\n').at(-1)}`);
      return;
    }
    expect(good.stdout).toMatch(/content 290 verified: 9 rules accepted by the verifier/);
    const bad = spawnSync(b.loader, ['check', '-c', join(ROOT, 'examples/content/channel-291.txt'), '-o', full], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/^sensor-ebpf: verifier: invalid access to map value, value_size=2720 off=\d+ size=\d+$/m);
    expect(bad.stdout).toMatch(/^sensor-ebpf: refused content 291: verifier rejected the program$/m);
    expect(bad.stdout).toMatch(/input 21 of the 20 the interpreter supplies \(rules on field 21: ipc-pipe\)/);
  });

  it("the loader's `explain` tells a missing helper from the content, as the harness's classifier does, on real verifier logs", async () => {
    const cache = await mkdtemp(join(tmpdir(), 'bootgate-ebpf-build-'));
    dirs.push(cache);
    const b = (await cachedEbpfBuild(join(cache, 'x'))) ?? (await buildEbpf({ sourceDir: SOURCE, outDir: join(cache, 'x') }));
    const dir = join(ROOT, 'test/fixtures/verifier');
    const logs = readdirSync(dir).filter((f) => f.endsWith('.log'));
    expect(logs.length).toBeGreaterThanOrEqual(3);
    for (const f of logs) {
      const r = spawnSync(b.loader, ['explain', join(dir, f)], { encoding: 'utf8' });
      expect(r.status, f).toBe(0);
      const ts = classifyVerifierLog(readFileSync(join(dir, f), 'utf8'))!;
      expect(r.stdout, f).toMatch(new RegExp(`^${ts.kind}: `));
      expect(r.stdout, f).toMatch(f.includes('missing-helper') ? /^missing-helper: invalid func unknown#182: the helper bpf_strncmp#182 is missing \(it came in Linux 5\.17\)$/m : /^content: R1 min value is outside of the allowed memory range$/m);
    }
    expect(spawnSync(b.loader, ['explain', join(dir, 'no-such.log')], { encoding: 'utf8' }).status).toBe(2);
  });
});
