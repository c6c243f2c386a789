/**
 * Kernel arguments a suite may not give. A suite's `boot.kernelArgs` come after the lab's on the
 * command line, and the kernel takes the last value of a parameter: without this list a suite
 * could turn off what the crash capture reads. The capture needs: every oops and warning printed
 * on the serial console (`console=ttyS0,115200` from the provider, `loglevel=5`), with printk time
 * stamps (a line without one is user space to the parser); a panic that reboots at once
 * (`panic=-1`) and an oops that panics (`oops=panic`); pvpanic telling QEMU (GUEST_PANICKED); and
 * the lockup and stall detectors, which turn a hang into a crash report.
 */

/** Parameter names as the kernel compares them: `-` and `_` are the same (parameq), sysctl.a/b is sysctl.a.b. */
function normalKey(key: string): string {
  const k = key.replace(/-/g, '_');
  return k.startsWith('sysctl.') ? k.replace(/\//g, '.') : k;
}

const OFF = /^(0|n|no|off|false|)$/i;
const ON = (v: string | undefined) => v === undefined || !OFF.test(v);

interface Rule {
  /** The normalized key, or a prefix of it when it ends with `.` or `*`. */
  key: string;
  /** Refused only for some values (default: any value). */
  when?: (value: string | undefined) => boolean;
  why: string;
}

const RULES: Rule[] = [
  { key: 'bootgate.', why: 'bootgate.* arguments belong to the lab' },
  { key: 'console', why: "the serial console (console=ttyS0) is where the lab reads crashes" },
  { key: 'loglevel', why: 'the lab sets loglevel=5 so that every warning and oops reaches the console' },
  { key: 'quiet', why: 'the lab sets loglevel=5 so that every warning and oops reaches the console' },
  { key: 'printk.', why: 'printk settings change the console lines the crash parser reads (time stamps, levels)' },
  { key: 'panic', why: 'the lab sets panic=-1: a panicked guest reboots at once' },
  { key: 'oops', why: 'oops=panic is the lab\'s, set by boot.panicOnOops' },
  { key: 'sysctl.kernel.panic*', why: 'the lab owns how the kernel panics (panic=-1, oops=panic)' },
  { key: 'sysctl.kernel.printk*', why: 'printk settings change the console lines the crash parser reads' },
  { key: 'pvpanic.', why: 'pvpanic tells the lab a guest panicked (QMP GUEST_PANICKED)' },
  { key: 'module_blacklist', when: (v) => /pvpanic/.test(v ?? ''), why: 'pvpanic tells the lab a guest panicked' },
  { key: 'modprobe.blacklist', when: (v) => /pvpanic/.test(v ?? ''), why: 'pvpanic tells the lab a guest panicked' },
  { key: 'initcall_blacklist', when: (v) => /pvpanic/.test(v ?? ''), why: 'pvpanic tells the lab a guest panicked' },
  { key: 'panic_on_*', when: (v) => !ON(v), why: 'turning a panic off hides crashes from the lab' },
  { key: 'softlockup_panic', when: (v) => !ON(v), why: 'turning a panic off hides crashes from the lab' },
  { key: 'hardlockup_panic', when: (v) => !ON(v), why: 'turning a panic off hides crashes from the lab' },
  { key: 'hung_task_panic', when: (v) => !ON(v), why: 'turning a panic off hides crashes from the lab' },
  { key: 'nosoftlockup', why: 'the lockup detectors turn a hang into a crash report' },
  { key: 'nowatchdog', why: 'the lockup detectors turn a hang into a crash report' },
  { key: 'nmi_watchdog', when: (v) => !ON(v), why: 'the lockup detectors turn a hang into a crash report' },
  { key: 'sysctl.kernel.hung_task_timeout_secs', when: (v) => /^0*$/.test(v ?? ''), why: 'the hung-task watchdog turns a blocked thread into a crash report' },
  { key: 'watchdog_thresh', when: (v) => v === undefined || /^0+$/.test(v), why: 'the lockup detectors turn a hang into a crash report' },
  { key: 'rcupdate.rcu_cpu_stall_suppress', when: ON, why: 'RCU stall warnings are crash reports' },
  { key: 'rcupdate.rcu_cpu_stall_suppress_at_boot', when: ON, why: 'RCU stall warnings are crash reports' },
  { key: '8250.nr_uarts', why: 'the serial console (ttyS0) is where the lab reads crashes' },
];

function matches(rule: string, key: string): boolean {
  if (rule.endsWith('.')) return key.startsWith(rule);
  if (rule.endsWith('*')) return key.startsWith(rule.slice(0, -1));
  return key === rule;
}

/** Why a suite may not give this kernel argument, or undefined when it may. */
export function kernelArgProblem(arg: string): string | undefined {
  const eq = arg.indexOf('=');
  const key = normalKey(eq < 0 ? arg : arg.slice(0, eq));
  const value = eq < 0 ? undefined : arg.slice(eq + 1);
  const rule = RULES.find((r) => matches(normalKey(r.key), key) && (r.when?.(value) ?? true));
  return rule && `${arg}: ${rule.why}`;
}
