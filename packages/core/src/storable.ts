const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export interface UnstorableText {
  /** Dotted path of the offending key or value ('' for the value itself). */
  path: string;
  reason: 'contains a NUL character' | 'is not well-formed Unicode';
}

function problem(text: string): UnstorableText['reason'] | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character';
  if (LONE_SURROGATE.test(text)) return 'is not well-formed Unicode';
  return undefined;
}

/**
 * PostgreSQL cannot hold NUL or lone surrogates in text, JSON or jsonpath. Finds the first such
 * key or string anywhere in a value. Iterative, so deep nesting cannot exhaust the stack.
 */
export function findUnstorableText(value: unknown): UnstorableText | undefined {
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0) {
    const [item, path] = stack.pop()!;
    if (typeof item === 'string') {
      const reason = problem(item);
      if (reason) return { path, reason };
    } else if (Array.isArray(item)) {
      item.forEach((child, i) => stack.push([child, path ? `${path}.${i}` : String(i)]));
    } else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        const childPath = path ? `${path}.${key}` : key;
        const reason = problem(key);
        if (reason) return { path: childPath, reason: reason };
        stack.push([child, childPath]);
      }
    }
  }
  return undefined;
}
