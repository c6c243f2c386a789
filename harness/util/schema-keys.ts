import type { z } from 'zod';

type Path = readonly (string | number)[];

/**
 * The object schemas that check the value at `path` of a file, seen from the input side (what a
 * person writes, before transforms): through optional, default, pipe and the like, into object
 * fields, array items and record values, and into every member of a union.
 */
function objectsAt(schema: z.core.$ZodType, path: Path): z.core.$ZodObject[] {
  const s = schema as z.core.$ZodTypes;
  const d = s._zod.def;
  switch (d.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
    case 'success':
      return objectsAt(d.innerType, path);
    case 'pipe':
      return objectsAt(d.in, path);
    case 'lazy':
      return objectsAt(d.getter(), path);
    case 'union':
      return d.options.flatMap((o) => objectsAt(o, path));
    case 'intersection':
      return [...objectsAt(d.left, path), ...objectsAt(d.right, path)];
  }
  if (path.length === 0) return d.type === 'object' ? [s as z.core.$ZodObject] : [];
  const [head, ...rest] = path;
  if (d.type === 'object' && typeof head === 'string' && Object.hasOwn(d.shape, head)) return objectsAt(d.shape[head]!, rest);
  if (d.type === 'array' && typeof head === 'number') return objectsAt(d.element, rest);
  if (d.type === 'record') return objectsAt(d.valueType, rest);
  return [];
}

/** The keys a file may use at `path` (an object's fields), for suggestions when it uses another. */
export function knownKeysAt(schema: z.core.$ZodType, path: Path): string[] {
  return [...new Set(objectsAt(schema, path).flatMap((o) => Object.keys(o._zod.def.shape)))];
}
