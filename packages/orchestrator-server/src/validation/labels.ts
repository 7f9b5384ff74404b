import { invalidArgument } from "./fields.js";

/** The most labels a label map may hold. */
export const MAX_LABELS = 64;
/** The longest label key, in characters. */
export const MAX_LABEL_KEY_LENGTH = 128;
/** The longest label value, in characters. */
export const MAX_LABEL_VALUE_LENGTH = 1024;

/**
 * Checks a label map: at most {@link MAX_LABELS} entries, keys non-empty and
 * at most {@link MAX_LABEL_KEY_LENGTH} characters, values at most
 * {@link MAX_LABEL_VALUE_LENGTH} characters. Returns it.
 */
export function validateLabels(labels: Readonly<Record<string, string>>, field: string): Readonly<Record<string, string>> {
  const entries = Object.entries(labels);
  if (entries.length > MAX_LABELS) throw invalidArgument(field, `has more than ${MAX_LABELS} labels`);
  for (const [key, value] of entries) {
    if (key === "") throw invalidArgument(field, "has an empty key");
    if (key.length > MAX_LABEL_KEY_LENGTH) throw invalidArgument(field, `has a key longer than ${MAX_LABEL_KEY_LENGTH} characters`);
    if (value.length > MAX_LABEL_VALUE_LENGTH) {
      throw invalidArgument(`${field}[${JSON.stringify(key)}]`, `is longer than ${MAX_LABEL_VALUE_LENGTH} characters`);
    }
  }
  return labels;
}
