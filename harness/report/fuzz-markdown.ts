import type { FuzzResult } from '../results/fuzz-schema.js';
import { printable } from '../util/printable.js';

/** What the report quotes of a crash: its minimized content and its diff from the seed, as files hold them. */
export interface FuzzCrashFiles {
  content?: string;
  diff?: string;
}

/** A fenced block that no line of the quoted text can close: one backtick more than its longest run. */
function fence(text: string, lang = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return `${f}${lang}\n${printable(text).replace(/\n$/, '')}\n${f}`;
}

/**
 * fuzz.md: the run in figures, then a section per distinct crash with its minimized content, its
 * diff from the seed and its confirmation. Guest text is shown through printable().
 */
export function fuzzMarkdown(r: FuzzResult, files: ReadonlyMap<string, FuzzCrashFiles>): string {
  const s = r.stats;
  const out: string[] = [];
  out.push(`# Content fuzzing: ${printable(r.agent.name)} ${printable(r.agent.build)} on ${printable(r.image)}`, '');
  out.push(`**${(r.gate?.verdict ?? 'running').toUpperCase()}**${r.gate ? `: ${printable(r.gate.reasons[0] ?? '')}` : ''}`, '');
  out.push('| | |', '|---|---|');
  out.push(`| seeds | ${r.seeds.map((x) => printable(x.version)).join(', ')} (seed value ${r.seedValue}) |`);
  out.push(`| mutants | ${s.mutants}: ${s.accepted} loaded, ${s.refused} refused cleanly, ${s.crashed} crashed |`);
  out.push(`| distinct crashes | ${s.distinctCrashes} |`);
  out.push(`| speed | ${s.mutantsPerMinute} mutants/min (${s.loadSeconds.toFixed(1)} s of loads, ${s.restores} restores)${s.bootSeconds ? `; one boot: ${s.bootSeconds.toFixed(1)} s` : ''} |`);
  if (s.firstCrash) out.push(`| first crash | mutant ${s.firstCrash.mutants}, after ${s.firstCrash.seconds} s of loads |`);
  out.push(`| status | ${r.status}${r.error ? `: ${printable(r.error)}` : ''} |`, '');
  for (const c of r.crashes) {
    out.push(`## ${printable(c.crash.title)}`, '');
    out.push(`- function \`${printable(c.crash.function ?? '?')}\`, module \`${printable(c.crash.module ?? '?')}\`, class ${c.crash.class}, signature \`${c.signature.slice(0, 16)}\``);
    out.push(`- first mutant ${c.mutant} from content ${printable(c.seed)} (${c.mutators.join(', ')}); ${c.hits} mutant${c.hits === 1 ? '' : 's'} crashed this way`);
    if (c.minimized) out.push(`- minimized in ${c.minimized.probes} loads to: ${c.minimized.edits.map((e) => printable(e.why)).join('; ')} (\`${c.minimized.content}\`)`);
    if (c.confirm) out.push(`- confirmed by booting it: ${c.confirm.bootLoop ? '**boot loop**' : 'no boot loop'}, ${c.confirm.crashedBoots}/${c.confirm.boots} boots crashed, verdict ${c.confirm.verdict} (\`${c.confirm.run}\`)`);
    const f = files.get(c.signature);
    if (f?.diff) out.push('', 'Diff from the seed:', '', fence(f.diff, 'diff'));
    if (f?.content) out.push('', 'Minimized content:', '', fence(f.content));
    out.push('');
  }
  return out.join('\n');
}
