/**
 * The Windows guest layer against an in-process ssh2 server that plays Windows OpenSSH with
 * PowerShell as DefaultShell (test/doubles/fake-windows-sshd.ts): real SSH, real encoding and decoding, Windows'
 * output formats. Not against Windows itself.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signatureOf } from '../../results/crash-record.js';
import { ensureLabKey, type LabKey } from '../lab-keys.js';
import { SshTransport, waitForSsh } from '../ssh-transport.js';
import { FakeWindows } from '../../../test/doubles/fake-windows-sshd.js';
import { PowerShellError, psWriteFile, runPs, STDIN_BOOTSTRAP, WindowsPsTransport, wrapScript } from './powershell.js';
import { isNewBoot, lastBootUpTime, listDumps, fetchDumpHeader, readBugcheckEvents, requestReboot } from './windows-guest.js';

const { utils } = ssh2;

let dir: string;
let labKey: LabKey;
let hostKey: string;
let dump50: Buffer;
const fakes: FakeWindows[] = [];
const transports: SshTransport[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bootgate-win-'));
  labKey = await ensureLabKey(join(dir, 'lab'));
  hostKey = utils.generateKeyPairSync('ed25519').private;
  dump50 = await readFile(new URL('../../detect/windows/testdata/kernel-du64-0x50.dmp', import.meta.url));
});
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fake(): Promise<FakeWindows> {
  const f = await FakeWindows.start({ labPublicKey: labKey.publicKey, hostKey });
  fakes.push(f);
  return f;
}

const sshOpts = (port: number) => ({ host: '127.0.0.1', port, username: 'Administrator', privateKey: labKey.privateKey, readyTimeoutMs: 5000 });

async function connect(f: FakeWindows): Promise<SshTransport> {
  const t = await SshTransport.connect(sshOpts(f.port));
  transports.push(t);
  return t;
}

/** After a reboot: connect again once the guest is back (refused/closed meanwhile). */
async function reconnect(f: FakeWindows): Promise<{ t: SshTransport; retries: string[] }> {
  const retries: string[] = [];
  const t = await waitForSsh({ ...sshOpts(f.port), deadlineMs: 10_000, backoff: { initialMs: 100, maxMs: 200 }, onRetry: (_n, e) => retries.push(e.reason) });
  transports.push(t);
  return { t, retries };
}

const decoded = (cmd: string) => Buffer.from(cmd.split(' ').pop()!, 'base64').toString('utf16le');

const P50: [bigint, bigint, bigint, bigint] = [0xffff9a8b12345a18n, 0x2n, 0xfffff80012345678n, 0x2n];
const PD1: [bigint, bigint, bigint, bigint] = [0xffffd48000000010n, 0x2n, 0x0n, 0xfffff8001d2b1a4cn];

describe('runPs', () => {
  it('sends powershell.exe -NoProfile -NonInteractive -EncodedCommand with the framed script', async () => {
    const f = await fake();
    const t = await connect(f);
    const r = await runPs(t, 'sc.exe query nosuch\nexit $LASTEXITCODE', { okCodes: [1060] });
    expect(f.execs).toHaveLength(1);
    expect(f.execs[0]).toMatch(/^powershell\.exe -NoProfile -NonInteractive -EncodedCommand [A-Za-z0-9+/]+=*$/);
    expect(decoded(f.execs[0]!)).toBe(wrapScript('sc.exe query nosuch\nexit $LASTEXITCODE'));
    expect(f.nativeCommands).toEqual(['sc.exe query nosuch']);
    expect(r.code).toBe(1060);
    // CRLF from Windows arrives as LF.
    expect(r.stdout).toBe('[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\n\nThe specified service does not exist as an installed service.\n\n');
  });

  it('throws PowerShellError with the exit code and output on a non-zero exit', async () => {
    const f = await fake();
    const t = await connect(f);
    const e = await runPs(t, 'sc.exe query nosuch\nexit $LASTEXITCODE').catch((x) => x);
    expect(e).toBeInstanceOf(PowerShellError);
    expect(e.code).toBe('POWERSHELL_FAILED');
    expect(e.status).toBe(1060);
    expect(e.message).toMatch(/`sc\.exe query nosuch` exited 1060: .*FAILED 1060/s);
    expect((await runPs(t, 'sc.exe query nosuch\nexit $LASTEXITCODE', { check: false })).code).toBe(1060);
  });

  it('sends a script too long for a command line on stdin to a bootstrap', async () => {
    const f = await fake();
    const t = await connect(f);
    const padding = Array.from({ length: 120 }, (_, i) => `# padding line ${i} ${'x'.repeat(40)}`).join('\n');
    const script = `${padding}\nsc.exe query nosuch\nexit $LASTEXITCODE`;
    const r = await runPs(t, script, { okCodes: [1060] });
    expect(r.code).toBe(1060);
    expect(f.execs[0]!.length).toBeLessThan(8000);
    expect(decoded(f.execs[0]!)).toBe(STDIN_BOOTSTRAP);
    expect(f.scripts[0]).toBe(script);
  });
});

