/**
 * The import rules of harness/: folders sit on floors and import only from lower floors, no file
 * imports itself round a cycle, and every library file is reached from the CLI. Run by
 * `npm test` (test/import-rules.test.ts) and by hand: `node dist/scripts/import-rules.js`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Lower numbers are lower floors. A folder may import from any folder on a lower floor, never from
 * a higher one, and never sideways from another folder on its own floor.
 * - util: helpers with no knowledge of the lab;
 * - results: the file formats a run writes (run.json, gate.json, crash record, policy) and the store;
 * - gate: the one judge, pure: verdicts and comparisons from records and a policy;
 * - fuzz: content templates, mutators and the minimizer, pure but for reading a template (beside gate,
 *   importing nothing of it: the fuzz loop that boots guests is in run/, floor 7);
 * - detect, providers, images: crash parsers, VM backends, the image catalog (each stands alone);
 * - guest: getting into a guest, per OS;
 * - agents, measure: installing agents, measuring in guests;
 * - config: suite files (their agent kinds come from the agents registry), policy files, schemas;
 * - run: the cell runner and the scheduler;
 * - report: reporters, consuming a run's events and results;
 * - cli: the commands.
 */
export const FLOORS: Record<string, number> = {
  util: 0,
  results: 1,
  gate: 2,
  fuzz: 2,
  detect: 3,
  providers: 3,
  images: 3,
  guest: 4,
  agents: 5,
  measure: 5,
  config: 6,
  run: 7,
  report: 8,
  cli: 9,
};

/**
 * The modules that start the program: everything else must be reached from one of them, or from
 * a script under scripts/ (npm run schemas, npm run bench), which are commands too.
 */
export const ENTRY_POINTS = ['harness/cli/main.ts'];

export interface ImportEdge {
  from: string;
  to: string;
  /** The line of the import statement, 1-based. */
  line: number;
}

export interface ImportReport {
  files: string[];
  edges: ImportEdge[];
  /** Folder -> folder with the number of imports, for the picture of the house. */
  folderEdges: Map<string, number>;
  /** Edges to a higher floor, or sideways on one floor. */
  backEdges: (ImportEdge & { why: string })[];
  /** Folders with no floor: a new folder has to be placed before it is used. */
  unplaced: string[];
  /** File-level import cycles, each as the files around it. */
  cycles: string[][];
  /** Library files no entry point reaches. */
  unreached: string[];
}

const isTest = (f: string) => /\.test\.ts$/.test(f) || f.split('/').includes('testdata');

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listTs(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Relative imports of one source: static, dynamic and re-exports; type-only imports count too. */
export function importsOf(src: string): { spec: string; line: number }[] {
  const out: { spec: string; line: number }[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])(\.{1,2}\/[^'"]+)\1/gm;
  for (const m of src.matchAll(re)) {
    out.push({ spec: m[2]!, line: src.slice(0, m.index).split('\n').length });
  }
  return out;
}

const folderOf = (file: string) => file.split('/')[1] ?? '';

/** Check the tree under `root` (a checkout): `harness/` is read, nothing is written. */
export function checkImports(root: string): ImportReport {
  const all = listTs(join(root, 'harness')).map((f) => relative(root, f).split(sep).join('/'));
  const files = all.filter((f) => !isTest(f));
  const known = new Set(files);
  const edges: ImportEdge[] = [];
  for (const f of files) {
    for (const { spec, line } of importsOf(readFileSync(join(root, f), 'utf8'))) {
      const to = normalize(join(dirname(f), spec)).split(sep).join('/').replace(/\.js$/, '.ts');
      if (known.has(to)) edges.push({ from: f, to, line });
    }
  }

  const folderEdges = new Map<string, number>();
  const backEdges: ImportReport['backEdges'] = [];
  const unplaced = new Set<string>();
  for (const e of edges) {
    const a = folderOf(e.from);
    const b = folderOf(e.to);
    if (a === b) continue;
    folderEdges.set(`${a} -> ${b}`, (folderEdges.get(`${a} -> ${b}`) ?? 0) + 1);
    const fa = FLOORS[a];
    const fb = FLOORS[b];
    if (fa === undefined) unplaced.add(a);
    if (fb === undefined) unplaced.add(b);
    if (fa === undefined || fb === undefined) continue;
    if (fb > fa) backEdges.push({ ...e, why: `${a} (floor ${fa}) imports ${b} (floor ${fb}), a higher floor` });
    else if (fb === fa) backEdges.push({ ...e, why: `${a} imports ${b} sideways (both on floor ${fa})` });
  }
  for (const f of files) if (FLOORS[folderOf(f)] === undefined) unplaced.add(folderOf(f));

  const out = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) out.get(e.from)!.push(e.to);
  const entries = [...ENTRY_POINTS.filter((p) => known.has(p)), ...scriptImports(root, known)];
  return { files, edges, folderEdges, backEdges, unplaced: [...unplaced].sort(), cycles: findCycles(out), unreached: unreachedFrom(out, entries) };
}

/** The harness files that scripts/*.ts import: entry points of their own. */
function scriptImports(root: string, known: Set<string>): string[] {
  const dir = join(root, 'scripts');
  if (!existsSync(dir)) return [];
  return listTs(dir)
    .filter((f) => !isTest(f))
    .flatMap((f) => importsOf(readFileSync(f, 'utf8')).map(({ spec }) => relative(root, normalize(join(dirname(f), spec))).split(sep).join('/').replace(/\.js$/, '.ts')))
    .filter((f) => known.has(f));
}

/** Strongly connected components of more than one file (Tarjan), or a file importing itself. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return cycles;
}

function unreachedFrom(graph: Map<string, string[]>, entries: string[]): string[] {
  const seen = new Set<string>();
  const todo = [...entries];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...(graph.get(f) ?? []));
  }
  return [...graph.keys()].filter((f) => !seen.has(f)).sort();
}

/** The problems as lines a person can act on; empty when the house is in order. */
export function problems(r: ImportReport): string[] {
  return [
    ...r.unplaced.map((f) => `harness/${f}/ has no floor: add it to FLOORS in scripts/import-rules.ts`),
    ...r.backEdges.map((e) => `${e.from}:${e.line}: imports ${e.to}: ${e.why}`),
    ...r.cycles.map((c) => `import cycle: ${c.join(' -> ')}`),
    ...r.unreached.map((f) => `${f}: reached from no command (${ENTRY_POINTS.join(', ')}): wire it in or delete it`),
  ];
}

/** The folder graph by floor, for the docs and the closing note. */
export function describe(r: ImportReport): string {
  const folders = Object.entries(FLOORS).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const lines = folders.map(([f, n]) => {
    const deps = [...r.folderEdges].filter(([k]) => k.startsWith(`${f} -> `)).map(([k, c]) => `${k.split(' -> ')[1]} (${c})`);
    return `floor ${n} ${f.padEnd(9)} -> ${deps.join(', ') || '-'}`;
  });
  return [...lines, `${r.files.length} files, ${r.edges.length} imports, ${r.backEdges.length} back-edges, ${r.cycles.length} cycles, ${r.unreached.length} unreached`].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  let root = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(root, 'package.json'))) root = dirname(root);
  const r = checkImports(root);
  console.log(describe(r));
  const p = problems(r);
  for (const l of p) console.error(l);
  process.exit(p.length ? 1 : 0);
}
