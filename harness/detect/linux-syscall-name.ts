/**
 * The name of a system call as the kernel declares it, from any of the symbols its entry path
 * shows in a stack. SYSCALL_DEFINEn(name) makes `__se_sys_name` and `__do_sys_name`; each
 * architecture adds its own wrapper (`__x64_sys_name`, `__ia32_sys_name`, `__arm64_sys_name`,
 * `__riscv_sys_name`); kernels before 4.17 printed `SyS_name` and `SYSC_name`. All of them are
 * the one call `sys_name` (`compat_sys_name` for the 32-bit compat table), the name
 * include/linux/syscalls.h gives it: a title names that, so it is the same on every kernel.
 */

const WRAPPERS: readonly [RegExp, string][] = [
  [/^(?:__(?:x64|ia32|x32|arm64|riscv|s390x?|powerpc)_)?compat_sys_/, 'compat_sys_'],
  [/^__(?:se|do)_compat_sys_/, 'compat_sys_'],
  [/^compat_(?:SyS|SYSC)_/, 'compat_sys_'],
  [/^C_SYSC_/, 'compat_sys_'],
  [/^__(?:x64|ia32|x32|arm64|riscv|s390x?|powerpc)_sys_/, 'sys_'],
  [/^__(?:se|do)_sys_/, 'sys_'],
  [/^(?:SyS|SYSC)_/, 'sys_'],
];

/** `__x64_sys_rmdir` -> `sys_rmdir`; any other name as it is. */
export function syscallName(fn: string): string {
  // Most frames are not system calls: one cheap test first.
  if (!fn.includes('sys_') && !fn.includes('SyS_') && !fn.includes('SYSC_')) return fn;
  for (const [re, prefix] of WRAPPERS) {
    const m = re.exec(fn);
    if (m) return prefix + fn.slice(m[0].length);
  }
  return fn;
}