describe('psWriteFile', () => {
  it('writes bytes through stdin and checks the guest SHA-256', async () => {
    const f = await fake();
    const t = await connect(f);
    const data = randomBytes(200_000);
    await psWriteFile(t, data, "C:\\ProgramData\\it's here\\blob.bin");
    expect(f.readFile("C:\\ProgramData\\it's here\\blob.bin")!.equals(data)).toBe(true);
    await psWriteFile(t, '', 'C:\\empty.txt');
    expect(f.readFile('C:\\empty.txt')!.length).toBe(0);
  });

  it('fails with UPLOAD_VERIFY when the guest file differs', async () => {
    const f = await fake();
    const t = await connect(f);
    f.corruptNextWrite = true;
    const e = await psWriteFile(t, 'abc', 'C:\\x.txt').catch((x) => x);
    expect(e.code).toBe('UPLOAD_VERIFY');
  });

  it('refuses a relative path before touching the guest', async () => {
    const f = await fake();
    const t = await connect(f);
    expect((await psWriteFile(t, 'x', 'relative\\x.txt').catch((x) => x)).code).toBe('UPLOAD_BAD_PATH');
    expect(f.execs).toEqual([]);
  });

  it('backs a GuestTransport whose exec resolves whatever the exit code', async () => {
    const f = await fake();
    const w = new WindowsPsTransport(await connect(f));
    await w.uploadData('hello', 'C:\\a.txt');
    expect(f.readFile('C:\\a.txt')!.toString()).toBe('hello');
    const r = await w.exec('sc.exe query nosuch\nexit $LASTEXITCODE');
    expect(r.code).toBe(1060);
    // The Windows helpers unwrap it instead of encoding twice.
    expect((await lastBootUpTime(w)).at.getTime()).toBe(f.bootTime.getTime());
  });
});

describe('boot marker and reboot', () => {
  it('reads LastBootUpTime as ISO 8601 UTC', async () => {
    const f = await fake();
    const t = await connect(f);
    const m = await lastBootUpTime(t);
    expect(m.raw).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    expect(m.at.getTime()).toBe(f.bootTime.getTime());
    expect(f.scripts[0]).toContain('Get-CimInstance -ClassName Win32_OperatingSystem');
    expect(f.scripts[0]).toContain(".LastBootUpTime.ToUniversalTime().ToString('o')");
  });

  it('treats the connection dropping under shutdown /r /t 0 as success, and the guest comes back with a new boot time', async () => {
    const f = await fake();
    const t = await connect(f);
    const before = await lastBootUpTime(t);
    expect(await requestReboot(t)).toBe('connection-lost');
    expect(f.nativeCommands).toEqual(['shutdown.exe /r /t 0']);
    expect(t.connected).toBe(false);
    const { t: t2, retries } = await reconnect(f);
    expect(retries.length).toBeGreaterThan(0); // it was down for a while
    const after = await lastBootUpTime(t2);
    expect(f.bootCount).toBe(2);
    expect(isNewBoot(before, after)).toBe(true);
    expect(isNewBoot(after, after)).toBe(false);
  });

  it('also succeeds when shutdown.exe exits 0 before the drop', async () => {
    const f = await fake();
    f.rebootDrop = 'after-exit';
    const t = await connect(f);
    expect(await requestReboot(t)).toBe('exited');
    await reconnect(f);
    expect(f.bootCount).toBe(2);
  });

  it('throws when shutdown.exe refuses', async () => {
    const f = await fake();
    f.failShutdownWith = 1190;
    const t = await connect(f);
    const e = await requestReboot(t).catch((x) => x);
    expect(e).toBeInstanceOf(PowerShellError);
    expect(e.status).toBe(1190);
    // shutdown.exe's stderr line arrives as a CLIXML error record, decoded.
    expect(e.stderr).toBe('shutdown.exe : A system shutdown has already been scheduled.(1190)\n');
    expect(e.message).toMatch(/already been scheduled/);
    expect(f.scripts[0]).toBe("$ErrorActionPreference = 'Continue'\nshutdown.exe /r /t 0\nexit $LASTEXITCODE");
  });
});

