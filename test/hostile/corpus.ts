/**
 * A corpus of malformed and hostile inputs for every file bootgate reads: suites, policies,
 * run folders (run.json, gate.json) and crash evidence. Each case is written into a sandbox and
 * run through the real CLI; test/hostile-corpus.test.ts checks what it must give back.
 *
 * The sandbox: `lab/` holds the suites (its `suites/` makes `lab/` their lab root) and a small
 * content file; `outside/` holds a canary file and must be left exactly as it was; a good run
 * folder (`good-run/`) is the base of the run.json cases and the run the policy cases judge.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface HostileCase {
  /** Unique, for the test's name: `suite/alias-bomb`. */
  id: string;
  /** The bootgate arguments; `{results}` is replaced by a fresh results folder. */
  args: string[];
  /** Exit codes that are right for it. */
  codes: number[];
  /** For exit 2: the stderr must name this file, and its line when `line` is set. */
  names?: { file: string; line?: boolean };
  /**
   * A large input (tens of MB): given longer before it counts as hung, since on a loaded 2-core
   * host its few seconds of honest work can pass the usual limit. Its speed is a benchmark's.
   */
  large?: true;
}

export interface Sandbox {
  root: string;
  lab: string;
  outside: string;
  goodRun: string;
}

const CONTENT = 'content.txt';

/** A suite that would pass validation, with an image that exists nowhere: a case that slips through still stops at the image, before any build. */
const base = (o: { name?: string; images?: string; agent?: string; content?: string; boot?: string; gate?: string; extra?: string } = {}) =>
  [
    `name: ${o.name ?? 'hostile'}`,
    `images: ${o.images ?? '[no-such-image]'}`,
    o.agent ??
      ['agent:', '  name: sensor', '  kind: linux-kmod', '  builds:', '    - { version: "2.1.0", source: agent }'].join('\n'),
    o.content ?? `content:\n  - { version: "290", path: ${CONTENT} }`,
    o.boot ?? 'boot: { baseline: 1, cycles: 1, timeout: 90s }',
    o.gate ?? '',
    o.extra ?? '',
  ]
    .filter(Boolean)
    .join('\n') + '\n';

/** `a: 1, b: 2` with one field set (replaced when the key is there, added otherwise). */
function withField(fields: string, field: string): string {
  const key = field.slice(0, field.indexOf(':'));
  const parts = fields.split(', ').filter((f) => !f.startsWith(`${key}:`));
  return [...parts, field].join(', ');
}

const agentWithBuild = (build: string) => ['agent:', '  name: sensor', '  kind: linux-kmod', '  builds:', `    - ${build}`].join('\n');

