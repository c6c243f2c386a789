/**
 * Console messages that begin like a kernel warning but report no kernel bug. A bare
 * `WARNING: text` line (no WARN() location, no lockdep shape) is taken for a crash, so the
 * known harmless ones are listed here, each with who prints it. Extending this list is a
 * product decision: every entry is a message a release gate will never see.
 */
const BENIGN_WARNINGS: readonly string[] = [
  // sshd at start-up without a moduli file (user space, relayed to the console by syslog).
  '/etc/ssh/moduli does not exist',
  // LVM tools when lvmetad is not running (user space).
  'Failed to connect to lvmetad',
  // fs/namespace.c, 5.x kernels: a deprecation notice printed once when `-o mand` is used.
  'the mand mount option',
  'The mand mount option',
];

/** Whether the text after `WARNING: ` is a known harmless message. */
export function isBenignWarning(rest: string): boolean {
  for (const prefix of BENIGN_WARNINGS) if (rest.startsWith(prefix)) return true;
  return false;
}
