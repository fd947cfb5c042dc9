/**
 * Parses a JSON body as the vendor's server does: a trailing comma before `}` or `]` is accepted (seed 004's own
 * example request has one, and Json.NET reads it). Everything else is strict JSON.
 * @throws SyntaxError
 */
export const parseLenientJson = (text: string): unknown => {
  const closing = /\s*[}\]]/y;
  let out = '';
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    closing.lastIndex = i + 1;
    if (c === ',' && closing.test(text)) continue;
    out += c;
  }
  return JSON.parse(out);
};
