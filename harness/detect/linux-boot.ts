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
    const b = l.body;
    const c = b.charCodeAt(0);
    if (l.time !== undefined) {
      // `[    0.000000] Linux version 6.1.0-18-amd64 (debian-kernel@...) ...`
      if (l.time === 0 && c === 76 /* L */ && b.startsWith('Linux version ')) {
        const reboot = this.state === 'kernel';
        this.state = 'kernel';
        return reboot;
      }
      this.state = 'kernel';
      return false;
    }
    if ((c === 83 /* S */ && b.startsWith('SeaBIOS (version')) || (c === ESC && b.includes('SeaBIOS (version'))) {
      const reboot = this.state === 'kernel' || this.state === 'pre';
      this.state = 'firmware';
      return reboot;
    }
    if (
      (c === 68 /* D */ && b.startsWith('Decompressing Linux')) ||
      (c === 101 /* e */ && b.startsWith('early console in extract_kernel'))
    ) {
      const reboot = this.state === 'kernel';
      this.state = 'firmware';
      return reboot;
    }
    if (this.state === 'start' && /[A-Za-z]{3}/.test(b.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ''))) {
      this.state = 'pre';
    }
    return false;
  }
}
