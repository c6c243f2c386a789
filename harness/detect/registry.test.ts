import { describe, expect, it } from 'vitest';
import { bootDetectorFor } from './registry.js';

describe('boot detectors, one per guest OS', () => {
  it('linux: reads oopses from the console as it streams; the panic event alone carries nothing', () => {
    const d = bootDetectorFor('linux');
    const console = [
      '[    5.100000] BUG: kernel NULL pointer dereference, address: 0000000000000008\n',
      '[    5.100100] #PF: supervisor read access in kernel mode\n',
      '[    5.100300] Oops: 0000 [#1] PREEMPT SMP NOPTI\n',
      '[    5.100400] CPU: 0 PID: 1 Comm: modprobe Tainted: G           OE      6.1.0-56-amd64 #1  Debian 6.1.192-2\n',
      '[    5.100500] RIP: 0010:sensor_parse_channel+0x4d/0x120 [sensor]\n',
      '[    5.100600] Call Trace:\n',
      '[    5.100700]  <TASK>\n',
      '[    5.100800]  sensor_init+0x3a/0x1000 [sensor]\n',
      '[    5.100900]  do_one_initcall+0x44/0x200\n',
      '[    5.101000]  </TASK>\n',
      '[    5.101100] Kernel panic - not syncing: Fatal exception\n',
    ];
    const records = [...console.flatMap((l) => d.push(l)), ...d.end()];
    expect(records[0]).toMatchObject({ os: 'linux', class: 'null-deref', title: 'BUG: kernel NULL pointer dereference in sensor_parse_channel', module: 'sensor' });
    expect(d.fromPanicEvent({ action: 'pause' })).toBeUndefined();
  });

  it('windows: the bugcheck comes with the panic event (Hyper-V crash registers); the console says nothing', () => {
    const d = bootDetectorFor('windows');
    expect(d.push('BdsDxe: loading Boot0004 "Windows Boot Manager"\r\n')).toEqual([]);
    const r = d.fromPanicEvent({ action: 'pause', info: { type: 'hyper-v', arg1: 0x50, arg2: '0xffffc00123456789', arg3: 2, arg4: '0xfffff80112345678', arg5: 0 } });
    expect(r).toMatchObject({ os: 'windows', source: 'hyperv-crash', class: 'bugcheck', code: '0x00000050', name: 'PAGE_FAULT_IN_NONPAGED_AREA' });
    expect(d.fromPanicEvent({ action: 'pause' })).toBeUndefined(); // pvpanic: no detail
  });

  it('gives a fresh detector per boot: nothing carries over', () => {
    const a = bootDetectorFor('linux');
    a.push('[    1.000000] BUG: unable to handle page fault for address: ffff888000000000\n');
    expect(bootDetectorFor('linux').end()).toEqual([]);
  });
});
