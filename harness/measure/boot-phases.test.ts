import { describe, expect, it } from 'vitest';
import { bootPhases, phaseMarks } from './boot-phases.js';

const LOG = `[    5.298879] reboot: Restarting system\r
bootgate-phase init uptime=2.74\r
bootgate-phase agent-load module=sensor uptime=3.78\r
[    3.800366] sensor: loading out-of-tree module taints kernel.\r
bootgate-ready boot_id=d55db324-7897-4699-837f-897f1f3c5ac0 uptime=3.94\r
`;

describe('boot phases', () => {
  it('splits a boot into firmware, kernel, init, agent and the ready check', () => {
    const marks = phaseMarks(LOG);
    expect([...marks]).toEqual([['init', 2740], ['agent-load', 3780]]);
    expect(bootPhases({ marks, readyUptimeMs: 3940, bootMs: 7100, readyMs: 7400 })).toEqual({
      firmwareMs: 3160, kernelMs: 2740, initMs: 1200, agentToReadyMs: 160, readyCheckMs: 300,
    });
  });
  it('splits the time before the kernel at the set-up code\'s line, when it came in order', () => {
    expect(bootPhases({ marks: new Map(), readyUptimeMs: 3940, bootMs: 7100, setupMs: 900 })).toMatchObject({ firmwareMs: 900, decompressMs: 2260 });
    // A set-up line timed after the kernel's clock started (a loaded host) splits nothing.
    const late = bootPhases({ marks: new Map(), readyUptimeMs: 3940, bootMs: 7100, setupMs: 3500 });
    expect(late.firmwareMs).toBe(3160);
    expect(late.decompressMs).toBeUndefined();
  });
  it('leaves out what the console did not say', () => {
    expect(bootPhases({ marks: new Map(), readyUptimeMs: 3000 })).toEqual({});
  });
});
