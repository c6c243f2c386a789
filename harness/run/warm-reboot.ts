/** How a guest-asked reboot is carried out: reset in place, or end the process and boot the same disk in a new one. */
export type WarmRestart = 'reset' | 'new-process';

/**
 * The suite's boot.warmReboot for one machine. auto picks a new process under TCG: a reset in
 * place keeps QEMU's code translated from the old kernel, and the new kernel, loaded over it,
 * boots about 15% slower (measured side by side, docs/boot-path.md); under KVM there is no
 * translation, and a reset in place is as on hardware. A machine that cannot end at a reset, or
 * a guest whose state is more than its disk, is reset in place whatever the suite asks.
 */
export function warmRestartOf(want: 'auto' | WarmRestart, m: { accel: 'kvm' | 'tcg'; canExitAtReset: boolean }, guestAllows: boolean): WarmRestart {
  if (!m.canExitAtReset || !guestAllows) return 'reset';
  if (want === 'auto') return m.accel === 'tcg' ? 'new-process' : 'reset';
  return want;
}
