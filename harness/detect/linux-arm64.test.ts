/**
 * arm64 oopses. The kernel reports them from arch/arm64/mm/fault.c (`Unable to handle kernel NULL
 * pointer dereference` / `paging request at virtual address ...`, then the ESR decode) and
 * arch/arm64/kernel/traps.c die() (`Internal error: Oops: <esr> [#1]`, or `Oops - BUG` from a
 * BRK), then __show_regs (`pc : %pS`, `lr : %pS`) and `Call trace:` (lower-case t). The first test
 * reads a console captured here: the quickstart's content 291 on Debian 12's arm64 kernel under
 * qemu-system-aarch64; the others are hand-made from those formats, one rule each.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { crashRecordSchema } from '../results/crash-record.js';
import { LinuxConsoleDetector, parseLinuxConsole } from './linux-console.js';

const REAL = readFileSync(fileURLToPath(new URL('./testdata/arm64/sensor-291-6.1.0-57-arm64.log', import.meta.url)), 'utf8');

/** Lines with printk timestamps, as the console prints them (`[%5lu.%06lu]`). */
const log = (lines: string[]) => lines.map((l, i) => `[   12.${String(100000 + i).slice(1)}0] ${l}`).join('\n') + '\n';
const only = (text: string) => {
  const r = parseLinuxConsole(text);
  expect(r).toHaveLength(1);
  expect(crashRecordSchema.safeParse(r[0]).success).toBe(true);
  return r[0]!;
};

describe('arm64 oops on a real console (content 291, 6.1.0-57-arm64, TCG)', () => {
  it('is a NULL dereference in sensor_parse_channel of module sensor, from the pc line', () => {
    const r = only(REAL);
    expect(r).toMatchObject({
      os: 'linux',
      source: 'console',
      class: 'null-deref',
      title: 'BUG: unable to handle kernel NULL pointer dereference in sensor_parse_channel',
      function: 'sensor_parse_channel',
      module: 'sensor',
      tainted: 'OE',
    });
    expect(r.excerpt).toContain('pc : sensor_parse_channel+0x5a0/0x670 [sensor]');
    expect(r.excerpt).toContain('Internal error: Oops: 0000000096000006 [#1] SMP');
  });

  it('gives the same record when the console arrives in small pieces', () => {
    const d = new LinuxConsoleDetector();
    const out = [];
    for (let i = 0; i < REAL.length; i += 37) out.push(...d.push(REAL.slice(i, i + 37)));
    out.push(...d.end());
    expect(out.map((r) => [r.title, r.function, r.module])).toEqual([['BUG: unable to handle kernel NULL pointer dereference in sensor_parse_channel', 'sensor_parse_channel', 'sensor']]);
    expect(d.crashing).toBe(true);
  });

  it('is no crash without its oops: the boot up to the module load is clean', () => {
    const before = REAL.slice(0, REAL.indexOf('Unable to handle'));
    expect(before.length).toBeGreaterThan(100);
    expect(parseLinuxConsole(before)).toEqual([]);
  });
});

describe('arm64 oops on a real 6.12 console (content 291, 6.12.117+deb12-arm64, TCG)', () => {
  it('is the same record as on 6.1 (the 6.12 header adds UID: to the CPU line)', () => {
    const text = readFileSync(fileURLToPath(new URL('./testdata/arm64/sensor-291-6.12.117+deb12-arm64.log', import.meta.url)), 'utf8');
    expect(text).toContain('CPU: 0 UID: 0 PID:');
    const r = only(text);
    expect(r).toMatchObject({ class: 'null-deref', title: 'BUG: unable to handle kernel NULL pointer dereference in sensor_parse_channel', function: 'sensor_parse_channel', module: 'sensor', tainted: 'OE' });
    expect(r.signature).toBe(only(REAL).signature);
  });
});

