import type { CrashRecord } from '../results/crash-record.js';

/**
 * The plug-in point for crash detection during a boot, one per guest OS (detect/registry.ts):
 * it reads the serial console as it streams, and turns the machine's panic event into a record
 * when the OS reports its crash that way (Windows through the Hyper-V crash registers).
 */
export interface BootDetector {
  readonly os: 'linux' | 'windows';
  /** Records completed by this chunk of console text. */
  push(chunk: string): CrashRecord[];
  /** Records still open at the end of the console (a report cut short). */
  end(): CrashRecord[];
  /** A record from the machine's panic event, when the event carries the crash itself. */
  fromPanicEvent(e: { action: string; info?: Record<string, unknown> }): CrashRecord | undefined;
}
