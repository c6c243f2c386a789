import type { GuestOs, GuestOsName } from './guest-os.js';
import { LinuxGuest } from './linux/linux-guest.js';
import { WindowsGuest } from './windows/windows-guest-os.js';

/** One adapter per guest OS: adding an OS is a folder under guest/ and a line here. */
const GUEST_OSES: Record<GuestOsName, () => GuestOs> = {
  linux: () => new LinuxGuest(),
  windows: () => new WindowsGuest(),
};

export function guestOsFor(os: GuestOsName): GuestOs {
  return GUEST_OSES[os]();
}
