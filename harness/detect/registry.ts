import type { BootDetector } from './detector.js';
import { LinuxConsoleDetector } from './linux-console.js';
import { hypervCrashRecord } from './windows/hyperv-crash.js';

/** Linux: oopses, panics and lockups are printed on the console; pvpanic's event carries no detail. */
class LinuxBootDetector implements BootDetector {
  readonly os = 'linux' as const;
  // Reboots are known from the machine's events; the console parser reports only crashes here.
  private readonly console = new LinuxConsoleDetector({ reboots: false });
  push = (chunk: string) => this.console.push(chunk);
  end = () => this.console.end();
  fromPanicEvent = () => undefined;
}

/**
 * Windows: the serial console says nothing of a bugcheck; the STOP code and its parameters come
 * with the panic event from the Hyper-V crash registers (hv-crash). The event log and dumps are
 * read from the guest after it is back (guest/windows).
 */
class WindowsBootDetector implements BootDetector {
  readonly os = 'windows' as const;
  push = () => [];
  end = () => [];
  fromPanicEvent = (e: { action: string; info?: Record<string, unknown> }) => hypervCrashRecord({ action: e.action, info: e.info });
}

/** One detector per guest OS: adding an OS is a class and a line here. */
const BOOT_DETECTORS: Record<BootDetector['os'], () => BootDetector> = {
  linux: () => new LinuxBootDetector(),
  windows: () => new WindowsBootDetector(),
};

/** A fresh detector for one boot of a guest of that OS. */
export function bootDetectorFor(os: BootDetector['os']): BootDetector {
  return BOOT_DETECTORS[os]();
}
