import { fileNamePart } from '../util/paths.js';
import { suiteAgents, type Suite } from './suite-schema.js';

export interface CellPlan {
  /** Stable and file-system safe: the same cell has the same id in every run of the suite. */
  id: string;
  image: string;
  /** The agent's name (a suite may hold several agents side by side). */
  agent: string;
  build: { version: string; source?: string; inTree?: true };
  content: { version: string; path: string };
  /** Which copy of the cell (suite `repeat`), from 1; absent when the suite runs each cell once. */
  repeat?: number;
}

/** Names and versions are kept verbatim in ids (the schema restricts them); anything else is encoded, injectively. */
const safe = fileNamePart;

/**
 * The part of a cell id after its image. Image names hold no `_` (recipe schema), so the first
 * `__` ends the image; two builds or contents can still meet here (agent sensor-2 build 1 and
 * agent sensor build 2-1), which loadSuite refuses, naming both entries.
 */
export const cellIdTail = (agent: string, build: string, content: string) => `${safe(agent)}-${safe(build)}__content-${safe(content)}`;

/**
 * The id of copy `n` of a cell when a suite repeats its cells: `@` is outside the names' alphabet,
 * so a copy never takes the id of another cell.
 */
export const repeatId = (id: string, n: number) => (n === 1 ? id : `${id}@repeat-${n}`);

/** images x builds x content (x repeat), in the suite's order (images outermost); images as selected from the catalog. */
export function expandMatrix(suite: Suite, images: string[] = suite.images): CellPlan[] {
  const cells: CellPlan[] = [];
  const contents = suite.content.filter((c) => !suite.matrix?.content || suite.matrix.content.includes(c.version));
  for (const image of images) {
    for (const { agent } of suiteAgents(suite)) {
      const builds = agent.builds.filter((b) => !suite.matrix?.builds || suite.matrix.builds.includes(b.version));
      for (const build of builds) {
        for (const content of contents) {
          const id = `${safe(image)}__${cellIdTail(agent.name, build.version, content.version)}`;
          for (let n = 1; n <= suite.repeat; n++) {
            cells.push({ id: repeatId(id, n), image, agent: agent.name, build, content, ...(suite.repeat > 1 ? { repeat: n } : {}) });
          }
        }
      }
    }
  }
  return cells;
}
