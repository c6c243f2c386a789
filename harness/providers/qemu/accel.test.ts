import { describe, expect, it } from 'vitest';
import { chooseAccel } from './accel.js';

describe('chooseAccel', () => {
  it('runs a guest of another architecture than the host under TCG, without probing KVM', async () => {
    if (process.env.BOOTGATE_ACCEL) return;
    expect(await chooseAccel('arm64', 'x64')).toEqual({ accel: 'tcg', why: 'TCG (software emulation): arm64 guests on an amd64 host' });
    expect((await chooseAccel('amd64', 'arm64')).accel).toBe('tcg');
  });
});
