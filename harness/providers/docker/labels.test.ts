import { describe, expect, it } from 'vitest';
import { LABEL, labelsOf, ownerState, runIdOf } from './labels.js';

const owner = { pid: 4242, pidStart: '777', host: 'lab1', bootId: 'b-1' };
const here = { host: 'lab1', bootId: 'b-1' };

describe('labels', () => {
  it('name the run (the machine name up to its first dot), the machine and the owner', () => {
    expect(runIdOf('quickstart-20261129-214748-6b25.debian-6.1-generic__sensor-2.1.0__content-290')).toBe('quickstart-20261129-214748-6b25');
    expect(labelsOf('r1.cell', owner)).toEqual({ bootgate: '1', 'bootgate.run': 'r1', 'bootgate.machine': 'r1.cell', 'bootgate.pid': '4242', 'bootgate.pid-start': '777', 'bootgate.host': 'lab1', 'bootgate.boot-id': 'b-1' });
  });
});

describe('ownerState', () => {
  const labels = labelsOf('r1.cell', owner);
  it('alive while the owner (same pid and start time) runs on this host, in this boot', () => {
    expect(ownerState(labels, here, (pid, start) => pid === 4242 && start === '777')).toBe('alive');
  });
  it('gone when the process is gone, or the host rebooted since', () => {
    expect(ownerState(labels, here, () => false)).toBe('gone');
    expect(ownerState(labels, { ...here, bootId: 'b-2' }, () => true)).toBe('gone');
    expect(ownerState({ ...labels, [LABEL.pid]: 'x' }, here, () => true)).toBe('gone');
  });
  it('elsewhere for another host\'s containers and unlabelled ones: never reaped here', () => {
    expect(ownerState(labels, { ...here, host: 'lab2' }, () => false)).toBe('elsewhere');
    expect(ownerState({}, here, () => false)).toBe('elsewhere');
  });
});
