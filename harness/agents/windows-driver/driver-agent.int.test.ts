/**
 * WindowsDriverAgent against the fake Windows OpenSSH server (test/doubles/fake-windows-sshd.ts):
 * real SSH and PowerShell encoding, sc.exe / pnputil output formats and sc.exe's argument rules.
 * Not against Windows itself.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentInstallError, type ContentArtifact } from '../agent.js';
import { ensureLabKey, type LabKey } from '../../guest/lab-keys.js';
import { SshTransport, waitForSsh } from '../../guest/ssh-transport.js';
import { FakeWindows } from '../../../test/doubles/fake-windows-sshd.js';
import { runPs } from '../../guest/windows/powershell.js';
import { requestReboot } from '../../guest/windows/windows-guest.js';
import { parsePeHeader, parsePublishedName, parseScQuery, WindowsDriverAgent } from './driver-agent.js';
import { recoverInSafeMode, SAFE_MODE_COMMANDS } from './safe-mode.js';
import { rejection } from '../../../test/rejection.js';

const { utils } = ssh2;

let dir: string;
let src: string;
let labKey: LabKey;
let hostKey: string;
let content: ContentArtifact;
const fakes: FakeWindows[] = [];
const transports: SshTransport[] = [];
const windows = { os: 'windows' as const };

/** The PE fields a driver check reads: MZ, e_lfanew, PE\0\0, Machine, optional header Magic and Subsystem. */
function fakePe({ machine = 0x8664, magic = 0x20b, subsystem = 1 } = {}): Buffer {
  const b = Buffer.alloc(1024);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  b.writeUInt16LE(machine, 0x84);
  b.writeUInt16LE(0xf0, 0x80 + 20); // SizeOfOptionalHeader
  b.writeUInt16LE(magic, 0x98);
  b.writeUInt16LE(subsystem, 0x98 + 68);
  b.write('sensor driver body', 0x200, 'latin1');
  return b;
}

const SENSOR_INF = [
  '[Version]',
  'Signature   = "$WINDOWS NT$"',
  'Class       = System',
  'ClassGuid   = {4d36e97d-e325-11ce-bfc1-08002be10318}',
  'Provider    = %Vendor%',
  'DriverVer   = 07/19/2024,2.1.0.0',
  'CatalogFile = sensor.cat',
  'PnpLockdown = 1',
  '',
  '[DestinationDirs]',
  'DefaultDestDir = 12',
  '',
  '[DefaultInstall.NTamd64]',
  'CopyFiles = Sensor.Files',
  '',
  '[DefaultInstall.NTamd64.Services]',
  'AddService = sensor,0x00000002,Sensor.Service',
  '',
  '[Sensor.Service]',
  'DisplayName   = %ServiceName%',
  'ServiceType   = 1',
  'StartType     = 0',
  'ErrorControl  = 1',
  'ServiceBinary = %12%\\sensor.sys',
  '',
  '[Sensor.Files]',
  'sensor.sys',
  '',
  '[Strings]',
  'Vendor      = "Example"',
  'ServiceName = "Sensor"',
  '',
].join('\r\n');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bootgate-windrv-'));
  labKey = await ensureLabKey(join(dir, 'lab'));
  hostKey = utils.generateKeyPairSync('ed25519').private;
  src = join(dir, 'sensor-2.1.0');
  await mkdir(src);
  await writeFile(join(src, 'Sensor.SYS'), fakePe());
  await writeFile(join(src, 'README.txt'), 'prebuilt');
  const channel = Buffer.from('CHANNEL 291\nfield21=1\n');
  await writeFile(join(dir, 'channel-291.bin'), channel);
  content = { version: '291', path: join(dir, 'channel-291.bin'), sha256: createHash('sha256').update(channel).digest('hex') };
});
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function guest(): Promise<{ f: FakeWindows; t: SshTransport }> {
  const f = await FakeWindows.start({ labPublicKey: labKey.publicKey, hostKey });
  fakes.push(f);
  const t = await SshTransport.connect(sshOpts(f.port));
  transports.push(t);
  return { f, t };
}
const sshOpts = (port: number) => ({ host: '127.0.0.1', port, username: 'Administrator', privateKey: labKey.privateKey, readyTimeoutMs: 5000 });

