// kubeadm decodes YAML with sigs.k8s.io/yaml, which follows YAML 1.1: a bare `on`, `yes` or `0755` would be
// read as a bool or an octal number and then fail to decode into a string field. Emitting with the 1.1 schema
// makes the yaml package quote every such string.
import { Document } from "yaml";

export function renderYamlDocuments(documents: object[]): string {
  return documents.map((content) => new Document(content, { version: "1.1" }).toString()).join("---\n");
}
