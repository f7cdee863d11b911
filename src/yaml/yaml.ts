import { type Document, isAlias, isMap, isNode, isPair, isSeq, LineCounter, parse, parseAllDocuments, parseDocument } from 'yaml';

/**
 * The YAML adapter: the only module that imports the yaml library. Duplicate keys are errors
 * everywhere; error messages are the library's (callers keep their first line).
 */

/** A document parsed for config loading: syntax errors with their line, and where a field is. */
export interface LocatedYaml {
  errors: { line: number | undefined; message: string }[];
  /** The document as plain data (call only without errors). */
  value(): unknown;
  /** The line of the node at `segments`, or of its nearest ancestor that has one. */
  lineOf(segments: (string | number)[]): number | undefined;
}

export function parseLocatedYaml(text: string): LocatedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  return {
    errors: doc.errors.map((error) => ({ line: error.linePos?.[0]?.line, message: error.message })),
    value: () => doc.toJS() as unknown,
    lineOf(segments) {
      let node: unknown = doc.getIn(segments, true);
      for (let cut = segments.length - 1; (!isNode(node) || !node.range) && cut >= 0; cut--) node = doc.getIn(segments.slice(0, cut), true);
      return isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : undefined;
    },
  };
}

/** One document as plain data; throws the library's error on bad syntax. */
export function parseYaml(text: string): unknown {
  return parse(text, { uniqueKeys: true }) as unknown;
}

export interface YamlStreamOptions {
  /** YAML 1.2 core schema with merge keys, silent about stringified collection keys. */
  strictCore?: boolean;
  /**
   * "Billion laughs" guard, one of: alias expansions allowed per document (the library's count),
   * or the number of nodes a document may hold once its aliases are expanded (counted without
   * expanding them; value() throws "aliases expand to more than N nodes" beyond it).
   */
  maxAliasCount?: number;
  maxExpandedNodes?: number;
  /** `!!binary` values become base64 strings instead of bytes. */
  binaryAsBase64?: boolean;
  /** Integers become bigints (every digit kept; the caller narrows them). */
  intAsBigInt?: boolean;
}

export interface YamlStreamDocument {
  /** The document's syntax errors (messages). */
  errors: string[];
  /** The document as plain data; throws on excessive aliasing or an alias to an undefined anchor. */
  value(): unknown;
}

/** The error message of a document over YamlStreamOptions.maxExpandedNodes. */
export function aliasExpansionMessage(maxExpandedNodes: number): string {
  return `aliases expand to more than ${maxExpandedNodes} nodes`;
}

/** Every document of a YAML stream; `streamErrors` are those of a stream without documents. */
export function parseYamlStream(text: string, options: YamlStreamOptions): { documents: YamlStreamDocument[]; streamErrors: string[] } {
  const parsed = parseAllDocuments(text, {
    ...(options.strictCore ? ({ version: '1.2', schema: 'core', merge: true, uniqueKeys: true, prettyErrors: true, logLevel: 'silent' } as const) : {}),
    ...(options.intAsBigInt ? { intAsBigInt: true } : {}),
  });
  if ('empty' in parsed) return { documents: [], streamErrors: parsed.errors.map((e) => e.message) };
  const limit = options.maxExpandedNodes;
  const toJsOptions = { maxAliasCount: limit !== undefined ? -1 : options.maxAliasCount, ...(options.binaryAsBase64 ? { reviver: binaryAsBase64 } : {}) };
  return {
    documents: parsed.map((doc) => ({
      errors: doc.errors.map((e) => e.message),
      value: () => {
        if (limit !== undefined && expandedNodes(doc, limit) > limit) throw new Error(aliasExpansionMessage(limit));
        return doc.toJS(toJsOptions) as unknown;
      },
    })),
    streamErrors: [],
  };
}

/**
 * How many nodes the document holds with every alias expanded, counted without expanding (each
 * anchored node's size is computed once), stopping early past `limit`. An alias to an unknown
 * anchor counts 1 (toJS reports it); an alias inside its own anchor counts past the limit.
 */
function expandedNodes(document: Document.Parsed, limit: number): number {
  const sizes = new Map<unknown, number>();
  const visiting = new Set<unknown>();
  const size = (node: unknown): number => {
    if (node === null || node === undefined) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (visiting.has(node)) return limit + 1;
    visiting.add(node);
    let total = 1;
    if (isAlias(node)) total = size(node.resolve(document));
    else if (isMap(node) || isSeq(node)) {
      for (const item of node.items as unknown[]) {
        total += isPair(item) ? size(item.key) + size(item.value) : size(item);
        if (total > limit) break;
      }
    }
    visiting.delete(node);
    sizes.set(node, total);
    return total;
  };
  return size(document.contents);
}

function binaryAsBase64(_key: unknown, value: unknown): unknown {
  return value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') : value;
}
