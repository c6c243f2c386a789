import { describe, expect, it } from 'vitest';
import { warmRestartOf } from './warm-reboot.js';

describe('warmRestartOf', () => {
  const qemu = (accel: 'kvm' | 'tcg') => ({ accel, canExitAtReset: true });
  it('auto: a new process under TCG, a reset in place under KVM', () => {
    expect(warmRestartOf('auto', qemu('tcg'), true)).toBe('new-process');
    expect(warmRestartOf('auto', qemu('kvm'), true)).toBe('reset');
  });
  it('a suite may ask for either', () => {
    expect(warmRestartOf('reset', qemu('tcg'), true)).toBe('reset');
    expect(warmRestartOf('new-process', qemu('kvm'), true)).toBe('new-process');
  });
  it('resets in place a machine that cannot end at a reset, or a guest that keeps more than its disk', () => {
    expect(warmRestartOf('new-process', { accel: 'tcg', canExitAtReset: false }, true)).toBe('reset');
    expect(warmRestartOf('auto', qemu('tcg'), false)).toBe('reset');
    expect(warmRestartOf('new-process', qemu('tcg'), false)).toBe('reset');
  });
});
