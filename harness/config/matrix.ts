import { suiteAgents, type Suite } from './suite-schema.js';

export interface CellPlan {
  /** Stable and file-system safe: the same cell has the same id in every run of the suite. */
  id: string;
  image: string;
  /** The agent's name (a suite may hold several agents side by side). */
  agent: string;
  build: { version: string; source?: string; inTree?: true };
  content: { version: string; path: string };
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_');

/** images x builds x content, in the suite's order (images outermost); images as selected from the catalog. */
export function expandMatrix(suite: Suite, images: string[] = suite.images): CellPlan[] {
  const cells: CellPlan[] = [];
  const contents = suite.content.filter((c) => !suite.matrix?.content || suite.matrix.content.includes(c.version));
  for (const image of images) {
    for (const { agent } of suiteAgents(suite)) {
      const builds = agent.builds.filter((b) => !suite.matrix?.builds || suite.matrix.builds.includes(b.version));
      for (const build of builds) {
        for (const content of contents) {
          cells.push({
            id: `${safe(image)}__${safe(agent.name)}-${safe(build.version)}__content-${safe(content.version)}`,
            image,
            agent: agent.name,
            build,
            content,
          });
        }
      }
    }
  }
  return cells;
}
