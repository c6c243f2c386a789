import type { AgentDriver, ContentArtifact, PreparedBuild } from '../agents/agent.js';
import type { LifecycleStep } from '../config/suite-schema.js';
import type { GuestOs } from '../guest/guest-os.js';
import type { GuestTransport } from '../guest/transport.js';

/** What the agent in the guest is now, carried from one step to the next. */
export interface AgentState {
  build?: PreparedBuild;
  /** The content versions installed so far, the current one last: rollback goes back one. */
  contents: ContentArtifact[];
  installed: boolean;
  uninstalled: boolean;
}

/** What every step works with: the cell's agent, builds and contents (CellContext has them too). */
export interface AgentAssets {
  guest: GuestOs;
  agent: AgentDriver;
  /** The cell's own build and content, which `install` puts in. */
  build: PreparedBuild;
  content: ContentArtifact;
  /** Every build (made for this cell's image) and content of the suite, by version. */
  builds: Map<string, PreparedBuild>;
  contents: Map<string, ContentArtifact>;
  /** Host path of the static workload binary, when the suite measures workloads. */
  workloadBinary?: string;
  signal: AbortSignal;
}

export interface StepContext extends AgentAssets {
  t: GuestTransport;
  state: AgentState;
}

type StepHandler = (c: StepContext, version: string | undefined) => Promise<void>;

/** Content only, the build untouched, when the agent can; else a reinstall with the new content. */
async function putContent(c: StepContext, content: ContentArtifact): Promise<void> {
  if (c.agent.updateContent) await c.agent.updateContent(c.t, content, c.signal);
  else await c.agent.install(c.t, c.state.build!, content, c.signal);
}

/**
 * What each lifecycle action does on a running guest; each is followed by the suite's boot
 * cycles. Adding an action is a handler here and its name in the suite schema: the Record type
 * makes the two agree at compile time.
 */
export const LIFECYCLE_STEPS: Record<LifecycleStep['action'], StepHandler> = {
  install: async (c) => {
    c.state.build = c.build;
    c.state.contents = [c.content];
    await c.agent.install(c.t, c.build, c.content, c.signal);
    c.state.installed = true;
    if (c.workloadBinary) await c.guest.installWorkloadProgram(c.t, c.workloadBinary, c.signal);
  },
  upgrade: async (c, version) => {
    c.state.build = c.builds.get(version!)!;
    await c.agent.install(c.t, c.state.build, c.state.contents.at(-1)!, c.signal);
  },
  'update-content': async (c, version) => {
    const content = c.contents.get(version!)!;
    c.state.contents.push(content);
    await putContent(c, content);
  },
  'rollback-content': async (c) => {
    if (c.state.contents.length < 2) throw new Error('no earlier content to roll back to');
    c.state.contents.pop();
    await putContent(c, c.state.contents.at(-1)!);
  },
  uninstall: async (c) => {
    await c.agent.uninstall(c.t, c.signal);
    c.state.installed = false;
    c.state.uninstalled = true;
  },
};
