import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bootgate, ROOT } from './cli-helpers.js';

const fx = (f: string) => join(ROOT, 'test', 'fixtures', f);
const win = (f: string) => join(ROOT, 'harness', 'detect', 'windows', 'testdata', f);

describe('bootgate detect', () => {
  it('reads several kinds of evidence by content and prints JSON per file', async () => {
    const r = await bootgate(['detect', '--json', fx('sensor-291-debian-6.1.log'), fx('sensor-290-debian-6.1-clean.log'), win('kernel-du64-0x50.dmp'), win('kernel-power-41.xml')]);
    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout) as { path: string; kind: string; crashes: { class: string; title: string; module?: string; code?: string }[] }[];
    expect(out.map((o) => o.crashes.length)).toEqual([1, 0, 1, 3]); // the export: two Kernel-Power 41 bugchecks and a WER 1001 event
    expect(out[0]!.crashes[0]).toMatchObject({ class: 'null-deref', title: 'BUG: kernel NULL pointer dereference in sensor_parse_channel', module: 'sensor' });
    expect(out[2]).toMatchObject({ kind: 'kernel-dump' });
    expect(out[2]!.crashes[0]).toMatchObject({ class: 'bugcheck', code: '0x00000050' });
    expect(out[3]!.crashes[0]!.class).toBe('bugcheck');
  });
  it('reads standard input, exit 0 for a clean log', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'bootgate.js'), 'detect'], { cwd: ROOT });
    child.stdin.end(readFileSync(fx('sensor-290-debian-6.1-clean.log')));
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const code = await new Promise((res) => child.on('close', res));
    expect(code).toBe(0);
    expect(out).toBe('(stdin): no crash (linux-console)\n');
  });
  it('names the WARNING a kernel gives on one version and not another', async () => {
    const r = await bootgate(['detect', fx('sensor-290-debian-6.12-ipe-warning.log')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\[warning\] WARNING in ipe_kernel_read_file/);
  });
  it('an unreadable file is exit 2 with its name', async () => {
    const r = await bootgate(['detect', '/nonexistent/console.log']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('bootgate: error: /nonexistent/console.log: no such file\n');
  });

  describe('decides by content, as issue #14 asks (each of these read as no crash, exit 0, before)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bootgate-detect-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const crash = readFileSync(fx('sensor-291-debian-6.1.log'));
    const title = 'BUG: kernel NULL pointer dereference in sensor_parse_channel';
    const file = (name: string, ...parts: Buffer[]) => {
      const p = join(dir, name);
      writeFileSync(p, Buffer.concat(parts));
      return p;
    };
    const cases: [string, string, string][] = [
      ['600 NUL bytes first', file('nul.log', Buffer.alloc(600), crash), 'linux-console'],
      ['FF FE first', file('bom.log', Buffer.from([0xff, 0xfe]), crash), 'linux-console'],
      ['a Windows event line appended', file('appended.log', crash, Buffer.from('ProviderName : Microsoft-Windows-Kernel-Power\r\n')), 'linux-console+event-text'],
      ['PAGE first', file('page.log', Buffer.from('PAGEDU64 test harness banner\n'), crash), 'linux-console'],
      ['MDMP first', file('mdmp.log', Buffer.from('MDMP test harness banner\n'), crash), 'linux-console'],
    ];
    it.each(cases)('%s: the Linux crash is found, exit 1', async (_what, path, kind) => {
      const r = await bootgate(['detect', '--json', path]);
      expect(r.code, r.stderr).toBe(1);
      const [out] = JSON.parse(r.stdout) as { kind: string; crashes: { title: string }[] }[];
      expect(out).toMatchObject({ kind, crashes: [{ title }] });
    });
  });
});
