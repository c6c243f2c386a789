import { describe, expect, it } from 'vitest';
import { crashRecordSchema, signatureOf } from '../results/crash-record.js';
import { splitAtTimestamps, splitConsoleLine } from './console-line.js';
import { LinuxConsoleDetector, parseLinuxConsole } from './linux-console.js';
import { parseFrame, parseIpLine } from './linux-frames.js';
import { isHelperFrame } from './linux-helper-frames.js';
import { matchHeader } from './linux-headers.js';
import { parseTaint } from './linux-taint.js';
import { syscallName } from './linux-syscall-name.js';
import { normalizeMessage } from './linux-title.js';

/** Console lines with printk time stamps, starting at `t0` seconds. */
function log(lines: string[], t0 = 12.3, caller?: string): string {
  return lines
    .map((l, i) => {
      const t = (t0 + i * 0.000417).toFixed(6).padStart(12, ' ');
      return caller ? `[${t}][${caller.padStart(6, ' ')}] ${l}` : `[${t}] ${l}`;
    })
    .join('\n');
}

/**
 * Debian 12 (6.1) guest: insmod of the out-of-tree module `sensor`, whose init calls
 * sensor_parse_channel() with a NULL channel table.
 */
const SENSOR_OOPS = `${log([
  'sensor: loading out-of-tree module taints kernel.',
  'sensor: module verification failed: signature and/or required key missing - tainting kernel',
  'BUG: kernel NULL pointer dereference, address: 0000000000000008',
  '#PF: supervisor read access in kernel mode',
  '#PF: error_code(0x0000) - not-present page',
  'PGD 0 P4D 0 ',
  'Oops: 0000 [#1] PREEMPT SMP NOPTI',
  'CPU: 1 PID: 412 Comm: insmod Tainted: G           OE      6.1.0-18-amd64 #1  Debian 6.1.76-1',
  'Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014',
  'RIP: 0010:sensor_parse_channel+0x11/0x40 [sensor]',
  'Code: 00 00 00 00 0f 1f 40 00 0f 1f 44 00 00 48 85 ff 74 1a 48 8b 47 08 <8b> 40 08 89 06 31 c0 c3 cc cc cc cc b8 ea ff ff ff c3 cc cc cc cc',
  'RSP: 0018:ffffb3a4c05dbd70 EFLAGS: 00010246',
  'RAX: 0000000000000000 RBX: ffffffffc0a52040 RCX: 0000000000000000',
  'RDX: 0000000000000000 RSI: ffffb3a4c05dbd94 RDI: ffff8e2b4118b7c0',
  'RBP: ffffffffc0a56000 R08: 0000000000000000 R09: ffffb3a4c05dbc18',
  'R10: 0000000000000003 R11: ffffffff9a2d6c28 R12: ffff8e2b4118b7c0',
  'R13: 0000000000000000 R14: ffffb3a4c05dbe88 R15: 0000000000000000',
  'FS:  00007f3b8e1bd740(0000) GS:ffff8e2bbbd00000(0000) knlGS:0000000000000000',
  'CS:  0010 DS: 0000 ES: 0000 CR0: 0000000080050033',
  'CR2: 0000000000000008 CR3: 0000000102c14000 CR4: 00000000000006e0',
  'Call Trace:',
  ' <TASK>',
  ' ? __die+0x23/0x70',
  ' ? page_fault_oops+0x17d/0x4c0',
  ' ? exc_page_fault+0x7f/0x180',
  ' ? asm_exc_page_fault+0x26/0x30',
  ' ? sensor_parse_channel+0x11/0x40 [sensor]',
  ' sensor_init+0x3a/0x1000 [sensor]',
  ' ? __pfx_sensor_init+0x10/0x10 [sensor]',
  ' do_one_initcall+0x5b/0x320',
  ' do_init_module+0x60/0x240',
  ' load_module+0x2b4f/0x2d90',
  ' __do_sys_finit_module+0xac/0x120',
  ' do_syscall_64+0x5b/0xc0',
  ' ? exit_to_user_mode_prepare+0x44/0x1f0',
  ' entry_SYSCALL_64_after_hwframe+0x6e/0xd8',
  'RIP: 0033:0x7f3b8e2d6f29',
  'Code: ff c3 66 2e 0f 1f 84 00 00 00 00 00 0f 1f 44 00 00 48 89 f8 48 89 f7 48 89 d6 48 89 ca 4d 89 c2 4d 89 c8 4c 8b 4c 24 08 0f 05 <48> 3d 01 f0 ff ff 73 01 c3 48 8b 0d a7 ee 0c 00 f7 d8 64 89 01 48',
  'RSP: 002b:00007ffd5a4b0b48 EFLAGS: 00000246 ORIG_RAX: 0000000000000139',
  'RAX: ffffffffffffffda RBX: 000055c4b1c2e7a0 RCX: 00007f3b8e2d6f29',
  'RDX: 0000000000000000 RSI: 000055c4b0c7a260 RDI: 0000000000000003',
  'RBP: 0000000000000000 R08: 0000000000000000 R09: 000055c4b1c2e6d0',
  'R10: 0000000000000003 R11: 0000000000000246 R12: 000055c4b0c7a260',
  'R13: 0000000000000000 R14: 000055c4b1c2e750 R15: 0000000000000000',
  ' </TASK>',
  'Modules linked in: sensor(OE+) nls_ascii nls_cp437 vfat fat ext4 crc16 mbcache jbd2 virtio_net net_failover failover virtio_blk',
  'CR2: 0000000000000008',
  '---[ end trace 0000000000000000 ]---',
  'RIP: 0010:sensor_parse_channel+0x11/0x40 [sensor]',
  'Code: 00 00 00 00 0f 1f 40 00 0f 1f 44 00 00 48 85 ff 74 1a 48 8b 47 08 <8b> 40 08 89 06 31 c0 c3 cc cc cc cc b8 ea ff ff ff c3 cc cc cc cc',
  'RSP: 0018:ffffb3a4c05dbd70 EFLAGS: 00010246',
  'CR2: 0000000000000008 CR3: 0000000102c14000 CR4: 00000000000006e0',
  'Kernel panic - not syncing: Fatal exception',
  'Kernel Offset: 0x18800000 from 0xffffffff81000000 (relocation range: 0xffffffff80000000-0xffffffffbfffffff)',
  '---[ end Kernel panic - not syncing: Fatal exception ]---',
])}\n`;