describe('arm64 oops formats (hand-made)', () => {
  const oops = (fault: string, esr: string, pc: string, lr: string, trace: string[]) =>
    log([fault, 'Mem abort info:', `  ESR = 0x${esr}`, `Internal error: Oops: ${esr} [#1] PREEMPT SMP`, 'Modules linked in: sensor(OE+) ext4', 'CPU: 0 UID: 0 PID: 126 Comm: modprobe Tainted: G           OE      6.12.117+deb12-arm64 #1  Debian 6.12.117-1~deb12u1', `pc : ${pc}`, `lr : ${lr}`, 'sp : ffff800008253690', 'Call trace:', ...trace.map((f) => ` ${f}`), '---[ end trace 0000000000000000 ]---', 'Kernel panic - not syncing: Oops: Fatal exception']);

  it('a jump to NULL (pc : 0x0, no symbol): function and module from the lr line', () => {
    const r = only(oops('Unable to handle kernel NULL pointer dereference at virtual address 0000000000000000', '0000000086000004', '0x0', 'sensor_dispatch+0x24/0x40 [sensor]', ['0x0', 'sensor_dispatch+0x24/0x40 [sensor]', 'sensor_init+0x138/0x1000 [sensor]']));
    expect(r).toMatchObject({ class: 'null-deref', function: 'sensor_dispatch', module: 'sensor', title: 'BUG: unable to handle kernel NULL pointer dereference in sensor_dispatch' });
  });

  it('a fault in the kernel itself (pc without [module]): the function, and no module', () => {
    const r = only(oops('Unable to handle kernel paging request at virtual address ffff00000badc0de', '0000000096000007', 'ext4_fill_super+0x1c8/0x2a40', 'mount_bdev+0x1a0/0x1f0', ['ext4_fill_super+0x1c8/0x2a40', 'mount_bdev+0x1a0/0x1f0', 'legacy_get_tree+0x34/0x60']));
    expect(r).toMatchObject({ class: 'paging-fault', function: 'ext4_fill_super', title: 'BUG: unable to handle kernel paging request in ext4_fill_super' });
    expect(r.module).toBeUndefined();
  });

  it('a fault in a list helper the module called: the module frame is the culprit, as for x86', () => {
    const r = only(oops('Unable to handle kernel paging request at virtual address dead000000000108', '0000000096000044', 'list_del+0x18/0x40', 'sensor_exit+0x1c/0x40 [sensor]', ['list_del+0x18/0x40', 'sensor_exit+0x1c/0x40 [sensor]', '__arm64_sys_delete_module+0x1a0/0x2b0']));
    expect(r).toMatchObject({ class: 'paging-fault', function: 'sensor_exit', module: 'sensor' });
  });

  it('BUG() on arm64: kernel BUG at, then Internal error: Oops - BUG (a BRK), pc in the module', () => {
    const r = only(log(['------------[ cut here ]------------', 'kernel BUG at /build/crasher/crasher.c:42!', 'Internal error: Oops - BUG: 00000000f2000800 [#1] SMP', 'Modules linked in: crasher(OE+) ext4', 'CPU: 0 PID: 120 Comm: modprobe Tainted: G           OE      6.1.0-57-arm64 #1  Debian 6.1.192-3', 'pc : crasher_bug+0x10/0x20 [crasher]', 'lr : crasher_init+0x30/0x1000 [crasher]', 'Call trace:', ' crasher_bug+0x10/0x20 [crasher]', ' crasher_init+0x30/0x1000 [crasher]', 'Code: d503201f d503201f d503233f (d4210000)', '---[ end trace 0000000000000000 ]---', 'Kernel panic - not syncing: Oops - BUG: Fatal exception']));
    expect(r).toMatchObject({ class: 'bug', title: 'kernel BUG in crasher_bug', function: 'crasher_bug', module: 'crasher', tainted: 'OE' });
  });

  it('Internal error: Oops - BUG without the file line (no CONFIG_DEBUG_BUGVERBOSE): still a BUG, from pc', () => {
    const r = only(log(['Internal error: Oops - BUG: 00000000f2000800 [#1] SMP', 'Modules linked in: crasher(OE+)', 'pc : crasher_bug+0x10/0x20 [crasher]', 'lr : crasher_init+0x30/0x1000 [crasher]', 'Call trace:', ' crasher_bug+0x10/0x20 [crasher]', 'Kernel panic - not syncing: Oops - BUG: Fatal exception']));
    expect(r).toMatchObject({ class: 'bug', function: 'crasher_bug', module: 'crasher' });
  });

  it('panic() from a module: arm64 dumps the stack with Call trace: under the panic line', () => {
    const r = only(log(['Kernel panic - not syncing: sensor: content table corrupt', 'CPU: 0 PID: 1 Comm: init Tainted: G           OE      6.1.0-57-arm64 #1', 'Hardware name: linux,dummy-virt (DT)', 'Call trace:', ' dump_backtrace+0xe4/0x140', ' show_stack+0x20/0x30', ' dump_stack_lvl+0x64/0x80', ' panic+0x18c/0x360', ' sensor_check+0x40/0x50 [sensor]', ' sensor_init+0x20/0x1000 [sensor]']));
    expect(r).toMatchObject({ class: 'panic', title: 'kernel panic: sensor: content table corrupt', function: 'sensor_check', module: 'sensor' });
  });
});
