import { describe, expect, it } from 'vitest';
import { loadOrder, moduleName, parseModulesDep } from './module-order.js';

// Lines as Debian 6.1's depmod writes them.
const DEP = `kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
kernel/net/core/failover.ko:
kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_ring.ko:
kernel/fs/ext4/ext4.ko.xz: kernel/lib/crc16.ko.xz kernel/fs/mbcache.ko.xz kernel/fs/jbd2/jbd2.ko.xz
kernel/lib/crc16.ko.xz:
kernel/fs/mbcache.ko.xz:
kernel/fs/jbd2/jbd2.ko.xz:
kernel/drivers/misc/pvpanic/pvpanic-mmio.ko: kernel/drivers/misc/pvpanic/pvpanic.ko
kernel/drivers/misc/pvpanic/pvpanic.ko:
`;

describe('module load order', () => {
  const deps = parseModulesDep(DEP);
  it('loads every dependency before its user', () => {
    const order = loadOrder(deps, ['virtio_net']);
    const i = (m: string) => order.findIndex((p) => p.includes(`/${m}.ko`));
    expect(order).toHaveLength(5);
    expect(i('virtio_ring')).toBeLessThan(i('virtio'));
    expect(i('virtio')).toBeLessThan(i('virtio_net'));
    expect(i('failover')).toBeLessThan(i('net_failover'));
    expect(order.at(-1)).toBe('kernel/drivers/net/virtio_net.ko');
  });
  it('folds dashes and compressed suffixes into module names', () => {
    expect(moduleName('kernel/drivers/misc/pvpanic/pvpanic-mmio.ko')).toBe('pvpanic_mmio');
    expect(moduleName('kernel/fs/ext4/ext4.ko.xz')).toBe('ext4');
    expect(loadOrder(deps, ['pvpanic_mmio', 'ext4']).map(moduleName)).toEqual(['pvpanic', 'pvpanic_mmio', 'jbd2', 'mbcache', 'crc16', 'ext4']);
  });
  it('names a module that is not there', () => {
    expect(() => loadOrder(deps, ['virtio_blk'])).toThrow(/virtio_blk is not in this kernel/);
  });
});
