import { describe, expect, it } from 'vitest';
import { bindsOf, writableIn } from './mounts.js';

describe('bindsOf', () => {
  it('mounts writable folders and the folders of read-only files, each once, none inside another', () => {
    const b = bindsOf({
      writable: ['/tmp/bootgate-cell-r-1', '/tmp/bootgate-cell-r-1/vm/..'],
      readOnlyFiles: ['/cache/images/g/state.qcow2', '/cache/images/g/vmlinuz', '/cache/images/g/sub/initrd', '/tmp/bootgate-cell-r-1/disk.qcow2', '/tmp/bootgate-cell-r-2/state/state.bin'],
    });
    expect(b).toEqual([
      { dir: '/tmp/bootgate-cell-r-1', readOnly: false },
      { dir: '/cache/images/g', readOnly: true },
      { dir: '/tmp/bootgate-cell-r-2/state', readOnly: true },
    ]);
  });

  it('does not take a folder for one inside it by a common prefix', () => {
    expect(bindsOf({ writable: ['/tmp/a'], readOnlyFiles: ['/tmp/ab/x'] })).toEqual([
      { dir: '/tmp/a', readOnly: false },
      { dir: '/tmp/ab', readOnly: true },
    ]);
  });
});

describe('writableIn', () => {
  it('is true only inside a writable mount', () => {
    const b = [{ dir: '/tmp/c', readOnly: false }, { dir: '/cache', readOnly: true }];
    expect(writableIn(b, '/tmp/c/state/state.bin')).toBe(true);
    expect(writableIn(b, '/cache/state.bin')).toBe(false);
    expect(writableIn(b, '/tmp/cc/state.bin')).toBe(false);
  });
});