/** Hostile suite texts: YAML that is not YAML, schema violations, paths that leave the lab, limits. */
function suiteTexts(s: Sandbox): [string, string | Buffer][] {
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]', ...'bcdefghij'.split('').map((c, i) => `${c}: &${c} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n') + '\n';
  const out: [string, string | Buffer][] = [
    // YAML itself
    ['yaml-unclosed-flow', 'name: t\nimages: [x\n'],
    ['yaml-unclosed-quote', 'name: "t\nimages: [x]\n'],
    ['yaml-tab-indent', 'name: t\nagent:\n\tname: s\n'],
    ['yaml-bad-indent', 'name: t\n  images: [x]\n images: [y]\n'],
    ['yaml-duplicate-key', base() + 'name: again\n'],
    ['yaml-unresolved-alias', base({ images: '*nope' })],
    ['yaml-alias-bomb', bomb + base()],
    ['yaml-alias-bomb-in-field', bomb + base({ images: '*j' })],
    ['yaml-empty', ''],
    ['yaml-only-comment', '# nothing here\n'],
    ['yaml-scalar', 'just a string\n'],
    ['yaml-list', '- a\n- b\n'],
    ['yaml-null', '~\n'],
    ['yaml-number', '42\n'],
    ['yaml-multi-document', base() + '---\n' + base()],
    ['yaml-binary', Buffer.from([0x00, 0xff, 0xfe, 0x00, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
    ['yaml-nul-in-text', 'name: t\u0000x\nimages: [x]\n'],
    ['yaml-bom', '\ufeff' + base({ images: '[]' })],
    ['yaml-deep-nesting', 'name: ' + '['.repeat(5000) + ']'.repeat(5000) + '\n'],
    ['yaml-long-line', `name: ${'x'.repeat(1_000_000)}\n`],
    ['yaml-huge-number', base({ boot: 'boot: { baseline: 1, cycles: 1e400, timeout: 90s }' })],
    ['yaml-tag', base({ name: '!!binary aGVsbG8=' })],
    ['yaml-custom-tag', base({ name: '!evil x' })],
    ['yaml-merge-key', '<<: *nope\n' + base()],
    ['yaml-key-as-map', base() + '? { a: 1 }\n: b\n'],
    ['yaml-directive', '%YAML 9.9\n---\n' + base()],
    // top level
    ['top-unknown-key', base({ extra: 'imagse: [x]' })],
    ['top-misspelt-required', base().replace('images:', 'imagse:')],
    ['top-no-agent', base({ agent: 'nothing: 1' })],
    ['top-agent-and-agents', base({ extra: 'agents: []' })],
    ['name-list', base({ name: '[a, b]' })],
    ['name-empty', base({ name: '""' })],
    ['name-300-chars', base({ name: 'n'.repeat(300) })],
    ['name-slash', base({ name: '../../outside/n' })],
    ['name-nul', base({ name: '"a\\0b"' })],
    ['name-newline', base({ name: '"a\\nb"' })],
    ['name-esc', base({ name: '"a\\e[2Jb"' })],
    ['images-empty', base({ images: '[]' })],
    ['images-number', base({ images: '5' })],
    ['images-map', base({ images: '{ a: 1 }' })],
    ['images-glob-nothing', base({ images: '["zzz-*"]' })],
    ['images-bad-condition', base({ images: '["kernel>=banana"]' })],
    // agent and builds
    ['agent-kind-unknown', base({ agent: agentWithBuild('{ version: "1", source: agent }').replace('linux-kmod', 'macos-kext') })],
    ['agent-kind-number', base({ agent: agentWithBuild('{ version: "1", source: agent }').replace('linux-kmod', '7') })],
    ['agent-name-traversal', base({ agent: agentWithBuild('{ version: "1", source: agent }').replace('name: sensor', 'name: ../../outside/a') })],
    ['agent-name-300', base({ agent: agentWithBuild('{ version: "1", source: agent }').replace('name: sensor', `name: ${'a'.repeat(300)}`) })],
    ['builds-empty', base({ agent: 'agent:\n  name: s\n  kind: linux-kmod\n  builds: []' })],
    ['builds-not-list', base({ agent: 'agent:\n  name: s\n  kind: linux-kmod\n  builds: 3' })],
    ['build-version-traversal', base({ agent: agentWithBuild('{ version: "../../../../outside/x", source: agent }') })],
    ['build-version-absolute', base({ agent: agentWithBuild(`{ version: "${s.outside}/x", source: agent }`) })],
    ['build-version-nul', base({ agent: agentWithBuild('{ version: "1\\0", source: agent }') })],
    ['build-version-empty', base({ agent: agentWithBuild('{ version: "", source: agent }') })],
    ['build-version-300', base({ agent: agentWithBuild(`{ version: "${'9'.repeat(300)}", source: agent }`) })],
    ['build-version-dotdot', base({ agent: agentWithBuild('{ version: "..", source: agent }') })],
    ['build-version-newline', base({ agent: agentWithBuild('{ version: "1\\n2", source: agent }') })],
    ['build-source-missing', base({ agent: agentWithBuild('{ version: "1", source: nowhere }') })],
    ['build-source-file', base({ agent: agentWithBuild(`{ version: "1", source: ${CONTENT} }`) })],
    ['build-source-outside', base({ agent: agentWithBuild(`{ version: "1", source: ${s.outside} }`) })],
    ['build-source-traversal', base({ agent: agentWithBuild('{ version: "1", source: ../outside }') })],
    ['build-source-dev', base({ agent: agentWithBuild('{ version: "1", source: /dev }') })],
    ['build-intree-and-source', base({ agent: agentWithBuild('{ version: "1", source: agent, inTree: true }') })],
    ['build-make-not-map', base({ agent: agentWithBuild('{ version: "1", source: agent, make: [a] }') })],
    ['builds-colliding-ids', base({ agent: ['agent:', '  name: sensor', '  kind: linux-kmod', '  builds:', '    - { version: "2.1.0/a", source: agent }', '    - { version: "2.1.0 a", source: agent }'].join('\n') })],
    ['builds-duplicate-version', base({ agent: ['agent:', '  name: sensor', '  kind: linux-kmod', '  builds:', '    - { version: "1", source: agent }', '    - { version: "1", source: agent }'].join('\n') })],
    [
      'agents-colliding-ids',
      base({
        agent: ['agents:', '  - name: sensor-2', '    kind: linux-kmod', '    builds: [{ version: "1", source: agent }]', '  - name: sensor', '    kind: linux-kmod', '    builds: [{ version: "2-1", source: agent }]'].join('\n'),
      }),
    ],
    ['agent-contentparam-ebpf', base({ agent: agentWithBuild('{ version: "1", source: agent }').replace('linux-kmod', 'linux-ebpf') + '\n  contentParam: c' })],
    // content
    ['content-empty', base({ content: 'content: []' })],
    ['content-etc-shadow', base({ content: 'content:\n  - { version: "1", path: /etc/shadow }' })],
    ['content-traversal', base({ content: 'content:\n  - { version: "1", path: ../outside/canary.txt }' })],
    ['content-absolute-outside', base({ content: `content:\n  - { version: "1", path: ${s.outside}/canary.txt }` })],
    ['content-dev-zero', base({ content: 'content:\n  - { version: "1", path: /dev/zero }' })],
    ['content-dev-urandom', base({ content: 'content:\n  - { version: "1", path: /dev/urandom }' })],
    ['content-fifo', base({ content: 'content:\n  - { version: "1", path: fifo }' })],
    ['content-socketless-dir', base({ content: 'content:\n  - { version: "1", path: agent }' })],
    ['content-symlink-outside', base({ content: 'content:\n  - { version: "1", path: link-outside }' })],
    ['content-symlink-loop', base({ content: 'content:\n  - { version: "1", path: loop-a }' })],
    ['content-missing', base({ content: 'content:\n  - { version: "1", path: nope.txt }' })],
    ['content-version-traversal', base({ content: `content:\n  - { version: "../../outside/v", path: ${CONTENT} }` })],
    ['content-version-duplicate', base({ content: `content:\n  - { version: "1", path: ${CONTENT} }\n  - { version: "1", path: ${CONTENT} }` })],
    ['content-version-collide', base({ content: `content:\n  - { version: "1/a", path: ${CONTENT} }\n  - { version: "1 a", path: ${CONTENT} }` })],
    ['content-path-nul', base({ content: 'content:\n  - { version: "1", path: "a\\0b" }' })],
    ['content-not-list', base({ content: 'content: yes' })],
    // boot
    ...(
      [
        ['timeout-zero', 'timeout: 0'],
        ['timeout-600h', 'timeout: 600h'],
        ['timeout-1e308', 'timeout: 1e308'],
        ['timeout-negative', 'timeout: -5s'],
        ['timeout-words', 'timeout: soon'],
        ['timeout-nan', 'timeout: .nan'],
        ['timeout-inf', 'timeout: .inf'],
        ['settle-huge', 'settle: 9999999999999'],
        ['silence-zero', 'silence: 0s'],
        ['cycles-negative', 'cycles: -1'],
        ['cycles-fraction', 'cycles: 1.5'],
        ['cycles-huge', 'cycles: 1000000000'],
        ['baseline-string', 'baseline: many'],
        ['bootloop-zero', 'bootLoop: 0'],
        ['reboot-bad', 'reboot: sideways'],
        ['kernelargs-panic', 'kernelArgs: [panic=0]'],
        ['kernelargs-oops', 'kernelArgs: [oops=continue]'],
        ['kernelargs-loglevel', 'kernelArgs: [loglevel=0]'],
        ['kernelargs-console', 'kernelArgs: [console=tty0]'],
        ['kernelargs-quiet', 'kernelArgs: [quiet]'],
        ['kernelargs-space', 'kernelArgs: ["a b"]'],
        ['kernelargs-lab', 'kernelArgs: [bootgate.authkey=x]'],
        ['kernelargs-not-list', 'kernelArgs: panic=0'],
        ['boot-unknown-key', 'cylces: 3'],
      ] as const
    ).map(([id, field]): [string, string] => [`boot-${id}`, base({ boot: `boot: { ${withField('baseline: 1, cycles: 1, timeout: 90s', field)} }` })]),
    // gate
    ...(
      [
        ['bootsuccess-2', 'bootSuccess: 2'],
        ['bootsuccess-string', 'bootSuccess: all'],
        ['maxcrashes-negative', 'maxCrashes: -1'],
        ['mincycles-zero', 'minCycles: 0'],
        ['overhead-bound-bad', 'overheadBound: lower'],
        ['allow-no-reason', 'allow: [{ title: x, expires: 2030-01-01 }]'],
        ['allow-bad-date', 'allow: [{ title: x, reason: r, expires: 2030-02-31 }]'],
        ['allow-both', 'allow: [{ title: x, signature: abcdefabcdef, reason: r, expires: 2030-01-01 }]'],
        ['allow-neither', 'allow: [{ reason: r, expires: 2030-01-01 }]'],
        ['allow-signature-short', 'allow: [{ signature: abc, reason: r, expires: 2030-01-01 }]'],
        ['gate-unknown-key', 'maxCrash: 1'],
      ] as const
    ).map(([id, field]): [string, string] => [`gate-${id}`, base({ gate: `gate: { ${field} }` })]),
    // the rest of a suite
    ['matrix-empty', base({ extra: 'matrix:\n  content: ["999"]' })],
    ['lifecycle-unknown-action', base({ extra: 'lifecycle:\n  - { action: explode }' })],
    ['lifecycle-missing-version', base({ extra: 'lifecycle:\n  - { action: install }\n  - { action: upgrade, version: "9.9" }' })],
    ['concurrency-zero', base({ extra: 'concurrency: 0' })],
    ['workloads-unknown', base({ extra: 'workloads: { names: [bogus] }' })],
  ];
  return out;
}

/** Evidence files for `bootgate detect`: formats pretending to be others, and hostile text. */
function evidence(oops: string): [string, string | Buffer, number[]][] {
  const evtLine = 'Log Name: System Source: Microsoft-Windows-WER-SystemErrorReporting Event ID: 1001 The computer has rebooted from a bugcheck.';
  return [
    ['empty', '', [0]],
    ['oops', oops, [1]],
    ['nul-prefix-oops', Buffer.concat([Buffer.alloc(600), Buffer.from(oops)]), [1]],
    ['bom-utf16-prefix-oops', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(oops)]), [1]],
    ['oops-then-event-line', oops + evtLine + '\n', [1]],
    ['page-prefix-oops', 'PAGEDU64 is not a dump here\n' + oops, [1]],
    ['mdmp-prefix-oops', 'MDMP and then a console\n' + oops, [1]],
    ['random-bytes', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff)), [0]],
    ['invalid-utf8', Buffer.concat([Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1]), Buffer.from(oops)]), [1]],
    ['esc-in-title', oops.replace('sensor_parse_channel', 'sensor_\u001b[2J\u001bcparse'), [1]],
    ['long-line', 'x'.repeat(2_000_000) + '\n', [0]],
    ['only-newlines', '\n'.repeat(100_000), [0]],
    ['crlf-oops', oops.replace(/\n/g, '\r\n'), [1]],
    ['truncated-dump-header', Buffer.from('PAGEDU64'), [0]],
  ];
}