const CLEAN_BOOT = `${log(
  [
    'Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)',
    'Command line: BOOT_IMAGE=/vmlinuz-6.1.0-18-amd64 root=/dev/vda1 ro console=ttyS0',
    'x86/fpu: x87 FPU will use FXSAVE',
    'BIOS-provided physical RAM map:',
    'Spectre V2 : WARNING: Unprivileged eBPF is enabled with eIBRS on, data leaks possible via Spectre v2 BHB attacks!',
    'Freeing unused kernel image (initmem) memory: 2792K',
    'Run /init as init process',
    'EXT4-fs (vda1): mounted filesystem with ordered data mode. Quota mode: none.',
    'systemd[1]: Detected virtualization kvm.',
    'traps: sshd[812] general protection fault ip:7f1c3b2d1e0a sp:7ffd9c1e2f80 error:0 in libc.so.6[7f1c3b200000+155000]',
    'sensor: loading out-of-tree module taints kernel.',
  ],
  0,
)}\n  WARNING: Failed to connect to lvmetad. Falling back to device scanning.\n*** stack smashing detected ***: terminated\nDebian GNU/Linux 12 bootgate ttyS0\n`;

describe('parseLinuxConsole', () => {
  it('reports the out-of-tree sensor module NULL dereference (Debian 6.1)', () => {
    const records = parseLinuxConsole(SENSOR_OOPS);
    expect(records).toHaveLength(1);
    const r = records[0];
    expect(r).toMatchObject({
      os: 'linux',
      source: 'console',
      class: 'null-deref',
      title: 'BUG: kernel NULL pointer dereference in sensor_parse_channel',
      function: 'sensor_parse_channel',
      module: 'sensor',
    });
    expect(r?.tainted).toContain('OE');
    expect(r?.signature).toBe(signatureOf('BUG: kernel NULL pointer dereference in sensor_parse_channel'));
    expect(r?.corrupted).toBeUndefined();
    expect(r?.excerpt).toContain('RIP: 0010:sensor_parse_channel+0x11/0x40 [sensor]');
    expect(crashRecordSchema.parse(r)).toEqual(r);
  });

  it('finds nothing in a clean boot (user-space faults, LVM and stack-smashing lines included)', () => {
    expect(parseLinuxConsole(CLEAN_BOOT)).toEqual([]);
    expect(parseLinuxConsole('')).toEqual([]);
  });

  it('takes a bare kernel WARNING for a crash only when the kernel dumps its context after it', () => {
    const line = 'WARNING: device 3 lost its mind (code 17)';
    const dumped = parseLinuxConsole(
      log([line, 'CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0-18-amd64 #1  Debian 6.1.76-1', 'Call Trace:', ' <TASK>', ' dump_stack_lvl+0x44/0x5c', ' mind_probe+0x1a/0x40 [mind]', ' </TASK>']),
    );
    expect(dumped.map((r) => [r.class, r.title])).toEqual([['warning', 'WARNING: device NUM lost its mind']]);
    // 6.x dump_stack() prints the user id too.
    expect(parseLinuxConsole(log([line, 'CPU: 0 UID: 0 PID: 1 Comm: swapper/0 Not tainted 6.12.9-amd64 #1']))).toHaveLength(1);
    // The same line with no dump after it is a notice; so are these, as the kernel and user space print them.
    const notices = [
      log([line, 'virtio_net virtio1 enp0s3: renamed from eth0', 'EXT4-fs (vda1): mounted filesystem', ...Array(12).fill('systemd[1]: Started Journal Service.'), 'CPU: 1 PID: 2 Comm: kthreadd']),
      // fs/namespace.c on 5.x, pr_warn_once() of a framed notice when `-o mand` is used.
      log(['=======================================================', 'WARNING: The mand mount option has been deprecated and', '         and is ignored by this kernel. Remove the mand', '         option from the mount to silence this warning.', '=======================================================']),
      '[   33.603917][ T3329] WARNING: the mand mount option is being deprecated and\n',
      '[   72.159680] WARNING: /etc/ssh/moduli does not exist, using fixed modulus\n',
      '[    5.123456] WARNING: Failed to connect to lvmetad. Falling back to device scanning.\n',
      'WARNING: apt does not have a stable CLI interface.\n',
    ];
    for (const text of notices) expect(parseLinuxConsole(text), text).toEqual([]);
    const d = new LinuxConsoleDetector();
    d.push(log([line, 'next line']));
    expect(d.crashing).toBe(false);
  });

  it('gives the same title on another boot (addresses, pids, CPUs, offsets differ)', () => {
    const other = SENSOR_OOPS.replace(/ffff[0-9a-f]{12}/g, 'ffff9999aaaabbbb')
      .replace('PID: 412', 'PID: 977')
      .replace('CPU: 1', 'CPU: 0')
      .replaceAll('+0x11/0x40', '+0x15/0x48');
    const [a] = parseLinuxConsole(SENSOR_OOPS);
    const [b] = parseLinuxConsole(other);
    expect(b?.signature).toBe(a?.signature);
  });

  it('keeps the panic after an oops in the oops report', () => {
    const titles = parseLinuxConsole(SENSOR_OOPS).map((r) => r.title);
    expect(titles).not.toContain('kernel panic: Fatal exception');
  });

  it('reports a panic on its own', () => {
    const [r] = parseLinuxConsole(
      log([
        'VFS: Cannot open root device "vda1" or unknown-block(0,0): error -6',
        'Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)',
        'CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0-18-amd64 #1  Debian 6.1.76-1',
        'Call Trace:',
        ' <TASK>',
        ' dump_stack_lvl+0x44/0x5c',
        ' panic+0x118/0x2ed',
        ' mount_block_root+0x1d3/0x1e6',
        ' prepare_namespace+0x136/0x165',
        ' kernel_init_freeable+0x25c/0x286',
        ' kernel_init+0x16/0x130',
        ' ret_from_fork+0x22/0x30',
        ' </TASK>',
      ]),
    );
    expect(r).toMatchObject({ class: 'panic', title: 'kernel panic: VFS: Unable to mount root fs on unknown-block(NUM,NUM)' });
  });

  it('tells interleaved reports apart by printk caller id', () => {
    const a = log(
      [
        '------------[ cut here ]------------',
        'WARNING: CPU: 0 PID: 100 at drivers/misc/agent.c:120 agent_flush+0x3c/0x90 [agent]',
        'Modules linked in: agent(OE)',
        'CPU: 0 PID: 100 Comm: agentd Tainted: G           OE      6.1.0 #1',
        'RIP: 0010:agent_flush+0x3c/0x90 [agent]',
        'Call Trace:',
        ' <TASK>',
        ' agent_release+0x22/0x40 [agent]',
        ' __fput+0xa0/0x290',
        ' task_work_run+0x5a/0x90',
        ' </TASK>',
        '---[ end trace 0000000000000000 ]---',
      ],
      50,
      'T100',
    ).split('\n');
    const b = log(
      [
        'BUG: sleeping function called from invalid context at mm/slab.h:12',
        'in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: 200, name: probe',
        'CPU: 1 PID: 200 Comm: probe Tainted: G           OE      6.1.0 #1',
        'Call Trace:',
        ' <TASK>',
        ' dump_stack_lvl+0x44/0x5c',
        ' __might_resched.cold+0xb9/0xde',
        ' __kmalloc+0x2b3/0x3a0',
        ' probe_read_config+0x41/0xb0 [probe]',
        ' probe_open+0x19/0x60 [probe]',
        ' </TASK>',
      ],
      50.0001,
      'T200',
    ).split('\n');
    const mixed: string[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i]) mixed.push(a[i] as string);
      if (b[i]) mixed.push(b[i] as string);
    }
    const records = parseLinuxConsole(mixed.join('\n'));
    // In log order: the BUG header came first.
    expect(records.map((r) => [r.title, r.module])).toEqual([
      ['BUG: sleeping function called from invalid context in probe_read_config', 'probe'],
      ['WARNING in agent_flush', 'agent'],
    ]);
  });

  it('marks a report cut before its stack as corrupted', () => {
    const [r] = parseLinuxConsole(
      log([
        '------------[ cut here ]------------',
        'WARNING: CPU: 2 PID: 2636 at ipc/shm.c:162 shm_open+0x74/0x80',
        'Modules linked in:',
      ]),
    );
    expect(r).toMatchObject({ class: 'warning', title: 'WARNING in corrupted', function: 'shm_open', corrupted: true });
  });

  it('reports each distinct report once', () => {
    const warn = log([
      'WARNING: CPU: 0 PID: 1 at net/core/dev.c:1 dev_foo+0x1/0x2',
      'Call Trace:',
      ' dev_foo+0x1/0x2',
      ' dev_bar+0x1/0x2',
      '---[ end trace 0000000000000000 ]---',
    ]);
    expect(parseLinuxConsole(`${warn}\n${warn}\n${warn}\n`)).toHaveLength(1);
  });

  it('ignores an arm fault message that ends in no oops (a user-mode fault)', () => {
    const userFault = log([
      '8<--- cut here ---',
      'Unhandled fault: alignment exception (0x001) at 0x000008ad',
      '[000008ad] *pgd=8c7d2835, *pte=00000000, *ppte=00000000',
      'systemd[1]: Started Journal Service.',
    ]);
    expect(parseLinuxConsole(userFault)).toEqual([]);
    const d = new LinuxConsoleDetector();
    d.push(`${userFault}\n`);
    expect(d.crashing).toBe(false);
    const [r] = parseLinuxConsole(
      log([
        'Unhandled fault: page domain fault (0x01b) at 0x00000e30',
        'Internal error: : 1b [#1] PREEMPT SMP ARM',
        'PC is at arm_victim+0x4c/0x78',
        'Backtrace: ',
        '[<802b3ffc>] (arm_victim) from [<802e1324>] (arm_caller+0x6c/0x120)',
      ]),
    );
    expect(r?.title).toBe('Unhandled fault in arm_victim');
  });

  it('finds a header glued to another message by a console interleave', () => {
    const [r] = parseLinuxConsole(
      [
        '[   76.470085] syz-executor7: vmalloc: allocation failure: 34359738352 bytes[   76.471107] BUG: unable to handle kernel paging request at ffffffffa4493138',
        '[   76.471200] IP: ipcget+0x1c/0x90',
        '[   76.471300] Call Trace:',
        '[   76.471400]  ipcget+0x1c/0x90',
        '[   76.471500]  SyS_msgget+0x8e/0xc0',
      ].join('\n'),
    );
    expect(r?.title).toBe('BUG: unable to handle kernel paging request in ipcget');
  });
});

