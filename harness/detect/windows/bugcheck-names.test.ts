import { describe, expect, it } from 'vitest';
import { BUGCHECK_NAMES, bugcheckName, formatCode } from './bugcheck-names.js';

/** The "Common bugcheck codes" list of shared/notes/crash-capture.md, copied here as the test oracle. */
const FROM_NOTES: Array<[number, string]> = [
  [0x0a, 'IRQL_NOT_LESS_OR_EQUAL'],
  [0x19, 'BAD_POOL_HEADER'],
  [0x1a, 'MEMORY_MANAGEMENT'],
  [0x1e, 'KMODE_EXCEPTION_NOT_HANDLED'],
  [0x3b, 'SYSTEM_SERVICE_EXCEPTION'],
  [0x50, 'PAGE_FAULT_IN_NONPAGED_AREA'],
  [0x7a, 'KERNEL_DATA_INPAGE_ERROR'],
  [0x7b, 'INACCESSIBLE_BOOT_DEVICE'],
  [0x7e, 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED'],
  [0x7f, 'UNEXPECTED_KERNEL_MODE_TRAP'],
  [0x8e, 'KERNEL_MODE_EXCEPTION_NOT_HANDLED'],
  [0x9f, 'DRIVER_POWER_STATE_FAILURE'],
  [0xbe, 'ATTEMPTED_WRITE_TO_READONLY_MEMORY'],
  [0xc2, 'BAD_POOL_CALLER'],
  [0xc4, 'DRIVER_VERIFIER_DETECTED_VIOLATION'],
  [0xc5, 'DRIVER_CORRUPTED_EXPOOL'],
  [0xd1, 'DRIVER_IRQL_NOT_LESS_OR_EQUAL'],
  [0xd5, 'DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL'],
  [0xe2, 'MANUALLY_INITIATED_CRASH'],
  [0xef, 'CRITICAL_PROCESS_DIED'],
  [0xf4, 'CRITICAL_OBJECT_TERMINATION'],
  [0xf7, 'DRIVER_OVERRAN_STACK_BUFFER'],
  [0xfc, 'ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY'],
  [0x101, 'CLOCK_WATCHDOG_TIMEOUT'],
  [0x109, 'CRITICAL_STRUCTURE_CORRUPTION'],
  [0x10d, 'WDF_VIOLATION'],
  [0x124, 'WHEA_UNCORRECTABLE_ERROR'],
  [0x133, 'DPC_WATCHDOG_VIOLATION'],
  [0x139, 'KERNEL_SECURITY_CHECK_FAILURE'],
  [0x13a, 'KERNEL_MODE_HEAP_CORRUPTION'],
];

describe('bugcheck names', () => {
  it.each(FROM_NOTES)('knows 0x%s from the notes', (code, name) => {
    expect(bugcheckName(code)).toBe(name);
  });

  it('has one entry per code, each a valid 32-bit code with an upper-case name', () => {
    const codes = BUGCHECK_NAMES.map(([c]) => c);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [code, name] of BUGCHECK_NAMES) {
      expect(Number.isInteger(code) && code > 0 && code <= 0xffffffff).toBe(true);
      expect(name).toMatch(/^[A-Z0-9_]+$/);
    }
    expect(BUGCHECK_NAMES.length).toBeGreaterThan(300);
  });

  it('knows other well-known codes and the high ones', () => {
    expect(bugcheckName(0x1)).toBe('APC_INDEX_MISMATCH');
    expect(bugcheckName(0x7c)).toBe('BUGCODE_NDIS_DRIVER');
    expect(bugcheckName(0x116)).toBe('VIDEO_TDR_FAILURE');
    expect(bugcheckName(0x1000007e)).toBe('SYSTEM_THREAD_EXCEPTION_NOT_HANDLED_M');
    expect(bugcheckName(0xc000021a)).toBe('WINLOGON_FATAL_ERROR');
    expect(bugcheckName(0xdeaddead)).toBe('MANUALLY_INITIATED_CRASH1');
    expect(bugcheckName(0x50n)).toBe('PAGE_FAULT_IN_NONPAGED_AREA');
  });

  it('returns undefined for codes it does not know', () => {
    expect(bugcheckName(0)).toBeUndefined();
    expect(bugcheckName(0x1234)).toBeUndefined();
    expect(bugcheckName(0x1_0000_0050n)).toBeUndefined();
  });

  it('formats codes as 0x%08X', () => {
    expect(formatCode(0x50)).toBe('0x00000050');
    expect(formatCode(0xd1)).toBe('0x000000D1');
    expect(formatCode(0xc000021a)).toBe('0xC000021A');
    expect(formatCode(0x13an)).toBe('0x0000013A');
    expect(formatCode(0x1_0000_0050n)).toBe('0x100000050');
  });
});