const OOPS = [
  '[    5.100000] BUG: kernel NULL pointer dereference, address: 0000000000000008',
  '[    5.100100] #PF: supervisor read access in kernel mode',
  '[    5.100300] Oops: 0000 [#1] PREEMPT SMP NOPTI',
  '[    5.100400] CPU: 0 PID: 1 Comm: modprobe Tainted: G           OE      6.1.0-56-amd64 #1  Debian 6.1.192-2',
  '[    5.100500] RIP: 0010:sensor_parse_channel+0x4d/0x120 [sensor]',
  '[    5.100600] Call Trace:',
  '[    5.100700]  <TASK>',
  '[    5.100800]  sensor_init+0x3a/0x1000 [sensor]',
  '[    5.100900]  do_one_initcall+0x44/0x200',
  '[    5.101000]  </TASK>',
  '[    5.101100] Kernel panic - not syncing: Fatal exception',
  '',
].join('\n');

/** run.json texts: not JSON, not a run, a run with impossible values, very large runs. */
function runTexts(good: Record<string, unknown>): [string, string][] {
  const j = (o: unknown) => JSON.stringify(o);
  const cells = good.cells as Record<string, unknown>[];
  const cell0 = cells[0]!;
  const cycle = (cell0.cycles as unknown[])[0];
  const manyCycles = { ...good, cells: [{ ...cell0, cycles: Array.from({ length: 200_000 }, (_, i) => ({ ...(cycle as object), index: i + 1 })) }] };
  const title = (t: string) => ({ ...good, cells: cells.map((c) => ({ ...c, reason: t })) });
  return [
    ['not-json', '{ this is not json'],
    ['empty', ''],
    ['array', '[]'],
    ['null', 'null'],
    ['string', '"run"'],
    ['wrong-schema', j({ ...good, schema: 'bootgate.run/v9' })],
    ['no-cells', j({ ...good, cells: undefined })],
    ['cells-object', j({ ...good, cells: {} })],
    ['status-unknown', j({ ...good, status: 'exploded' })],
    ['startedat-junk', j({ ...good, startedAt: 'yesterday-ish' })],
    ['startedat-number', j({ ...good, startedAt: 12 })],
    ['endedat-junk', j({ ...good, endedAt: '9999-99-99T99:99:99Z' })],
    ['summary-missing', j({ ...good, summary: undefined })],
    ['cell-verdict-unknown', j({ ...good, cells: cells.map((c) => ({ ...c, verdict: 'maybe' })) })],
    ['cycle-not-object', j({ ...good, cells: cells.map((c) => ({ ...c, cycles: [1, 2] })) })],
    ['deep-json', '['.repeat(100_000) + ']'.repeat(100_000)],
    ['huge-string', j({ ...good, id: 'x'.repeat(5_000_000) })],
    ['esc-in-reason', j(title('boot loop: \u001b[2J\u001bc\u0007\u0000evil'))],
    ['html-in-reason', j(title('<script>alert(1)</script>'))],
    ['many-cycles', j(manyCycles)],
  ];
}

