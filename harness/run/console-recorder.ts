import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Machine } from '../providers/provider.js';

/**
 * Routes one machine's serial console into one log file per cycle, and to whoever watches
 * the current cycle. Switching files at the moment of a reboot keeps every byte in exactly one log.
 */
export class ConsoleRecorder {
  private out?: WriteStream;
  private watchers = new Set<(chunk: string) => void>();
  private unhook?: () => void;

  attach(machine: Machine): void {
    this.unhook?.();
    this.unhook = machine.onConsole((chunk) => {
      this.out?.write(chunk);
      for (const w of this.watchers) w(chunk);
    });
  }

  async switchTo(path: string): Promise<void> {
    await this.close();
    await mkdir(dirname(path), { recursive: true });
    this.out = createWriteStream(path, { flags: 'a' });
  }

  watch(cb: (chunk: string) => void): () => void {
    this.watchers.add(cb);
    return () => this.watchers.delete(cb);
  }

  async close(): Promise<void> {
    const o = this.out;
    this.out = undefined;
    if (o) await new Promise<void>((resolve) => o.end(resolve));
  }

  async dispose(): Promise<void> {
    this.unhook?.();
    this.unhook = undefined;
    await this.close();
  }
}
