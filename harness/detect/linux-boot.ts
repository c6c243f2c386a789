/**
 * Spots a machine that starts booting again after its kernel was up: firmware output
 * (`SeaBIOS (version ...)`), the kernel decompressor, or a fresh `[    0.000000] Linux version`
 * banner once kernel messages were seen. A reboot nobody asked for is a crash that may leave
 * no report at all (triple fault, watchdog reset).
 */
import type { ConsoleLine } from './console-line.js';

type BootState =
  /** Nothing seen yet. */
  | 'start'
  /** Text whose origin is unknown (bootloader, or a previous run's tail). */
  | 'pre'
  /** Firmware or bootloader output, before the kernel banner. */
  | 'firmware'
  /** Kernel messages seen. */
  | 'kernel';

const ESC = 27;

export class BootTracker {
  private state: BootState = 'start';

  /** Feeds one line; true when it starts a new boot after a running system (a reboot). */
  line(l: ConsoleLine): boolean {
    return this.lineAt(l.raw, l.raw.length - l.body.length, l.raw.length, l.time ?? Number.NaN);
  }

  /**
   * line() for a message read in place: the message is `s[body, end)`, `time` its printk time
   * (NaN when it has none).
   */
  lineAt(s: string, body: number, end: number, time: number): boolean {
    const c = body < end ? s.charCodeAt(body) : 0;
    if (time === time) {
      // `[    0.000000] Linux version 6.1.0-18-amd64 (debian-kernel@...) ...`
      if (time === 0 && c === 76 /* L */ && s.startsWith('Linux version ', body) && end - body >= 14) {
        const reboot = this.state === 'kernel';
        this.state = 'kernel';
        return reboot;
      }
      this.state = 'kernel';
      return false;
    }
    if (
      (c === 83 /* S */ && s.startsWith('SeaBIOS (version', body) && end - body >= 16) ||
      (c === ESC && s.slice(body, end).includes('SeaBIOS (version'))
    ) {
      const reboot = this.state === 'kernel' || this.state === 'pre';
      this.state = 'firmware';
      return reboot;
    }
    if (
      (c === 68 /* D */ && s.startsWith('Decompressing Linux', body) && end - body >= 19) ||
      (c === 101 /* e */ && s.startsWith('early console in extract_kernel', body) && end - body >= 31)
    ) {
      const reboot = this.state === 'kernel';
      this.state = 'firmware';
      return reboot;
    }
    if (this.state === 'start' && /[A-Za-z]{3}/.test(s.slice(body, end).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ''))) {
      this.state = 'pre';
    }
    return false;
  }
}
