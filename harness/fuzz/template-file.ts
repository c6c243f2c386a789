import { ConfigError, throwProblems } from '../util/errors.js';
import { loadYaml } from '../util/yaml.js';
import { contentTemplateSchema, type ContentTemplate } from './template-schema.js';

/** The template file an agent keeps beside its build. */
export const TEMPLATE_FILE = 'content-template.yaml';

/**
 * Read a content template: the schema, then what it cannot say (a `record.field` bound must name
 * a numeric field of a record of this template), every problem at its line.
 */
export async function loadContentTemplate(file: string): Promise<ContentTemplate> {
  const y = await loadYaml(file, contentTemplateSchema);
  const t = y.value;
  const problems: ConfigError[] = [];
  for (const [ri, r] of t.records.entries()) {
    for (const [fi, f] of r.fields.entries()) {
      for (const which of ['min', 'max'] as const) {
        const b = f[which];
        if (typeof b !== 'string') continue;
        const [rec, field] = b.split('.');
        const target = t.records.find((x) => x.keyword === rec)?.fields.find((x) => x.name === field);
        if (!target || (target.type !== 'int' && target.type !== 'uint')) {
          const path = ['records', ri, 'fields', fi, which];
          problems.push(new ConfigError('TEMPLATE_BOUND', `${b} names no int or uint field of this template`, { file, line: y.lineOf(path), field: `records[${ri}].fields[${fi}].${which}` }));
        }
      }
    }
  }
  throwProblems(problems);
  return t;
}