/** One minimal report per kind: header, a helper frame, the culprit, a base frame. */
const KINDS: Array<[string, string[], string, string]> = [
  [
    'general protection fault',
    ['general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] PREEMPT SMP KASAN', 'RIP: 0010:gpf_victim+0x4/0x10'],
    'general-protection',
    'general protection fault in gpf_victim',
  ],
  ['kernel BUG', ['kernel BUG at fs/ext4/inode.c:1234!', 'invalid opcode: 0000 [#1] SMP', 'RIP: 0010:ext4_bad+0x1/0x2'], 'bug', 'kernel BUG in ext4_bad'],
  ['paging fault', ['BUG: unable to handle page fault for address: ffffc90000e4b000', '#PF: supervisor write access in kernel mode', 'Oops: 0002 [#1] SMP', 'RIP: 0010:memset_orig+0x33/0xb0', 'Call Trace:', ' pager_fill+0x1/0x2'], 'paging-fault', 'BUG: unable to handle kernel paging request in pager_fill'],
  ['arm64 NULL', ['Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008', 'Internal error: Oops: 0000000096000006 [#1] PREEMPT SMP', 'pc : arm_victim+0x18/0xb8', 'Call trace:', ' arm_victim+0x18/0xb8'], 'null-deref', 'BUG: unable to handle kernel NULL pointer dereference in arm_victim'],
  ['KASAN', ['BUG: KASAN: slab-use-after-free in uaf_reader+0x1/0x2 [drv]', 'Read of size 8 at addr ffff888012345678 by task a/1', 'Call Trace:', ' kasan_report+0x1/0x2', ' uaf_reader+0x1/0x2 [drv]'], 'kasan', 'KASAN: slab-use-after-free Read in uaf_reader'],
  ['KMSAN', ['BUG: KMSAN: uninit-value in uninit_user+0x1/0x2', ' uninit_user+0x1/0x2'], 'kmsan', 'KMSAN: uninit-value in uninit_user'],
  ['KFENCE', ['BUG: KFENCE: out-of-bounds read in oob_reader+0x1/0x2', 'Out-of-bounds read at 0xffff8c3f2e291fff (1B left of kfence-#72):', ' oob_reader+0x1/0x2'], 'kfence', 'KFENCE: out-of-bounds read in oob_reader'],
  ['UBSAN', ['UBSAN: array-index-out-of-bounds in fs/jfs/jfs_dmap.c:123:4', 'index 42 is out of range for type \'s8[32]\'', 'Call Trace:', ' dump_stack_lvl+0x1/0x2', ' __ubsan_handle_out_of_bounds+0x1/0x2', ' dbAdjTree+0x1/0x2'], 'ubsan', 'UBSAN: array-index-out-of-bounds in dbAdjTree'],
  ['WARNING', ['WARNING: CPU: 0 PID: 1 at drivers/misc/agent.c:12 agent_check+0x1/0x2 [agent]', 'Call Trace:', ' __warn+0x1/0x2', ' agent_caller+0x1/0x2 [agent]'], 'warning', 'WARNING in agent_check'],
  ['circular locking', ['WARNING: possible circular locking dependency detected', '6.1.0 #1 Not tainted', '------------------------------------------------------', 'a/1 is trying to acquire lock:', 'ffff888012345678 (&dev->lock){+.+.}-{3:3}, at: dev_ioctl_locked+0x1/0x2', '', 'but task is already holding lock:', 'ffff888012345679 (&sb->s_umount){++++}-{3:3}, at: other+0x1/0x2'], 'lockdep', 'possible deadlock in dev_ioctl_locked'],
  ['inconsistent lock state', ['WARNING: inconsistent lock state', 'inconsistent {HARDIRQ-ON-W} -> {IN-HARDIRQ-W} usage.', 'a/1 [HC1[1]:SC0[0]:HE0:SE1] takes:', 'ffff888012345678 (&x->lock){?.+.}-{2:2}, at: irq_taker+0x1/0x2'], 'lockdep', 'inconsistent lock state in irq_taker'],
  ['soft lockup', ['watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [spin:123]', 'RIP: 0010:spin_forever+0x1/0x2 [spin]', 'Call Trace:', ' <TASK>', ' spin_ioctl+0x1/0x2 [spin]', ' __x64_sys_ioctl+0x1/0x2'], 'soft-lockup', 'BUG: soft lockup in spin_forever'],
  ['hard lockup', ['NMI watchdog: Watchdog detected hard LOCKUP on cpu 1', 'RIP: 0010:irqoff_loop+0x1/0x2', 'Call Trace:', ' irqoff_loop+0x1/0x2', ' kthread+0x1/0x2'], 'hard-lockup', 'BUG: hard lockup in irqoff_loop'],
  ['hung task', ['INFO: task agentd:321 blocked for more than 120 seconds.', '      Tainted: G           OE      6.1.0-18-amd64 #1', 'Call Trace:', ' <TASK>', ' __schedule+0x1/0x2', ' schedule+0x1/0x2', ' schedule_timeout+0x1/0x2', ' wait_for_completion+0x1/0x2', ' agent_drain+0x1/0x2 [agent]'], 'hung-task', 'INFO: task hung in agent_drain'],
  ['RCU stall', ['rcu: INFO: rcu_preempt self-detected stall on CPU', 'Call Trace:', ' <IRQ>', ' dump_stack_lvl+0x1/0x2', ' rcu_sched_clock_irq+0x1/0x2', ' update_process_times+0x1/0x2', ' sysvec_apic_timer_interrupt+0x1/0x2', ' </IRQ>', ' <TASK>', ' asm_sysvec_apic_timer_interrupt+0x1/0x2', 'RIP: 0010:busy_inner+0x1/0x2', ' busy_outer+0x1/0x2', ' do_vfs_ioctl+0x1/0x2'], 'rcu-stall', 'INFO: rcu detected stall in busy_outer'],
  ['divide error', ['divide error: 0000 [#1] PREEMPT SMP KASAN', 'RIP: 0010:tabledist+0x1/0x2'], 'divide-error', 'divide error in tabledist'],
  ['6.x Oops-prefixed divide error', ['Oops: divide error: 0000 [#1] PREEMPT SMP KASAN NOPTI', 'RIP: 0010:tabledist+0x1/0x2'], 'divide-error', 'divide error in tabledist'],
  ['double fault', ['PANIC: double fault, error_code: 0x0', 'RIP: 0010:recurse+0x1/0x2', 'Call Trace:', ' recurse+0x1/0x2'], 'double-fault', 'PANIC: double fault in recurse'],
  ['invalid opcode', ['invalid opcode: 0000 [#1] SMP', 'RIP: 0010:ud2_here+0x1/0x2'], 'invalid-opcode', 'invalid opcode in ud2_here'],
  ['stack protector', ['Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: smash_it+0x1a/0x20', 'Call Trace:', ' __stack_chk_fail+0x1/0x2', ' smash_it+0x1/0x2'], 'stack-corruption', 'kernel panic: stack is corrupted in smash_it'],
  ['kmemleak', ['unreferenced object 0xffff888100a1b200 (size 64):', '  comm "insmod", pid 412, jiffies 4294893416 (age 10.020s)', '  backtrace:', '    [<ffffffff8132a1b1>] kmalloc_trace+0x21/0x90', '    [<ffffffffc0a4d04a>] sensor_alloc_table+0x1a/0x40 [sensor]'], 'memory-leak', 'memory leak in sensor_alloc_table'],
];

