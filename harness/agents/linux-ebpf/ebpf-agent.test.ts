import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecOpts, ExecResult, GuestTransport, UploadOpts } from '../../guest/transport.js';
import { AgentInstallError } from '../agent.js';
import { ConfigError } from '../../util/errors.js';
import { EM_BPF, EM_X86_64, readElfFacts } from './build.js';
import {
  bootScript,
  EbpfAgent,
  ebpfGuestPaths,
  loaderCommand,
  packageBootScript,
  packageHealthScript,
  packageRunScript,
  packageUnit,
  systemdUnit,
} from './ebpf-agent.js';
import { packageAgentSchema, readPackageSpec, type PackageBuildManifest } from './package.js';

/** Records what an install does; answers every command with `code`. */
class FakeGuest implements GuestTransport {
  cmds: string[] = [];
  files = new Map<string, { from?: string; data?: string; mode?: number }>();
  constructor(private readonly answer: (cmd: string) => ExecResult = () => ({ code: 0, stdout: '', stderr: '' })) {}
  async exec(cmd: string, _o?: ExecOpts): Promise<ExecResult> {
    this.cmds.push(cmd);
    return this.answer(cmd);
  }
  async upload(localPath: string, remotePath: string, o?: UploadOpts): Promise<void> {
    this.files.set(remotePath, { from: localPath, mode: o?.mode });
  }
  async uploadData(data: Buffer | string, remotePath: string, o?: UploadOpts): Promise<void> {
    this.files.set(remotePath, { data: String(data), mode: o?.mode });
  }
  async close(): Promise<void> {}
}

const content = { version: '290', path: '/src/channel-290.txt', sha256: 'x' };
const p = ebpfGuestPaths('sensor-ebpf');
const pkg: PackageBuildManifest = {
  flavour: 'package',
  program: 'execsnoop',
  args: ['-T'],
  attachTimeout: 30,
  libs: ['libelf.so.1', 'libz.so.1', 'libc.so.6', 'ld-linux-x86-64.so.2'],
  interpreter: 'ld-linux-x86-64.so.2',
  packages: { 'libbpf-tools': '0.26.0+ds-1', libelf1: '0.188-2.1' },
  detail: '',
};

let scratch = '';
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'bootgate-ebpf-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** `sh -n`: the generated scripts at least parse. */
function shellParses(text: string): void {
  execFileSync('sh', ['-n'], { input: text });
}

