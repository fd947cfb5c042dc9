import { OptionalKind, type TObject, type TSchema, Type, TypeGuard } from '@sinclair/typebox';

/** Whether `value` is a JSON object (not an array, not null). */
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * RFC 7396 JSON merge patch: an object patch merges member by member (a `null` member removes it), anything else
 * replaces the target whole (arrays included).
 */
export const mergePatch = (target: unknown, patch: unknown): unknown => {
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
};

/**
 * The schema of an RFC 7396 merge patch of objects valid under `schema`: every member optional and nullable (null
 * removes it), nested objects patched the same way, anything else (arrays included) replaced whole.
 */
export const mergePatchSchema = (schema: TObject): TObject =>
  Type.Object(
    Object.fromEntries(
      Object.entries(schema.properties).map(([key, member]) => {
        const { [OptionalKind]: _, ...plain } = member as TSchema & { [OptionalKind]?: string };
        const inner = TypeGuard.IsObject(plain) ? mergePatchSchema(plain) : (plain as TSchema);
        return [key, Type.Optional(Type.Union([inner, Type.Null()]))];
      }),
    ),
    { additionalProperties: false },
  );