/** shutdown /r /t 0, then connect again to the new boot. */
async function reboot(f: FakeWindows, t: SshTransport): Promise<SshTransport> {
  await requestReboot(t);
  await t.close();
  const t2 = await waitForSsh({ ...sshOpts(f.port), deadlineMs: 10_000, backoff: { initialMs: 100, maxMs: 200 } });
  transports.push(t2);
  return t2;
}

describe('prepare', () => {
  it('takes the prebuilt .sys from the source folder (name case-insensitive)', async () => {
    const a = new WindowsDriverAgent({ name: 'sensor' });
    const b = await a.prepare({ version: '2.1.0', source: src, guest: windows });
    expect(b.files).toEqual({ sys: join(src, 'Sensor.SYS') });
    const sha = createHash('sha256').update(await readFile(join(src, 'Sensor.SYS'))).digest('hex');
    expect(b.detail).toBe(`Sensor.SYS sha256:${sha.slice(0, 16)} x64, sc.exe start= boot`);
  });

  it('refuses Linux images and a source without the driver', async () => {
    const a = new WindowsDriverAgent({ name: 'sensor' });
    expect((await rejection(a.prepare({ version: '1', source: src, guest: { os: 'linux', kernelRelease: '6.1.0' } }))).code).toBe('WINDRIVER_NOT_WINDOWS');
    const e = await rejection(new WindowsDriverAgent({ name: 'other' }).prepare({ version: '1', source: src, guest: windows }));
    expect(e.code).toBe('WINDRIVER_NO_SYS');
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/no other\.sys in .*does not build Windows drivers/);
  });

  it('checks the PE header: a native-subsystem x64 image', async () => {
    const bad = join(dir, 'bad');
    await mkdir(bad, { recursive: true });
    const check = async (data: Buffer) => {
      await writeFile(join(bad, 'sensor.sys'), data);
      return (await rejection(new WindowsDriverAgent({ name: 'sensor' }).prepare({ version: '1', source: bad, guest: windows }))).code;
    };
    expect(await check(Buffer.from('#!/bin/sh\necho not a driver\n'))).toBe('WINDRIVER_NOT_PE');
    expect(await check(fakePe({ subsystem: 2 }))).toBe('WINDRIVER_NOT_DRIVER');
    expect(await check(fakePe({ machine: 0x14c, magic: 0x10b }))).toBe('WINDRIVER_ARCH');
    expect(parsePeHeader(fakePe())).toEqual({ machine: 0x8664, magic: 0x20b, subsystem: 1 });
  });

  // A real PE32+ from the host, when one is around (pip vendors small Windows launchers): GUI subsystem, not a driver.
  const realPe = [join(homedir(), '.pyenv', 'versions'), '/usr/lib/python3/dist-packages']
    .flatMap((root) => {
      try {
        return readdirSync(root).flatMap((v) => {
          const lib = join(root, v, 'lib');
          const pys = existsSync(lib) ? readdirSync(lib).map((p) => join(lib, p, 'site-packages')) : [join(root)];
          return pys.map((sp) => join(sp, 'pip', '_vendor', 'distlib', 'w64.exe'));
        });
      } catch {
        return [];
      }
    })
    .find((p) => existsSync(p));
  it.skipIf(!realPe)('reads a real x64 PE image from the host', async () => {
    expect(parsePeHeader(await readFile(realPe!))).toEqual({ machine: 0x8664, magic: 0x20b, subsystem: 2 });
  });

  it('finds the INF and its catalog for a pnputil install', async () => {
    const infSrc = join(dir, 'inf-src');
    await mkdir(infSrc, { recursive: true });
    await writeFile(join(infSrc, 'sensor.sys'), fakePe());
    await writeFile(join(infSrc, 'sensor.inf'), SENSOR_INF);
    await writeFile(join(infSrc, 'sensor.cat'), 'catalog');
    const b = await new WindowsDriverAgent({ name: 'sensor', inf: 'sensor.inf' }).prepare({ version: '2', source: infSrc, guest: windows });
    expect(b.files).toEqual({ sys: join(infSrc, 'sensor.sys'), inf: join(infSrc, 'sensor.inf'), cat: join(infSrc, 'sensor.cat') });
    expect(b.detail).toMatch(/pnputil sensor\.inf$/);
  });

  it('refuses names that would need quoting on a command line', () => {
    expect(() => new WindowsDriverAgent({ name: 'my sensor' })).toThrow(/letters, digits/);
    expect(() => new WindowsDriverAgent({ name: 'sensor', service: 'a;b' })).toThrow(/letters, digits/);
  });
});