describe('bugchecks after a reboot', () => {
  it('reads Kernel-Power 41 and 1001 since the boot marker as bugcheck 0x50 records', async () => {
    const f = await fake();
    const longAgo = new Date(f.bootTime.getTime() - 3600_000);
    f.addBugcheckEvents(longAgo, { code: 0xd1, params: PD1 }); // an older crash, before the marker
    f.addNoiseEvents(new Date(f.bootTime.getTime() + 1000)); // another provider's 1001, a reset without bugcheck
    const t = await connect(f);
    const marker = await lastBootUpTime(t);
    expect(await readBugcheckEvents(t, marker)).toEqual([]);

    f.crashOnNextBoot = { code: 0x50, params: P50, dump: dump50 };
    await requestReboot(t);
    const { t: t2 } = await reconnect(f);
    const records = await readBugcheckEvents(t2, marker);
    expect(records.map((r) => r.excerpt?.split(' ').slice(0, 2).join(' '))).toEqual([
      'Microsoft-Windows-Kernel-Power 41',
      'Microsoft-Windows-WER-SystemErrorReporting 1001',
    ]);
    for (const r of records) {
      expect(r).toMatchObject({
        os: 'windows',
        source: 'event-log',
        class: 'bugcheck',
        code: '0x00000050',
        name: 'PAGE_FAULT_IN_NONPAGED_AREA',
        title: 'PAGE_FAULT_IN_NONPAGED_AREA',
        params: ['0xFFFF9A8B12345A18', '0x0000000000000002', '0xFFFFF80012345678', '0x0000000000000002'],
        signature: signatureOf('PAGE_FAULT_IN_NONPAGED_AREA'),
      });
    }
    const script = f.scripts.find((s) => s.includes('Get-WinEvent'))!;
    expect(script).toContain("Get-WinEvent -FilterHashtable @{ LogName = 'System'; Id = 1001, 41; StartTime = $since } -ErrorAction Stop");
    expect(script).toContain(`[DateTime]::Parse('${marker.at.toISOString()}'`);
    expect(script).toContain('$e.ToXml()');
    expect(script).toContain("-like 'NoMatchingEventsFound*'");

    // From further back, the older 0xD1 crash is there too, oldest first.
    const all = await readBugcheckEvents(t2, new Date(longAgo.getTime() - 1000));
    expect(all.map((r) => r.code)).toEqual(['0x000000D1', '0x000000D1', '0x00000050', '0x00000050']);
  });

  it('lists the dumps and parses their headers', async () => {
    const f = await fake();
    const mini = Buffer.from(dump50);
    mini.writeUInt32LE(0xd1, 0x38); // BugCheckCode
    mini.writeUInt32LE(4, 0xf98); // DumpType: triage (small memory dump)
    f.writeFile('C:\\Windows\\Minidump\\112325-9109-01.dmp', mini, new Date('2025-11-23T09:02:51Z'));
    f.writeFile('C:\\Windows\\Minidump\\notes.txt', Buffer.from('not a dump'));
    // A full MEMORY.DMP is large; only its first 8 KiB travel.
    f.writeFile('C:\\Windows\\MEMORY.DMP', Buffer.concat([dump50, Buffer.alloc(100_000)]), new Date('2025-11-24T15:14:07Z'));
    const t = await connect(f);

    const dumps = await listDumps(t);
    expect(dumps).toEqual([
      { path: 'C:\\Windows\\MEMORY.DMP', kind: 'memory', bytes: 108_192, lastWriteUtc: '2025-11-24T15:14:07.0000000Z' },
      { path: 'C:\\Windows\\Minidump\\112325-9109-01.dmp', kind: 'minidump', bytes: 8192, lastWriteUtc: '2025-11-23T09:02:51.0000000Z' },
    ]);
    expect(f.scripts[0]).toContain("HKLM:\\SYSTEM\\CurrentControlSet\\Control\\CrashControl");

    const mem = await fetchDumpHeader(t, dumps[0]!.path);
    expect(mem.head.length).toBe(8192);
    expect(mem.result.ok).toBe(true);
    if (!mem.result.ok) throw new Error('unreachable');
    expect(mem.result.header).toMatchObject({ bits: 64, code: 0x50, dumpTypeName: 'kernel', machineName: 'x64' });
    expect(mem.result.record).toMatchObject({ source: 'dump', code: '0x00000050', params: ['0xFFFF9A8B12345A18', '0x0000000000000002', '0xFFFFF80012345678', '0x0000000000000002'] });

    const small = await fetchDumpHeader(t, dumps[1]!.path);
    expect(small.result.ok && small.result.record.code).toBe('0x000000D1');
    expect(small.result.ok && small.result.header.dumpTypeName).toBe('triage');

    const e = await fetchDumpHeader(t, 'C:\\Windows\\nope.dmp').catch((x) => x);
    expect(e).toBeInstanceOf(PowerShellError);
    expect(e.message).toMatch(/Could not find file 'C:\\Windows\\nope\.dmp'/);
  });

  it('finds no dumps on a clean guest', async () => {
    const f = await fake();
    expect(await listDumps(await connect(f))).toEqual([]);
  });
});