/** Policy files for `bootgate gate RUN --policy FILE`. */
function policyTexts(): [string, string][] {
  return [
    ['not-yaml', 'bootSuccess: [\n'],
    ['unknown-key', 'bootSucess: 1\n'],
    ['bootsuccess-2', 'bootSuccess: 2\n'],
    ['string-number', 'maxCrashes: many\n'],
    ['allow-bad-date', 'allow:\n  - { title: x, reason: r, expires: 2030-13-01 }\n'],
    ['allow-signature-uppercase', 'allow:\n  - { signature: ABCDEFABCDEF, reason: r, expires: 2030-01-01 }\n'],
    ['allow-no-reason', 'allow:\n  - { title: x, expires: 2030-01-01 }\n'],
    ['allow-not-list', 'allow: x\n'],
    ['alias-unresolved', 'maxCrashes: *n\n'],
    ['alias-bomb', ['a: &a [1,1,1,1,1,1,1,1,1,1]', ...'bcdefghij'.split('').map((c, i) => `${c}: &${c} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`), 'maxCrashes: 0'].join('\n') + '\n'],
    ['schema-wrong', 'schema: bootgate.policy/v7\n'],
    ['list', '- 1\n'],
    ['scalar', 'strict\n'],
    ['binary', '\u0000\u0001\u0002'],
    ['mincycles-float', 'minCycles: 1.5\n'],
  ];
}

