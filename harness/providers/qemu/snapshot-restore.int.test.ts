import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootSchema } from '../../config/suite-schema.js';
import { ensureLabKey, type LabKey } from '../../guest/lab-keys.js';
import { waitForSsh, type SshTransport } from '../../guest/ssh-transport.js';
import { ImageCatalog, type BuiltImage } from '../../images/catalog.js';
import { bootSourceOf, kernelArgsOf } from '../../run/cell-vm.js';
import { ReadyMarkerScanner, type ReadyMarker } from '../../run/ready-marker.js';
import { cacheRoot, projectRoot } from '../../util/paths.js';
import type { Machine, MachineSpec } from '../provider.js';
import { QemuProvider } from './qemu-provider.js';
import { restoreKeyOf, saveMachineState, startFromState, type SavedState } from './snapshot-restore.js';

// One real guest (debian-6.1-generic) booted once and saved; two machines started from that state
// at once; one of them rebooted. What a runner would rely on: SSH answers at once, the guest is the
// saved boot going on (same boot id, uptime goes on), copies do not share a disk or random numbers,
// and a reboot inside a restored machine is a new boot with a boot id of its own.
const provider = new QemuProvider();
let dir = '';
let image: BuiltImage;
let key: LabKey;
let spec: (name: string, disk: string) => MachineSpec;
const machines: Machine[] = [];
const sessions: SshTransport[] = [];

const pgrepCount = (pattern: string) => spawnSync('pgrep', ['-fc', pattern], { encoding: 'utf8' }).stdout.trim();
const sha = async (f: string) => createHash('sha256').update(await readFile(f)).digest('hex');

function consoleOf(m: Machine): { text: () => string; marker: () => Promise<ReadyMarker> } {
  let text = '';
  const scanner = new ReadyMarkerScanner();
  let found: ReadyMarker | undefined;
  m.onConsole((c) => {
    text += c;
    found ??= scanner.push(c);
  });
  return {
    text: () => text,
    marker: async () => {
      for (let i = 0; i < 3000 && !found; i++) await sleep(100);
      if (!found) throw new Error(`no ready marker on the console: ${text.slice(-500)}`);
      return found;
    },
  };
}

async function connect(m: Machine): Promise<SshTransport> {
  const t = await waitForSsh({ host: m.ssh.host, port: m.ssh.port, username: 'root', privateKey: key.privateKey, hostKey: { expected: image.manifest.hostKey }, deadlineMs: 120_000, readyTimeoutMs: 20_000 });
  sessions.push(t);
  return t;
}

async function sh(t: SshTransport, cmd: string): Promise<string> {
  const r = await t.exec(cmd, { timeoutMs: 30_000 });
  expect(r.code, `${cmd}: ${r.stderr}`).toBe(0);
  return r.stdout.trim();
}

beforeAll(async () => {
  image = await new ImageCatalog(projectRoot(), cacheRoot()).ensure('debian-6.1-generic', () => undefined);
  key = await ensureLabKey(join(cacheRoot(), 'lab'));
  dir = await mkdtemp(join(tmpdir(), 'bootgate-restore-int-'));
  const boot = bootSourceOf(image, kernelArgsOf(image, bootSchema.parse({}), key.publicKey));
  const r = image.recipe.recipe;
  spec = (name, disk) => ({ name: `restore-int.${name}`, workDir: join(dir, `vm-${name}`), disk, boot, memoryMiB: r.memoryMiB, cpus: r.cpus, guestSshPort: 22, generationId: true });
});