describe('crash kinds', () => {
  it.each(KINDS)('%s', (_name, lines, cls, title) => {
    const records = parseLinuxConsole(log(lines));
    expect(records[0]).toMatchObject({ class: cls, title });
    for (const r of records) expect(crashRecordSchema.safeParse(r).success).toBe(true);
  });
});

describe('LinuxConsoleDetector', () => {
  it('gives the same records for any chunking, and flags crashing at the header', () => {
    const whole = parseLinuxConsole(SENSOR_OOPS);
    for (const size of [1, 7, 64, 4096]) {
      const d = new LinuxConsoleDetector();
      const got = [];
      let crashingAt = -1;
      for (let i = 0; i < SENSOR_OOPS.length; i += size) {
        got.push(...d.push(SENSOR_OOPS.slice(i, i + size)));
        if (crashingAt < 0 && d.crashing) crashingAt = i + size;
      }
      got.push(...d.end());
      expect(got).toEqual(whole);
      const header = SENSOR_OOPS.indexOf('BUG: kernel NULL');
      expect(crashingAt).toBeGreaterThan(header);
      expect(crashingAt).toBeLessThan(header + 100 + size);
    }
  });

  it('returns a report as soon as its end marker arrives', () => {
    const d = new LinuxConsoleDetector();
    const upToEnd = SENSOR_OOPS.slice(0, SENSOR_OOPS.lastIndexOf('\n', SENSOR_OOPS.indexOf('---[ end trace')) + 1);
    expect(d.push(upToEnd)).toEqual([]);
    expect(d.crashing).toBe(true);
    expect(d.push('[   12.400000] ---[ end trace 0000000000000000 ]---\n').map((r) => r.function)).toEqual([
      'sensor_parse_channel',
    ]);
    expect(d.end()).toEqual([]);
  });

  it('is not crashing on a clean boot', () => {
    const d = new LinuxConsoleDetector();
    d.push(CLEAN_BOOT);
    expect(d.crashing).toBe(false);
    expect(d.end()).toEqual([]);
  });

  it('bounds a line that never ends', () => {
    const d = new LinuxConsoleDetector();
    for (let i = 0; i < 300; i++) d.push('x'.repeat(1000));
    expect(d.end()).toEqual([]);
  });

  it('keeps a long report bounded (excerpt of at most 120 lines)', () => {
    const lines = ['INFO: task agentd:321 blocked for more than 120 seconds.', 'Call Trace:', ' agent_drain+0x1/0x2'];
    for (let i = 0; i < 5000; i++) lines.push(` filler_${i}+0x1/0x2`);
    const [r] = parseLinuxConsole(log(lines));
    expect(r?.title).toBe('INFO: task hung in agent_drain');
    expect(r?.excerpt?.split('\n').length).toBeLessThanOrEqual(120);
  });

  it('reports a reboot nobody explains, unless asked not to', () => {
    const rebooted = `${log(['Run /init as init process', 'systemd[1]: Started Journal Service.'], 5)}\nSeaBIOS (version 1.16.2-debian-1.16.2-1)\nBooting from Hard Disk...\n${log(['Linux version 6.1.0-18-amd64'], 0)}\n`;
    expect(parseLinuxConsole(rebooted)).toMatchObject([{ class: 'unknown', title: 'unexpected kernel reboot' }]);
    expect(parseLinuxConsole(rebooted, { reboots: false })).toEqual([]);
    // A reboot after a panic is that panic's doing.
    expect(parseLinuxConsole(`${SENSOR_OOPS}Rebooting in 10 seconds..\nSeaBIOS (version 1.16.2)\n`).map((r) => r.class)).toEqual([
      'null-deref',
    ]);
    // Firmware and decompressor lines before the first kernel message are a normal boot.
    expect(parseLinuxConsole(`SeaBIOS (version 1.16.2)\nBooting from Hard Disk...\nDecompressing Linux... Parsing ELF... done.\n${CLEAN_BOOT}`)).toEqual([]);
  });
});

