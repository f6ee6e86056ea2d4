// Parses rendered kubeadm configs back the way kubeadm reads them, for assertions.
import { strict as assert } from "assert";
import { parseAllDocuments } from "yaml";

// Parsed YAML has no static type; tests walk it freely and assert on the values they reach.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ParsedDoc = Record<string, any>;

/** YAML 1.1, as sigs.k8s.io/yaml: a value Go would read as a bool or number shows up as one here too. */
export function parseDocs(text: string): ParsedDoc[] {
  return parseAllDocuments(text, { version: "1.1" }).map((doc) => {
    assert.equal(doc.errors.length, 0, String(doc.errors));
    return doc.toJS() as ParsedDoc;
  });
}

export function byKind(docs: ParsedDoc[], kind: string): ParsedDoc {
  const found = docs.filter((d) => d.kind === kind);
  assert.equal(found.length, 1, `exactly one ${kind}`);
  return found[0];
}