describe('guest paths and commands', () => {
  it('puts every part where the initramfs keeps it across reboots (/opt, /var/lib, /etc/bootgate) or loses it (bpffs, /run)', () => {
    expect(p).toMatchObject({
      dir: '/opt/sensor-ebpf',
      content: '/var/lib/sensor-ebpf/channel.txt',
      pinDir: '/sys/fs/bpf/sensor-ebpf',
      stateDir: '/run/sensor-ebpf',
      bootScript: '/etc/bootgate/boot.d/50-sensor-ebpf',
      unit: '/etc/systemd/system/sensor-ebpf.service',
      unitLink: '/etc/systemd/system/multi-user.target.wants/sensor-ebpf.service',
    });
    expect(loaderCommand(p, 'sensor-ebpf', 'load')).toBe(
      '/opt/sensor-ebpf/sensor-ebpf load -c /var/lib/sensor-ebpf/channel.txt -p /sys/fs/bpf/sensor-ebpf -s /run/sensor-ebpf',
    );
    expect(loaderCommand(p, 'sensor-ebpf', 'status')).toBe('/opt/sensor-ebpf/sensor-ebpf status -p /sys/fs/bpf/sensor-ebpf -s /run/sensor-ebpf');
  });

  it('boot script: mounts bpffs, runs the loader, marks a failed load on the console, never fails the boot', () => {
    const s = bootScript('sensor-ebpf', p, 'sensor-ebpf');
    shellParses(s);
    expect(s.startsWith('#!/bin/sh\n')).toBe(true);
    expect(s).toContain('mount -t bpf bpf /sys/fs/bpf');
    expect(s).toContain(`${loaderCommand(p, 'sensor-ebpf', 'load')} || echo "bootgate-agent-load-failed agent=sensor-ebpf status=$?"`);
    expect(s.trimEnd().endsWith('exit 0')).toBe(true);
  });

  it('systemd unit: a oneshot before the ready marker, output on the console, enabled for multi-user', () => {
    const u = systemdUnit('sensor-ebpf', p, 'sensor-ebpf');
    expect(u).toMatch(/^Type=oneshot$/m);
    expect(u).toMatch(/^RemainAfterExit=yes$/m);
    expect(u).toMatch(/^Before=bootgate-ready\.service$/m);
    expect(u).toContain(`ExecStart=${loaderCommand(p, 'sensor-ebpf', 'load')}`);
    expect(u).toMatch(/^StandardOutput=journal\+console$/m);
    expect(u).toMatch(/^WantedBy=multi-user\.target$/m);
  });

  it('package scripts: run through the shipped loader, health checks BPF fds, boot waits for attach', () => {
    const q = ebpfGuestPaths('execsnoop');
    const run = packageRunScript('execsnoop', q, pkg);
    shellParses(run);
    expect(run).toContain('exec /opt/execsnoop/lib/ld-linux-x86-64.so.2 --library-path /opt/execsnoop/lib /opt/execsnoop/bin/execsnoop -T');
    expect(run).toContain('echo $$ > /run/execsnoop/pid');
    expect(packageRunScript('execsnoop', q, { ...pkg, interpreter: undefined, libs: [] })).toContain('exec /opt/execsnoop/bin/execsnoop -T');
    const health = packageHealthScript(q, pkg);
    shellParses(health);
    expect(health).toContain("anon_inode:bpf-prog");
    expect(health).toContain('execsnoop (libbpf-tools 0.26.0+ds-1) running');
    const boot = packageBootScript('execsnoop', q, pkg);
    shellParses(boot);
    expect(boot).toContain('mount -t tracefs nodev /sys/kernel/tracing');
    expect(boot).toContain('setsid /opt/execsnoop/run > /var/log/execsnoop.log 2>&1 < /dev/null &');
    expect(boot).toContain('while [ $i -lt 150 ]');
    expect(packageUnit('execsnoop', q, pkg)).toMatch(/^ExecStart=\/opt\/execsnoop\/run$/m);
  });
});

