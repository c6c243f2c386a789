import { describe, expect, it } from 'vitest';
import { modulesInListing } from './in-tree.js';

describe('modules in a kernel package listing', () => {
  it('maps module names to paths of that release only, compressed or not, - and _ alike', () => {
    const listing = [
      'drwxr-xr-x root/root         0 2026-11-16 10:17 ./lib/modules/6.1.0-56-amd64/kernel/lib/',
      '-rw-r--r-- root/root   4793585 2026-11-16 10:17 ./lib/modules/6.1.0-56-amd64/kernel/lib/test_bpf.ko',
      '-rw-r--r-- root/root     45072 2026-11-14 12:56 ./usr/lib/modules/6.1.0-56-amd64/kernel/drivers/net/virtio-net.ko.xz',
      '-rw-r--r-- root/root     45072 2026-11-14 12:56 ./lib/modules/6.1.0-55-amd64/kernel/drivers/net/failover.ko',
      '-rw-r--r-- root/root      1234 2026-11-14 12:56 ./lib/modules/6.1.0-56-amd64/modules.builtin',
    ].join('\n');
    const m = modulesInListing(listing, '6.1.0-56-amd64');
    expect([...m.entries()]).toEqual([
      ['test_bpf', './lib/modules/6.1.0-56-amd64/kernel/lib/test_bpf.ko'],
      ['virtio_net', './usr/lib/modules/6.1.0-56-amd64/kernel/drivers/net/virtio-net.ko.xz'],
    ]);
  });
});
