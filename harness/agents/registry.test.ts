import { describe, expect, it } from 'vitest';
import { suiteSchema } from '../config/suite-schema.js';
import { AGENT_KIND_NAMES, AGENT_KINDS, agentKind, kindsAccepting } from './registry.js';

describe('agent kinds registry', () => {
  it('lists every kind once, each with its OS', () => {
    expect(AGENT_KIND_NAMES).toEqual(['linux-kmod', 'linux-ebpf', 'windows-driver']);
    expect(new Set(AGENT_KIND_NAMES).size).toBe(AGENT_KINDS.length);
    expect(AGENT_KINDS.map((k) => k.os)).toEqual(['linux', 'linux', 'windows']);
  });

  it('makes a driver of its kind from a suite entry', () => {
    for (const k of AGENT_KINDS) expect(k.create({ name: 'sensor', cacheDir: '/tmp/x' }).kind).toBe(k.kind);
  });

  it('is where the suite schema takes its kinds from', () => {
    const base = { name: 't', images: ['i'], content: [{ version: '1', path: 'c' }], agent: { name: 'a', builds: [{ version: '1', source: 's' }] } };
    for (const kind of AGENT_KIND_NAMES) expect(suiteSchema.safeParse({ ...base, agent: { ...base.agent, kind } }).success).toBe(true);
    const bad = suiteSchema.safeParse({ ...base, agent: { ...base.agent, kind: 'macos-kext' } });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain('linux-kmod');
  });

  it('says which kinds take a field, for the loader to refuse it elsewhere', () => {
    expect(kindsAccepting('inTree')).toEqual(['linux-kmod']);
    expect(kindsAccepting('contentParam')).toEqual(['linux-kmod']);
    expect(agentKind('nope')).toBeUndefined();
  });
});