afterAll(async () => {
  for (const t of sessions) await t.close();
  for (const m of machines) await m.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a ready guest saved once and started twice from its state (QEMU migration stream)', () => {
  let saved: SavedState;
  let savedBoot = { bootId: '', uptime: 0 };
  let diskSha = '';
  let started: { n: string; m: Machine; con: ReturnType<typeof consoleOf>; t: SshTransport }[] = [];

  it('saves a booted, ready guest: state file and frozen disk, both read-only; the source is gone', async () => {
    const s = spec('source', join(dir, 'source.qcow2'));
    await provider.createOverlay(join(image.dir, image.manifest.files.disk.path), s.disk);
    const m = await provider.start(s);
    machines.push(m);
    const con = consoleOf(m);
    const marker = await con.marker();
    const t = await connect(m);
    savedBoot = { bootId: await sh(t, 'cat /proc/sys/kernel/random/boot_id'), uptime: Number((await sh(t, 'cat /proc/uptime')).split(' ')[0]) };
    expect(savedBoot.bootId).toBe(marker.bootId);
    await sh(t, 'echo saved > /var/lib/restore-mark; sync');
    await t.close();
    await mkdir(join(dir, 'state'));
    saved = await saveMachineState(m, s, join(dir, 'state'));
    expect(m.running).toBe(false);
    expect(saved.bytes).toBeGreaterThan(1 << 20);
    expect(saved.key).toEqual(restoreKeyOf(s, m.accel));
    for (const f of [saved.stateFile, saved.disk]) expect((await stat(f)).mode & 0o222).toBe(0);
    diskSha = await sha(saved.disk);
  });

  it('starts two machines from it at once: each answers SSH as the saved boot, on a disk of its own', async () => {
    started = await Promise.all(['r1', 'r2'].map(async (n) => {
      const m = await startFromState(provider, saved, spec(n, ''), join(dir, `${n}.qcow2`));
      machines.push(m);
      const con = consoleOf(m);
      return { n, m, con, t: await connect(m) };
    }));
    const uuids: string[] = [];
    for (const { n, t } of started) {
      expect(await sh(t, 'cat /proc/sys/kernel/random/boot_id')).toBe(savedBoot.bootId);
      expect(Number((await sh(t, 'cat /proc/uptime')).split(' ')[0])).toBeGreaterThanOrEqual(savedBoot.uptime);
      expect(await sh(t, 'cat /var/lib/restore-mark')).toBe('saved');
      await sh(t, `echo ${n} > /var/lib/restore-${n}; sync`);
      uuids.push(await sh(t, 'cat /proc/sys/kernel/random/uuid'));
    }
    for (const { n, t } of started) expect(await sh(t, 'ls /var/lib | grep "^restore-r"')).toBe(`restore-${n}`);
    // The generation ID device: each copy reseeds its RNG instead of repeating the saved one's numbers.
    expect(uuids[0]).not.toBe(uuids[1]);
    // The console is the new process's: what the guest prints now arrives there.
    const { t, con } = started[0]!;
    await sh(t, 'echo restore-console-check > /dev/console');
    for (let i = 0; i < 50 && !con.text().includes('restore-console-check'); i++) await sleep(100);
    expect(con.text()).toContain('restore-console-check');
  });

  it('reboots a restored machine into a new boot, with a boot id of its own', async () => {
    const { m, t } = started[0]!;
    const con = consoleOf(m);
    void t.exec('sync; reboot -f', { timeoutMs: 10_000 }).catch(() => undefined);
    const marker = await con.marker();
    expect(marker.bootId).not.toBe(savedBoot.bootId);
    const t2 = await connect(m);
    expect(await sh(t2, 'cat /proc/sys/kernel/random/boot_id')).toBe(marker.bootId);
    expect(await sh(t2, 'cat /var/lib/restore-r1')).toBe('r1');
  });

  it('refuses a machine that differs from the saved one, before starting anything', async () => {
    const before = pgrepCount('restore-int.wrong');
    const wrong = { ...spec('wrong', ''), memoryMiB: 1024 };
    await expect(startFromState(provider, saved, wrong, join(dir, 'wrong.qcow2'))).rejects.toMatchObject({ code: 'RESTORE_MISMATCH', message: expect.stringContaining('memoryMiB: 512 -> 1024') });
    expect(pgrepCount('restore-int.wrong')).toBe(before);
  });

  it('leaves the saved disk as it was, and no QEMU behind', async () => {
    for (const m of machines) await m.dispose();
    expect(await sha(saved.disk)).toBe(diskSha);
    expect(pgrepCount('process=bootgate-restore-int')).toBe('0');
  });
});
