import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Machine, MachineEvent } from '../providers/provider.js';
import { RescueConsole, RescueConsoleError, markedLine, markerStatus } from './rescue-console.js';

/**
 * A console as a serial tty shows it: every typed line is echoed as typed; a shell that is up
 * (after `upAfter` lines were typed) runs it the way sh would for these lines: the marker's
 * $((0x2a)) becomes 42 and $? the status of `false` or anything else.
 */
class FakeConsoleMachine implements Machine {
  readonly id = 'fake';
  readonly accel = 'tcg' as const;
  readonly ssh = { host: '127.0.0.1', port: 1 };
  readonly startedAt = Date.now();
  readonly running = true;
  readonly typed: string[] = [];
  private readonly bus = new EventEmitter();
  constructor(private readonly upAfter: number) {}
  onConsole(cb: (c: string) => void) {
    this.bus.on('c', cb);
    return () => this.bus.off('c', cb);
  }
  onEvent(cb: (e: MachineEvent) => void) {
    this.bus.on('e', cb);
    return () => this.bus.off('e', cb);
  }
  emit(e: MachineEvent) {
    this.bus.emit('e', e);
  }
  writeConsole(text: string) {
    this.typed.push(text);
    setImmediate(() => {
      this.bus.emit('c', text);
      if (this.typed.length <= this.upAfter) return;
      const m = /^(.*); echo "bootgate-rescue \$\(\(0x2a\)\) (\S+) rc=\$\?"\n$/.exec(text)!;
      this.bus.emit('c', `# bootgate-rescue 42 ${m[2]} rc=${m[1]!.endsWith('false') ? 1 : 0}\n`);
    });
  }
  async hostReset() {}
  async dispose() {}
}

const signal = new AbortController().signal;

describe('typing at a rescue shell on the serial console', () => {
  it('marks a line so that only the shell\'s output matches, never the echo of the typed line', () => {
    const line = markedLine('rm -f /etc/x', 'removed');
    expect(line).toBe('rm -f /etc/x; echo "bootgate-rescue $((0x2a)) removed rc=$?"\n');
    expect(markerStatus(line, 'removed')).toBeUndefined();
    expect(markerStatus(`${line}# bootgate-rescue 42 removed rc=2\n`, 'removed')).toBe(2);
    expect(markerStatus('# bootgate-rescue 42 shell rc=0\n', 'removed')).toBeUndefined();
  });

  it('types again until the shell answers, then reports the status of a command typed once', async () => {
    const m = new FakeConsoleMachine(2);
    const c = new RescueConsole(m);
    expect(await c.run('true', 'shell', { deadline: Date.now() + 20_000, retypeMs: 1, signal })).toBe(0);
    expect(m.typed.length).toBe(3);
    expect(await c.run('mount -o remount,rw / && false', 'removed', { deadline: Date.now() + 5000, retypeMs: 0, signal })).toBe(1);
    expect(m.typed.length).toBe(4);
    c.close();
  });

  it('gives up when the guest panics, when no answer comes in time, and on a console that cannot be typed on', async () => {
    const m = new FakeConsoleMachine(99);
    const c = new RescueConsole(m);
    setTimeout(() => m.emit({ type: 'panic', action: 'pause', at: Date.now() }), 20);
    await expect(c.run('true', 'shell', { deadline: Date.now() + 10_000, retypeMs: 0, signal })).rejects.toThrow(new RescueConsoleError('the guest panicked in the rescue boot'));
    const late = new RescueConsole(new FakeConsoleMachine(99));
    await expect(late.run('true', 'shell', { deadline: Date.now() + 50, retypeMs: 0, signal })).rejects.toThrow('no answer from the rescue shell to `true` in time');
    const readOnly = Object.assign(new FakeConsoleMachine(0), { writeConsole: undefined });
    expect(() => new RescueConsole(readOnly)).toThrow('its provider has no writeConsole');
  });
});
