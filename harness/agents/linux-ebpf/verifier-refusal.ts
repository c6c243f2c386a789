/**
 * Why the kernel refused an eBPF program, read from the verifier's log (as printed by a loader,
 * e.g. `sensor-ebpf: verifier: ...` lines, or raw). Two causes are told apart because they blame
 * different things:
 * - missing-helper: the kernel does not know a helper the program calls (it is too old: the
 *   agent may fall back to a compat program); the program and the content are not at fault;
 * - content: the verifier proved an access out of bounds (the content's rule indexes past the
 *   inputs: sensor content 291), which every kernel refuses;
 * - other: any other refusal (its last verifier line).
 * Pure: text in, classification out. The sensor's loader makes the same distinction in C
 * (examples/agents/sensor-ebpf/loader.c, `sensor-ebpf explain LOG`); the tests hold both to it.
 */
export type RefusalKind = 'missing-helper' | 'content' | 'other';

export interface VerifierRefusal {
  kind: RefusalKind;
  /** The verifier's line that decides it, without a loader's prefix. */
  message: string;
  /** For missing-helper: the helper's id, and its name and first Linux version when known. */
  helper?: { id: number; name?: string; since?: string };
  /** The agent's fallback, when its output says it took one (the sensor's reduced functionality). */
  fallback?: string;
}

/** Helpers that not every supported kernel has: enough to name the ones the sensor uses. */
const LATE_HELPERS: Readonly<Record<number, { name: string; since: string }>> = {
  182: { name: 'bpf_strncmp', since: '5.17' },
};

// The kernel's own messages (kernel/bpf/verifier.c): an id past the kernel's last helper (5.10:
// "invalid func unknown#182"), a helper not offered to the program type ("unknown func NAME#N" in
// 5.x, "program of this type cannot use helper NAME#N" in 6.x).
const MISSING_HELPER = /(invalid func [^#\s]+#(\d+)|unknown func [^#\s]+#(\d+)|program of this type cannot use helper [^#\s]+#(\d+))/;
const OUT_OF_BOUNDS = /R\d+ min value is outside of the allowed memory range|invalid access to map value[^\n]*/;
// The sensor's words: a compat program runs (`reduced functionality (...)`), or it was refused too.
const FALLBACK = /reduced functionality \([^\n]*|[\w.-]+, the fallback after: [^\n]*[^)\n]/;

/** A loader's prefix before the verifier's words: `sensor-ebpf: verifier: `, or none. */
function verifierLines(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/^.*?\bverifier: /, '').trim()).filter(Boolean);
}

/** The refusal a verifier log (or an agent's output holding it) shows; undefined when it shows none. */
export function classifyVerifierLog(text: string): VerifierRefusal | undefined {
  const fallback = FALLBACK.exec(text)?.[0].trim();
  const lines = verifierLines(text);
  // The content's refusal wins: after a fallback, the compat program may still be refused for it.
  const oob = lines.findLast((l) => OUT_OF_BOUNDS.test(l));
  if (oob) return { kind: 'content', message: oob, ...(fallback ? { fallback } : {}) };
  for (const l of lines) {
    const m = MISSING_HELPER.exec(l);
    if (!m) continue;
    const id = Number(m[2] ?? m[3] ?? m[4]);
    return { kind: 'missing-helper', message: m[1]!, helper: { id, ...LATE_HELPERS[id] }, ...(fallback ? { fallback } : {}) };
  }
  if (fallback) return { kind: 'missing-helper', message: fallback, fallback };
  const rejected = /verifier rejected the program|BPF program load failed/.test(text);
  const last = text.split('\n').filter((l) => /\bverifier: /.test(l)).at(-1);
  return rejected ? { kind: 'other', message: last ? verifierLines(last)[0]! : 'verifier rejected the program' } : undefined;
}

/** One short line for a table or a verdict: what refused the program, and the fallback taken. */
export function refusalText(r: VerifierRefusal): string {
  const helper = r.helper?.name ? ` (${r.helper.name}, Linux ${r.helper.since})` : '';
  const what = r.kind === 'missing-helper' ? `kernel lacks a helper: \`${r.message}\`${helper}` : r.kind === 'content' ? `refused for the content: \`${r.message}\`` : `refused: \`${r.message}\``;
  return r.fallback && r.kind !== 'missing-helper' ? `${what}, after the compat fallback` : r.fallback ? `${what}; fallback to the compat program (reduced functionality)` : what;
}