describe('console lines', () => {
  it('splits time stamp and caller id off', () => {
    expect(splitConsoleLine('[  147.467058][T10579] foo: bar')).toEqual({
      raw: '[  147.467058][T10579] foo: bar',
      body: 'foo: bar',
      caller: 'T10579',
      time: 147.467058,
    });
    expect(splitConsoleLine('[   36.852785][    C1]  dump_stack+0x1/0x2').body).toBe(' dump_stack+0x1/0x2');
    expect(splitConsoleLine('<6>[   85.501187] WARNING: foo').body).toBe('WARNING: foo');
    expect(splitConsoleLine('plain text')).toEqual({ raw: 'plain text', body: 'plain text' });
  });

  it('splits a line holding two printk records', () => {
    expect(splitAtTimestamps('[ 1.000000] a[ 2.000000] b')).toEqual(['[ 1.000000] a', '[ 2.000000] b']);
    expect(splitAtTimestamps('** 12 printk messages dropped ** [   60.095515] CPU: 1')).toEqual([
      '** 12 printk messages dropped ** ',
      '[   60.095515] CPU: 1',
    ]);
    expect(splitAtTimestamps(' [<ffffffff81e162ed>] dump_stack+0xc1/0x124')).toHaveLength(1);
  });
});

describe('frames', () => {
  it('parses the stack-trace line shapes', () => {
    expect(parseFrame(' sensor_init+0x3a/0x1000 [sensor]')).toEqual({ fn: 'sensor_init', module: 'sensor', unreliable: false });
    expect(parseFrame(' ? __die+0x23/0x70')).toEqual({ fn: '__die', unreliable: true });
    expect(parseFrame(' [<ffffffff8343632e>] ip6_xmit.isra.3+0x18ae/0x1a00')).toEqual({ fn: 'ip6_xmit', unreliable: false });
    expect(parseFrame(' call_read_iter include/linux/fs.h:2193 [inline]')).toEqual({ fn: 'call_read_iter', unreliable: false });
    expect(parseFrame(' vfs_read+0x2d4/0x448 fs/read_write.c:470')?.fn).toBe('vfs_read');
    expect(parseFrame('[<802e12b8>] (trace_hardirqs_off) from [<80100a74>] (__dabt_svc+0x54/0xa0)')).toEqual({
      fn: 'trace_hardirqs_off',
      unreliable: false,
      caller: { fn: '__dabt_svc', unreliable: false },
    });
    expect(parseFrame('hardirqs last  enabled at (13885652): [<ffffffff878009d5>] restore_regs+0x0/0x2b')).toBeNull();
    expect(parseFrame('RSP: 0018:ffffb3a4c05dbd70 EFLAGS: 00010246')).toBeNull();
  });

  it('reads instruction pointers', () => {
    expect(parseIpLine('RIP: 0010:sensor_parse_channel+0x11/0x40 [sensor]')).toEqual({
      kind: 'kernel',
      frame: { fn: 'sensor_parse_channel', module: 'sensor', unreliable: false },
    });
    expect(parseIpLine('RIP: 0033:0x7f3b8e2d6f29')).toEqual({ kind: 'user' });
    expect(parseIpLine('pc : unlock_page+0x18/0xb8 mm/folio-compat.c:20')).toMatchObject({ frame: { fn: 'unlock_page' } });
    expect(parseIpLine('PC is at dup_fd+0x154/0x39c')).toMatchObject({ frame: { fn: 'dup_fd' } });
    expect(parseIpLine(' dump_stack+0x1/0x2')).toBeNull();
  });

  it('skips helpers but not culprits', () => {
    for (const fn of ['printk', 'dump_stack_lvl', 'panic', '__warn', 'kasan_report', '__asan_load8', 'memcpy', '_raw_spin_lock_irqsave', '__might_sleep', 'mutex_lock_nested', 'schedule_timeout', 'refcount_warn_saturate']) {
      expect(isHelperFrame(fn), fn).toBe(true);
    }
    for (const fn of ['sensor_parse_channel', 'ext4_fill_super', 'tcp_sendmsg', 'kvm_vcpu_ioctl', 'do_one_initcall']) {
      expect(isHelperFrame(fn), fn).toBe(false);
    }
  });

  it('blames the caller of a retpoline or return thunk', () => {
    for (const fn of ['__x86_indirect_thunk_rax', '__x86_indirect_thunk_r13', '__x86_indirect_call_thunk_array', '__x86_return_thunk', '__pfx_sensor_init']) {
      expect(isHelperFrame(fn), fn).toBe(true);
    }
    // A call through a bad function pointer faults inside the thunk (5.x-6.x RIP shape).
    const [r] = parseLinuxConsole(
      log([
        'general protection fault, probably for non-canonical address 0x4141414141414141: 0000 [#1] PREEMPT SMP NOPTI',
        'CPU: 0 PID: 412 Comm: insmod Tainted: G           OE      6.1.0-18-amd64 #1  Debian 6.1.76-1',
        'RIP: 0010:__x86_indirect_thunk_rax+0x3/0x5',
        'Call Trace:',
        ' <TASK>',
        ' sensor_dispatch+0x2a/0x60 [sensor]',
        ' sensor_init+0x3a/0x1000 [sensor]',
        ' do_one_initcall+0x5b/0x320',
        ' </TASK>',
      ]),
    );
    expect(r).toMatchObject({ title: 'general protection fault in sensor_dispatch', function: 'sensor_dispatch', module: 'sensor' });
  });

  it('names a system call the same on every kernel', () => {
    const cases: [string, string][] = [
      ['__x64_sys_rmdir', 'sys_rmdir'],
      ['__ia32_sys_inotify_init', 'sys_inotify_init'],
      ['__se_sys_openat2', 'sys_openat2'],
      ['__do_sys_finit_module', 'sys_finit_module'],
      ['SyS_sendto', 'sys_sendto'],
      ['__ia32_compat_sys_sendmmsg', 'compat_sys_sendmmsg'],
      ['__arm64_sys_ioctl', 'sys_ioctl'],
      ['sys_openat2', 'sys_openat2'],
      ['sysfs_create_file', 'sysfs_create_file'],
      ['x64_sys_call', 'x64_sys_call'],
    ];
    for (const [fn, name] of cases) expect(syscallName(fn), fn).toBe(name);
  });
});