describe('EbpfAgent', () => {
  const build = { version: '2.1.0', files: { loader: '/cache/sensor-ebpf', 'object:sensor.bpf.o': '/cache/sensor.bpf.o' } };

  it('installs loader, object, content, health, boot script and unit; starts nothing', async () => {
    const g = new FakeGuest();
    await new EbpfAgent({ name: 'sensor-ebpf', cacheDir: scratch }).install(g, build, content);
    expect(g.files.get('/opt/sensor-ebpf/sensor-ebpf')).toEqual({ from: '/cache/sensor-ebpf', mode: 0o755 });
    expect(g.files.get('/opt/sensor-ebpf/sensor.bpf.o')).toEqual({ from: '/cache/sensor.bpf.o', mode: 0o644 });
    expect(g.files.get('/var/lib/sensor-ebpf/channel.txt')).toEqual({ from: '/src/channel-290.txt', mode: 0o644 });
    expect(g.files.get('/etc/bootgate/boot.d/50-sensor-ebpf')?.mode).toBe(0o755);
    expect(g.files.get('/opt/sensor-ebpf/health')?.data).toContain('exec /opt/sensor-ebpf/sensor-ebpf status');
    expect(g.files.get('/etc/systemd/system/sensor-ebpf.service')?.mode).toBe(0o644);
    expect(g.cmds).toContain('/opt/sensor-ebpf/sensor-ebpf version');
    expect(g.cmds.at(-1)).toBe('ln -sf /etc/systemd/system/sensor-ebpf.service /etc/systemd/system/multi-user.target.wants/sensor-ebpf.service && sync');
    expect(g.cmds.some((c) => / load /.test(c))).toBe(false); // the guest's boot loads it, not the harness
  });

  it('fails the install when the loader cannot run on the guest userland', async () => {
    const g = new FakeGuest((cmd) => (cmd.endsWith(' version') ? { code: 127, stdout: '', stderr: 'not found' } : { code: 0, stdout: '', stderr: '' }));
    await expect(new EbpfAgent({ name: 'sensor-ebpf', cacheDir: scratch }).install(g, build, content)).rejects.toBeInstanceOf(AgentInstallError);
  });

  it('health: exit 0 is healthy; otherwise the output (the refusal) is kept', async () => {
    const refused = 'sensor-ebpf: refused content 291: verifier rejected the program\nsensor-ebpf: verifier: invalid access to map value, value_size=2720 off=2728 size=9\n';
    const bad = new FakeGuest(() => ({ code: 1, stdout: refused, stderr: '' }));
    const a = new EbpfAgent({ name: 'sensor-ebpf', cacheDir: scratch });
    expect(await a.health(bad)).toEqual({ ok: false, output: refused.trim() });
    expect(bad.cmds).toEqual(['/opt/sensor-ebpf/health']);
    const good = new FakeGuest(() => ({ code: 0, stdout: 'version 2.1.0\ncontent_version 290\n', stderr: '' }));
    expect((await a.health(good)).ok).toBe(true);
    const custom = new FakeGuest();
    await new EbpfAgent({ name: 'sensor-ebpf', health: 'true', cacheDir: scratch }).health(custom);
    expect(custom.cmds).toEqual(['true']);
  });

  it('uninstall stops the agent and removes every installed file', async () => {
    const g = new FakeGuest();
    await new EbpfAgent({ name: 'sensor-ebpf', cacheDir: scratch }).uninstall(g);
    expect(g.cmds[0]).toContain('/opt/sensor-ebpf/stop');
    for (const f of [p.dir, p.bootScript, p.unit, p.unitLink, '/var/lib/sensor-ebpf']) expect(g.cmds[0]).toContain(f);
  });

  it('a source with neither a Makefile nor a package descriptor is a configuration error', async () => {
    const a = new EbpfAgent({ name: 'x', cacheDir: scratch });
    await expect(a.prepare({ version: '1', source: scratch, guest: { os: 'linux' } })).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('package descriptor', () => {
  it('accepts the libbpf-tools example and rejects shell in arguments', async () => {
    const { spec } = await readPackageSpec(join(import.meta.dirname, '../../../examples/agents/libbpf-tools-execsnoop'));
    expect(spec).toMatchObject({ packages: ['libbpf-tools', 'libelf1', 'zlib1g', 'libc6'], program: 'usr/sbin/execsnoop', args: ['-T'] });
    expect(packageAgentSchema.safeParse({ packages: ['libbpf-tools'], program: 'usr/sbin/execsnoop', args: ['-T; reboot'] }).success).toBe(false);
    expect(packageAgentSchema.safeParse({ packages: ['libbpf-tools'], program: '../../etc/passwd' }).success).toBe(false);
    const dir = join(scratch, 'bad');
    await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
    await writeFile(join(dir, 'debian-package.json'), '{"packages": [], "program": "usr/sbin/x"}');
    await expect(readPackageSpec(dir)).rejects.toThrow(/packages/);
  });
});

describe('readElfFacts', () => {
  it('tells a dynamic x86-64 program from other files', async () => {
    const sh = await readElfFacts('/bin/sh');
    expect(sh?.machine).toBe(EM_X86_64);
    expect(sh?.dynamic).toBe(true);
    const txt = join(scratch, 'x.txt');
    await writeFile(txt, 'not an ELF file at all, but long enough to read a header from, surely more than 64 bytes');
    expect(await readElfFacts(txt)).toBeUndefined();
    expect(EM_BPF).toBe(247);
  });
});