describe('install with sc.exe, health, reboot, uninstall', () => {
  it('creates a boot-start kernel service with the exact sc.exe syntax; it runs after the reboot', async () => {
    const { f, t } = await guest();
    const a = new WindowsDriverAgent({ name: 'sensor' });
    const build = await a.prepare({ version: '2.1.0', source: src, guest: windows });
    await a.install(t, build, content);

    expect(f.nativeCommands).toEqual(['sc.exe create sensor type= kernel start= boot binpath= C:\\Windows\\System32\\drivers\\sensor.sys']);
    expect(f.readFile('C:\\ProgramData\\sensor\\channel.bin')!.equals(await readFile(content.path))).toBe(true);
    expect(f.readFile('C:\\Windows\\System32\\drivers\\sensor.sys')!.equals(await readFile(join(src, 'Sensor.SYS')))).toBe(true);
    expect(f.registry.get('HKLM:\\SYSTEM\\CurrentControlSet\\Services\\sensor\\Parameters')?.get('ContentPath')).toBe('C:\\ProgramData\\sensor\\channel.bin');
    expect(f.services.get('sensor')).toMatchObject({ type: 1, start: 0, state: 'STOPPED' });

    // Installed, not loaded: the harness loads nothing itself; Windows starts it at the next boot.
    const before = await a.health(t);
    expect(before.ok).toBe(false);
    expect(before.output).toMatch(/STATE\s+: 1  STOPPED/);

    const t2 = await reboot(f, t);
    const after = await a.health(t2);
    expect(after.ok).toBe(true);
    expect(after.output).toMatch(/^SERVICE_NAME: sensor\s*\n\s+TYPE\s+: 1  KERNEL_DRIVER\s*\n\s+STATE\s+: 4  RUNNING/);
    expect(f.nativeCommands.slice(-1)).toEqual(['sc.exe query sensor']);
  });

  it('is checked against sc.exe syntax: `type=kernel` without the space is a usage error', async () => {
    const { f, t } = await guest();
    const r = await runPs(t, 'sc.exe create sensor type=kernel start= boot binpath= C:\\x.sys\nexit $LASTEXITCODE', { check: false });
    expect(r.code).toBe(1639);
    expect(r.stdout).toMatch(/A space is required between the equal sign and the value/);
    expect(f.services.size).toBe(0);
  });

  it('points an existing service at the new build (1073 → sc.exe config)', async () => {
    const { f, t } = await guest();
    const a = new WindowsDriverAgent({ name: 'sensor', startType: 'system' });
    const build = await a.prepare({ version: '2.1.0', source: src, guest: windows });
    await a.install(t, build, content);
    await a.install(t, build, content);
    expect(f.nativeCommands).toEqual([
      'sc.exe create sensor type= kernel start= system binpath= C:\\Windows\\System32\\drivers\\sensor.sys',
      'sc.exe create sensor type= kernel start= system binpath= C:\\Windows\\System32\\drivers\\sensor.sys',
      'sc.exe config sensor type= kernel start= system binpath= C:\\Windows\\System32\\drivers\\sensor.sys',
    ]);
    expect(f.services.get('sensor')?.start).toBe(1);
  });

  it('puts content where configured, without the registry value when told', async () => {
    const { f, t } = await guest();
    const a = new WindowsDriverAgent({ name: 'sensor', contentPath: "C:\\Sensor Data\\it's\\channel.dat", contentRegistryValue: false });
    await a.install(t, await a.prepare({ version: '2.1.0', source: src, guest: windows }), content);
    expect(f.readFile("C:\\Sensor Data\\it's\\channel.dat")).toBeDefined();
    expect(f.registry.size).toBe(0);
  });

  it('blames the lab, not the agent, when sc.exe is denied', async () => {
    const { f, t } = await guest();
    f.denyServiceControl = true;
    const a = new WindowsDriverAgent({ name: 'sensor' });
    const e = await rejection(a.install(t, await a.prepare({ version: '2.1.0', source: src, guest: windows }), content));
    expect(e).not.toBeInstanceOf(AgentInstallError);
    expect(e.code).toBe('WINDRIVER_COMMAND');
    expect(e.exitCode).toBe(3);
    expect(e.message).toMatch(/exited 5: \[SC\] OpenSCManager FAILED 5:.*must be an administrator/s);
  });

  it('uninstalls: stop (refused for a boot driver), delete, files gone; the service is gone at the next boot', async () => {
    const { f, t } = await guest();
    const a = new WindowsDriverAgent({ name: 'sensor' });
    await a.install(t, await a.prepare({ version: '2.1.0', source: src, guest: windows }), content);
    const t2 = await reboot(f, t);
    expect((await a.health(t2)).ok).toBe(true);
    f.nativeCommands.length = 0;
    await a.uninstall(t2);
    expect(f.nativeCommands).toEqual(['sc.exe stop sensor', 'sc.exe delete sensor']);
    expect(f.readFile('C:\\ProgramData\\sensor\\channel.bin')).toBeUndefined();
    expect(f.readFile('C:\\Windows\\System32\\drivers\\sensor.sys')).toBeUndefined();
    expect(f.services.get('sensor')?.markedForDelete).toBe(true); // loaded drivers go at the next boot
    const t3 = await reboot(f, t2);
    const h = await a.health(t3);
    expect(h.ok).toBe(false);
    expect(h.output).toMatch(/FAILED 1060/);
    await a.uninstall(t3); // again: nothing there, no error
  });
});

