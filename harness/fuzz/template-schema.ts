import { z } from 'zod';

/** A bound written as a number or as `record.field`: the value that field has in the content being read. */
const bound = z.union([z.number().int(), z.string().regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'a number, or record.field (the value of that field in the content)')]);

export const templateFieldSchema = z
  .object({
    name: z.string().min(1).max(64).describe('The field\'s name, for messages and mutant descriptions.'),
    at: z.number().int().min(1).max(64).optional().describe('Positional field: its token index after the record\'s keyword (1 = the token after it).'),
    key: z.string().min(1).max(64).optional().describe('Keyed field: written as key=value anywhere after the keyword.'),
    type: z.enum(['int', 'uint', 'string', 'enum', 'regex']).describe('int, uint, string, enum (one of values), regex (a pattern the agent compiles).'),
    min: bound.optional().describe('int/uint: the smallest value the agent accepts.'),
    max: bound.optional().describe('int/uint: the largest value the agent accepts; record.field when another field declares it (a field index bounded by a template\'s declared field count).'),
    maxLength: z.number().int().min(1).max(1 << 20).optional().describe('string/regex: the longest value, in bytes.'),
    values: z.array(z.string().min(1)).min(1).optional().describe('enum: the values the agent knows.'),
    wildcard: z.string().min(1).optional().describe('The value that matches anything and makes the agent skip looking at the field (op=any, value=*).'),
    optional: z.boolean().default(false).describe('The field may be left out.'),
  })
  .strict()
  .refine((f) => (f.at === undefined) !== (f.key === undefined), { message: 'a field is positional (at:) or keyed (key:), one of the two' })
  .refine((f) => f.type !== 'enum' || f.values !== undefined, { message: 'an enum field needs values:' });

export const templateRecordSchema = z
  .object({
    keyword: z.string().min(1).max(64).regex(/^\S+$/, 'one token').describe('The first token of the record\'s lines.'),
    count: z
      .object({ min: z.number().int().min(0).default(0), max: z.number().int().min(1).optional() })
      .strict()
      .prefault({})
      .describe('How many lines of this record a content holds: { min, max }.'),
    fields: z.array(templateFieldSchema).max(64).default([]).describe('The record\'s fields.'),
  })
  .strict();

/**
 * The shape of an agent's content, declared beside its build (content-template.yaml): what a
 * content file's records and fields are, with their types, counts, lengths and wildcards. The
 * fuzzer mutates content against it; the agent's real interpreter is the judge of each mutant.
 */
export const contentTemplateSchema = z
  .object({
    format: z.literal('lines').describe('lines: one record a line, its first token the keyword, tokens split on spaces and tabs.'),
    comment: z.string().min(1).max(8).optional().describe('Lines starting with this are comments.'),
    records: z.array(templateRecordSchema).min(1).max(64).describe('The records, in the order a content holds them.'),
  })
  .strict();

export type ContentTemplate = z.infer<typeof contentTemplateSchema>;
export type TemplateRecord = ContentTemplate['records'][number];
export type TemplateField = TemplateRecord['fields'][number];
