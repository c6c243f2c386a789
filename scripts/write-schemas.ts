import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jsonSchemas, schemaText } from '../harness/config/json-schemas.js';
import { projectRoot } from '../harness/util/paths.js';

/** `npm run schemas`: regenerate schemas/*.schema.json from the zod source. */
const dir = join(projectRoot(), 'schemas');
await mkdir(dir, { recursive: true });
for (const [name, schema] of Object.entries(jsonSchemas())) {
  await writeFile(join(dir, name), schemaText(schema));
  process.stdout.write(`${join('schemas', name)}\n`);
}