describe('headers, taint, titles', () => {
  it('ignores look-alikes', () => {
    for (const line of [
      'Spectre V2 : WARNING: Unprivileged eBPF is enabled',
      'traps: a[1] general protection fault ip:7f sp:7f error:0 in a[7f+1]',
      'INFO: NMI handler (perf_event_nmi_handler) took too long to run: 2.277 msecs',
      'a[1]: segfault at 4cb420 ip 00000000004cb420 sp 00007f27fd37a250 error 15',
      '*** stack smashing detected ***: terminated',
      'Alignment trap: syz-executor (1234) PC=0x00010000 Instr=0xe5900000 Address=0x00000001 FSR 0x001',
    ]) {
      expect(matchHeader(line), line).toBeNull();
    }
  });

  it('reads taint flags', () => {
    expect(parseTaint('CPU: 1 PID: 412 Comm: insmod Tainted: G           OE      6.1.0-18-amd64 #1')).toBe('OE');
    expect(parseTaint('CPU: 1 PID: 7148 Comm: a Tainted: G    B           4.4.104-ged884eb #2')).toBe('B');
    expect(parseTaint('CPU: 0 PID: 1 Comm: a Tainted: P        W  O      5.10.0 #1')).toBe('PWO');
    expect(parseTaint('CPU: 0 PID: 1 Comm: a Not tainted 6.1.0 #1')).toBe('');
    expect(parseTaint('Hardware name: QEMU')).toBeUndefined();
  });

  it('strips numbers and addresses from messages', () => {
    expect(normalizeMessage('Attempted to kill init! exitcode=0x0000000b')).toBe('Attempted to kill init! exitcode=ADDR');
    expect(normalizeMessage('Freed in fasync_free_rcu+0x14/0x20 age=624 cpu=0 pid=3')).toBe(
      'Freed in fasync_free_rcu age=NUM cpu=NUM pid=NUM',
    );
  });
});
