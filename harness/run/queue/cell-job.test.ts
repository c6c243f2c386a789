import { describe, expect, it } from 'vitest';
import { forwardedEvent, jobIdOf, needsOf, queueNameOf, queuesServed } from './cell-job.js';
import { defaultCapabilities, parseCapabilities } from './capabilities.js';
import { parseQueueUrl, queueUrlOf, redactQueueUrl } from './queue-url.js';
import { unpackTarget } from './cell-files.js';

describe('cell jobs', () => {
  it('ids a job by run and cell, without the colon BullMQ refuses', () => {
    const id = jobIdOf('quickstart-20261129-214538-02af', 'debian-6.1-generic__sensor-2.1.0__content-291@repeat-2');
    expect(id).toBe('quickstart-20261129-214538-02af/debian-6.1-generic__sensor-2.1.0__content-291@repeat-2');
    expect(id).not.toContain(':');
  });

  it('routes a cell to the queue of what it needs, and a worker to the queues it covers', () => {
    expect(needsOf({ os: 'linux', memoryMiB: 512 })).toEqual({ caps: ['x86_64'], memoryMiB: 512 });
    expect(needsOf({ os: 'windows', memoryMiB: 4096 }).caps).toEqual(['windows', 'x86_64']);
    expect(queueNameOf(['x86_64', 'windows'])).toBe('bootgate.windows.x86_64');
    expect(queuesServed(['kvm', 'x86_64'])).toEqual(['bootgate.x86_64']);
    expect(queuesServed(['windows', 'x86_64'])).toEqual(['bootgate.x86_64', 'bootgate.windows.x86_64']);
    // A Linux-only worker is never offered a Windows cell.
    expect(queuesServed(['x86_64'])).not.toContain(queueNameOf(needsOf({ os: 'windows', memoryMiB: 1 }).caps));
    expect(queuesServed(['arm64'])).toEqual(['bootgate.arm64']);
    // An arm64 image goes to workers that name arm64 (an arm64 host, or an x86 one under TCG), never to x86_64 alone.
    expect(needsOf({ os: 'linux', memoryMiB: 512, arch: 'arm64' }).caps).toEqual(['arm64']);
    expect(queuesServed(['x86_64'])).not.toContain(queueNameOf(needsOf({ os: 'linux', memoryMiB: 1, arch: 'arm64' }).caps));
    expect(queuesServed(['arm64', 'x86_64'])).toContain('bootgate.arm64');
  });

  it("forwards a cell's own events, not the worker's run-start, prepare lines or cell-end", () => {
    expect(forwardedEvent({ type: 'cycle-start', cell: 'c', phase: 'agent', index: 1, kind: 'warm' })).toBe(true);
    expect(forwardedEvent({ type: 'prepare', message: 'x' })).toBe(false);
    expect(forwardedEvent({ type: 'run-end', runDir: 'x', verdict: 'pass', exitCode: 0 })).toBe(false);
  });
});

describe('capabilities', () => {
  it('parses known names and wants an architecture', () => {
    expect(parseCapabilities('x86_64,kvm,kvm')).toEqual(['kvm', 'x86_64']);
    expect(() => parseCapabilities('kvm')).toThrow(/architecture/);
    expect(() => parseCapabilities('x86_64,gpu')).toThrow(/unknown capability gpu/);
  });
  it('defaults to the host architecture, and kvm when KVM works', () => {
    expect(defaultCapabilities('x64', 'KVM')).toEqual(['kvm', 'x86_64']);
    expect(defaultCapabilities('x64', 'TCG (software emulation): /dev/kvm is missing')).toEqual(['x86_64']);
  });
});

describe('queue URLs', () => {
  it('takes redis:// and rediss:// only', () => {
    expect(parseQueueUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(() => parseQueueUrl('http://x:1')).toThrow(/not a Redis URL/);
    expect(() => parseQueueUrl('127.0.0.1:6379')).toThrow();
    expect(() => parseQueueUrl('redis://h:1/queue')).toThrow(/database number/);
  });
  it('keeps no password in run.json, and a resume asks for it again', () => {
    expect(redactQueueUrl('redis://:s3cret@h:6379/2')).toBe('redis://:***@h:6379/2');
    expect(queueUrlOf(undefined, 'redis://h:1')).toBe('redis://h:1');
    expect(queueUrlOf('redis://other:2', 'redis://h:1')).toBe('redis://other:2');
    expect(() => queueUrlOf(undefined, 'redis://:***@h:1')).toThrow(/password/);
    expect(queueUrlOf(undefined, undefined)).toBeUndefined();
  });
});

describe("a worker's files", () => {
  it("are written inside the cell's folder only", () => {
    expect(unpackTarget('/r', 'c', 'cells/c/agent-1.log')).toBe('/r/cells/c/agent-1.log');
    expect(unpackTarget('/r', 'c', 'cells/c/../d/x.log')).toBeUndefined();
    expect(unpackTarget('/r', 'c', '../../etc/passwd')).toBeUndefined();
    expect(unpackTarget('/r', 'c', 'cells/c')).toBeUndefined();
  });
});
