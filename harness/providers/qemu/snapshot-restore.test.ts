import { describe, expect, it } from 'vitest';
import type { MachineSpec } from '../provider.js';
import { restoreKeyMismatch, restoreKeyOf } from './snapshot-restore.js';

const spec: MachineSpec = {
  name: 'base',
  workDir: '/w/vm',
  disk: '/w/disk.qcow2',
  boot: { kind: 'direct-kernel', kernel: '/img/vmlinuz', initrd: '/img/initrd', args: ['oops=panic'] },
  memoryMiB: 512,
  cpus: 1,
  guestSshPort: 22,
  generationId: true,
};

describe('restore key', () => {
  it('ignores what a restore has of its own: name, scratch folder, disk, the state it starts from', () => {
    const other = restoreKeyOf({ ...spec, name: 'cell-7', workDir: '/x', disk: '/x/overlay.qcow2', restoreFrom: '/s/state.bin' }, 'tcg');
    expect(restoreKeyMismatch(restoreKeyOf(spec, 'tcg'), other)).toEqual([]);
  });

  it('names every field that would not load, or would load into another machine', () => {
    const saved = restoreKeyOf(spec, 'tcg');
    const wanted = restoreKeyOf({ ...spec, memoryMiB: 1024, generationId: false, boot: { ...spec.boot, args: ['oops=panic', 'quiet'] } as MachineSpec['boot'] }, 'kvm');
    const diff = restoreKeyMismatch(saved, wanted);
    expect(diff.map((d) => d.split(':')[0])).toEqual(['accel', 'memoryMiB', 'generationId', 'boot']);
    expect(diff[1]).toBe('memoryMiB: 512 -> 1024');
  });

  it('keeps the instruction clock only where QEMU runs it: under TCG', () => {
    expect(restoreKeyOf({ ...spec, instructionClock: true }, 'tcg').instructionClock).toBe(true);
    expect(restoreKeyOf({ ...spec, instructionClock: true }, 'kvm').instructionClock).toBe(false);
    const d = restoreKeyMismatch(restoreKeyOf({ ...spec, instructionClock: true }, 'tcg'), restoreKeyOf(spec, 'tcg'));
    expect(d).toEqual(['instructionClock: true -> false']);
  });
});