/** Write every case into the sandbox and return them. `goodRunJson` is a finished run the run and policy cases start from. */
export function writeCorpus(s: Sandbox, goodRunJson: Record<string, unknown>): HostileCase[] {
  const cases: HostileCase[] = [];
  const suites = join(s.lab, 'suites');
  mkdirSync(suites, { recursive: true });
  mkdirSync(join(s.lab, 'agent'), { recursive: true });
  writeFileSync(join(s.lab, 'agent', 'Makefile'), 'all:\n\ttouch ../../outside/was-built\n');
  writeFileSync(join(s.lab, CONTENT), 'rule 1\n');
  symlinkSync(join(s.outside, 'canary.txt'), join(s.lab, 'link-outside'));
  symlinkSync(join(s.lab, 'loop-b'), join(s.lab, 'loop-a'));
  symlinkSync(join(s.lab, 'loop-a'), join(s.lab, 'loop-b'));
  execFileSync('mkfifo', [join(s.lab, 'fifo')]);

  for (const [id, text] of suiteTexts(s)) {
    const f = join(suites, `${id}.yaml`);
    writeFileSync(f, text);
    cases.push({ id: `suite/${id}`, args: ['run', f, '--results', '{results}', '--reporter', 'plain'], codes: [2], names: { file: f } });
  }
  // Suite paths that are not suite files.
  const fifo = join(suites, 'fifo.yaml');
  execFileSync('mkfifo', [fifo]);
  for (const [id, f] of [
    ['missing', join(suites, 'missing.yaml')],
    ['directory', suites],
    ['fifo', fifo],
    ['dev-zero', '/dev/zero'],
    ['dev-null', '/dev/null'],
  ] as const) {
    cases.push({ id: `suite-path/${id}`, args: ['run', f, '--results', '{results}'], codes: [2], names: { file: f } });
  }

  // Run folders: gate, report and compare read them.
  const runs = join(s.root, 'runs');
  for (const [id, text] of runTexts(goodRunJson)) {
    const d = join(runs, id);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'run.json'), text);
    const ok = id === 'esc-in-reason' || id === 'html-in-reason' || id === 'many-cycles';
    // A valid run is judged (its verdict's exit code); anything else is bad input naming run.json.
    const codes = ok ? [0, 1, 3] : [2];
    const names = ok ? undefined : { file: join(d, 'run.json') };
    const large = id === 'many-cycles' ? { large: true as const } : {};
    cases.push({ id: `run/${id}/gate`, args: ['gate', d], codes, names, ...large });
    cases.push({ id: `run/${id}/report`, args: ['report', d, '--reporter', 'markdown,html,junit,tap'], codes: ok ? [0] : [2], names, ...large });
    cases.push({ id: `run/${id}/compare`, args: ['compare', s.goodRun, d, '--json'], codes: ok ? [0, 1, 3] : [2], names, ...large });
  }
  const odd = join(runs, 'gate-json-directory');
  mkdirSync(join(odd, 'gate.json'), { recursive: true });
  writeFileSync(join(odd, 'run.json'), JSON.stringify(goodRunJson));
  cases.push({ id: 'run/gate-json-directory/gate', args: ['gate', odd], codes: [2], names: { file: join(odd, 'gate.json') } });
  const runFile = join(runs, 'a-file');
  writeFileSync(runFile, 'x');
  cases.push({ id: 'run/not-a-folder/gate', args: ['gate', runFile], codes: [2], names: { file: runFile } });
  cases.push({ id: 'run/missing/gate', args: ['gate', join(runs, 'missing')], codes: [2], names: { file: join(runs, 'missing') } });
  const runJsonDir = join(runs, 'run-json-directory');
  mkdirSync(join(runJsonDir, 'run.json'), { recursive: true });
  cases.push({ id: 'run/run-json-directory/gate', args: ['gate', runJsonDir], codes: [2], names: { file: join(runJsonDir, 'run.json') } });
  cases.push({ id: 'compare/markdown-into-proc', args: ['compare', s.goodRun, s.goodRun, '--markdown', '/proc/self/status'], codes: [2], names: { file: '/proc/self/status' } });

  // Policies, judged against the good run.
  const policies = join(s.root, 'policies');
  mkdirSync(policies, { recursive: true });
  for (const [id, text] of policyTexts()) {
    const f = join(policies, `${id}.yaml`);
    writeFileSync(f, text);
    cases.push({ id: `policy/${id}`, args: ['gate', s.goodRun, '--policy', f], codes: [2], names: { file: f } });
  }
  const pfifo = join(policies, 'fifo.yaml');
  execFileSync('mkfifo', [pfifo]);
  cases.push({ id: 'policy/fifo', args: ['gate', s.goodRun, '--policy', pfifo], codes: [2], names: { file: pfifo } });
  cases.push({ id: 'policy/directory', args: ['gate', s.goodRun, '--policy', policies], codes: [2], names: { file: policies } });

  // Evidence.
  const ev = join(s.root, 'evidence');
  mkdirSync(ev, { recursive: true });
  for (const [id, data, codes] of evidence(OOPS)) {
    const f = join(ev, id);
    writeFileSync(f, data);
    cases.push({ id: `detect/${id}`, args: ['detect', f], codes });
    cases.push({ id: `detect/${id}/json`, args: ['detect', '--json', f], codes });
  }
  cases.push({ id: 'detect/directory', args: ['detect', ev], codes: [2], names: { file: ev } });
  cases.push({ id: 'detect/missing', args: ['detect', join(ev, 'missing')], codes: [2], names: { file: join(ev, 'missing') } });
  // A pipe is evidence too (`bootgate detect <(zcat console.log.gz)`): read as it comes, so no FIFO case here.
  return cases;
}