describe('install with pnputil', () => {
  async function infSource(withCat: boolean): Promise<string> {
    const s = join(dir, withCat ? 'pkg-signed' : 'pkg-unsigned');
    await mkdir(s, { recursive: true });
    await writeFile(join(s, 'sensor.sys'), fakePe());
    await writeFile(join(s, 'sensor.inf'), SENSOR_INF);
    if (withCat) await writeFile(join(s, 'sensor.cat'), 'catalog');
    return s;
  }

  it('stages the package, runs pnputil /add-driver /install, and deletes the published INF on uninstall', async () => {
    const { f, t } = await guest();
    const a = new WindowsDriverAgent({ name: 'sensor', inf: 'sensor.inf' });
    await a.install(t, await a.prepare({ version: '2.1.0', source: await infSource(true), guest: windows }), content);
    expect(f.nativeCommands).toEqual(['pnputil.exe /add-driver C:\\ProgramData\\sensor\\driver\\sensor.inf /install']);
    for (const n of ['sensor.inf', 'sensor.sys', 'sensor.cat']) expect(f.readFile(`C:\\ProgramData\\sensor\\driver\\${n}`)).toBeDefined();
    expect(f.readFile('C:\\ProgramData\\sensor\\published-inf.txt')!.toString()).toBe('oem7.inf\r\n');
    expect(f.services.get('sensor')).toMatchObject({ type: 1, start: 0 });

    const t2 = await reboot(f, t);
    expect((await a.health(t2)).ok).toBe(true);

    // A new agent object (another harness process): the published name comes from the guest.
    const again = new WindowsDriverAgent({ name: 'sensor', inf: 'sensor.inf' });
    f.nativeCommands.length = 0;
    await again.uninstall(t2);
    expect(f.nativeCommands).toEqual(['pnputil.exe /delete-driver oem7.inf /uninstall /force', 'sc.exe stop sensor', 'sc.exe delete sensor']);
    expect(f.driverStore.size).toBe(0);
  });

  it('blames the agent when pnputil refuses its package (no catalog)', async () => {
    const { t } = await guest();
    const a = new WindowsDriverAgent({ name: 'sensor', inf: 'sensor.inf' });
    const e = await rejection(a.install(t, await a.prepare({ version: '2.1.0', source: await infSource(false), guest: windows }), content));
    expect(e).toBeInstanceOf(AgentInstallError);
    expect(e.message).toMatch(/does not contain digital signature information/);
  });
});

describe('Safe Mode removal (recovery method windows-safe-mode), against the fake Windows only', () => {
  it('sets safeboot, reboots into Safe Mode without the driver, removes it, clears safeboot and boots normally without it', async () => {
    const { f, t } = await guest();
    const s = join(dir, 'pkg-safe');
    await mkdir(s, { recursive: true });
    await writeFile(join(s, 'sensor.sys'), fakePe());
    await writeFile(join(s, 'sensor.inf'), SENSOR_INF);
    await writeFile(join(s, 'sensor.cat'), 'catalog');
    const a = new WindowsDriverAgent({ name: 'sensor', inf: 'sensor.inf' });
    await a.install(t, await a.prepare({ version: '2.1.0', source: s, guest: windows }), content);
    const t1 = await reboot(f, t);
    expect((await a.health(t1)).ok).toBe(true);
    f.nativeCommands.length = 0;

    const { attempt, transport } = await a.removeThroughSafeMode(t1, (x) => reboot(f, x as SshTransport));
    expect(f.nativeCommands).toEqual([
      "bcdedit.exe /set '{default}' safeboot network",
      'shutdown.exe /r /t 0',
      'sc.exe query sensor',
      'pnputil.exe /delete-driver oem7.inf /uninstall /force',
      'sc.exe stop sensor',
      'sc.exe delete sensor',
      "bcdedit.exe /deletevalue '{default}' safeboot",
      'shutdown.exe /r /t 0',
      'sc.exe query sensor',
    ]);
    // Boots: the first, the one with the driver, Safe Mode with Networking, the normal one after.
    expect(f.bootModes).toEqual(['normal', 'normal', 'network', 'normal']);
    expect(f.safeBoot).toBeUndefined();
    expect(attempt).toMatchObject({ method: 'windows-safe-mode', recovered: true, agentRunning: false });
    expect(attempt.steps.map((x) => [x.what, x.ok])).toEqual([
      [SAFE_MODE_COMMANDS.enter, true],
      ['reboot into Safe Mode (network)', true],
      ['driver not running in Safe Mode', true],
      ['driver removed (pnputil /delete-driver /uninstall /force, sc.exe delete)', true],
      [SAFE_MODE_COMMANDS.leave, true],
      ['normal reboot', true],
      ['driver absent after the normal boot', true],
    ]);
    expect(attempt.steps[0]!.detail).toBe('The operation completed successfully.');
    expect(attempt.steps[2]!.detail).toMatch(/STATE\s+: 1  STOPPED/);
    expect(attempt.ms).toBeGreaterThan(0);
    expect(f.services.has('sensor')).toBe(false);
    expect(f.driverStore.size).toBe(0);
    expect(transport).not.toBe(t1);
  });

  it('stops at the first command Windows refuses, and does not call that recovered', async () => {
    const { f, t } = await guest();
    const a = new WindowsDriverAgent({ name: 'sensor' });
    f.failShutdownWith = 5;
    const { attempt } = await recoverInSafeMode(t, a, { reboot: (x) => reboot(f, x as SshTransport) });
    expect(attempt.recovered).toBe(false);
    expect(attempt.steps.map((x) => [x.what, x.ok])).toEqual([
      [SAFE_MODE_COMMANDS.enter, true],
      ['reboot into Safe Mode (network)', false],
    ]);
    expect(attempt.error).toBe('the guest did not come back in Safe Mode');
    // Left in Safe Mode: what a customer would see too, and why the step is recorded.
    expect(f.safeBoot).toBe('network');
  });
});

describe('output parsers', () => {
  it('reads sc.exe query blocks', () => {
    const q = parseScQuery(
      '\r\nSERVICE_NAME: HEVD \r\n        TYPE               : 1  KERNEL_DRIVER  \r\n        STATE              : 4  RUNNING \r\n                                (STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)\r\n        WIN32_EXIT_CODE    : 0  (0x0)\r\n',
    );
    expect(q).toEqual({ service: 'HEVD', type: 1, typeName: 'KERNEL_DRIVER', state: 4, stateName: 'RUNNING', win32ExitCode: 0 });
    expect(parseScQuery('        TYPE               : 10  WIN32_OWN_PROCESS\n        STATE              : 1  STOPPED\n').type).toBe(16);
  });
  it('reads the published name of both pnputil generations', () => {
    expect(parsePublishedName('Adding driver package:  netkvm.inf\r\nDriver package added successfully.\r\nPublished Name:         oem2.inf\r\n')).toBe('oem2.inf');
    expect(parsePublishedName('Processing inf : MyDriver.inf\nDriver package added successfully.\nPublished name : oem22.inf\n')).toBe('oem22.inf');
    expect(parsePublishedName('Failed to add driver package')).toBeUndefined();
  });
});
