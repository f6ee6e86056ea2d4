// Reads what kubeadm prints: the join commands at the end of `kubeadm init` and from
// `kubeadm token create --print-join-command`, and the table of `kubeadm token list`.
// Formats: cmd/kubeadm/app/cmd/util/join.go (continuation lines start with a TAB, the hash is followed by a
// space) and the token printer in cmd/kubeadm/app/cmd/token.go (text/tabwriter columns).

export interface JoinCommand {
  /** API server "host:port" the join discovers the cluster through. */
  endpoint: string;
  token: string;
  /** The first --discovery-token-ca-cert-hash, "sha256:<hex>". */
  caCertHash: string;
  /** Present when the output carried a certificate key (control-plane join or `[upload-certs]`). */
  certificateKey?: string;
  /** True when the output offered a `--control-plane` join. */
  controlPlaneJoin: boolean;
}

export interface BootstrapTokenEntry {
  token: string;
  /** As printed, e.g. "23h"; null for `<forever>`. */
  ttl: string | null;
  /** RFC 3339 as printed; null for `<never>`. */
  expires: string | null;
  usages: string[];
  /** Empty when kubeadm printed `<none>`. */
  description: string;
  groups: string[];
}

interface ParsedJoinLine {
  endpoint?: string;
  token?: string;
  caCertHashes: string[];
  controlPlane: boolean;
  certificateKey?: string;
}

const UPLOAD_CERTS_KEY_HEADER = "[upload-certs] Using certificate key:";
const CERTIFICATE_KEY_LINE = /^[0-9a-f]{64}$/;

function normaliseLines(output: string): string[] {
  // Joining the backslash continuations first turns each printed command into a single line.
  return output
    .replace(/\r\n?/g, "\n")
    .replace(/\\[ \t]*\n/g, " ")
    .split("\n");
}

/** Reads `--flag value` and `--flag=value` forms, as kubeadm's own flag parser accepts both. */
function parseJoinLine(line: string): ParsedJoinLine {
  const words = line.trim().split(/\s+/);
  const parsed: ParsedJoinLine = { caCertHashes: [], controlPlane: false };
  for (let i = 2; i < words.length; i++) {
    const word = words[i];
    const equals = word.indexOf("=");
    const flag = word.startsWith("--") && equals > 0 ? word.slice(0, equals) : word;
    const inlineValue = flag !== word ? word.slice(equals + 1) : undefined;
    const takeValue = (): string | undefined => inlineValue ?? words[++i];
    switch (flag) {
      case "--token":
        parsed.token = takeValue();
        break;
      case "--discovery-token-ca-cert-hash": {
        const hash = takeValue();
        if (hash !== undefined) parsed.caCertHashes.push(hash);
        break;
      }
      case "--control-plane":
        parsed.controlPlane = inlineValue === undefined || inlineValue === "true";
        break;
      case "--certificate-key":
        parsed.certificateKey = takeValue();
        break;
      default:
        if (!word.startsWith("-") && parsed.endpoint === undefined) parsed.endpoint = word;
    }
  }
  return parsed;
}

function sameOrThrow(values: (string | undefined)[], what: string): string | undefined {
  const distinct = [...new Set(values.filter((v): v is string => v !== undefined))];
  if (distinct.length > 1) {
    // Values may be secret (tokens, keys): say what differs, not the values.
    throw new Error(`kubeadm printed join commands with different ${what}s`);
  }
  return distinct[0];
}

/**
 * Parses the output of `kubeadm init` or `kubeadm token create --print-join-command`.
 * Throws when no join command is found or it lacks the token or the CA hash (e.g. it was printed with
 * --discovery-token-unsafe-skip-ca-verification, which this project never accepts).
 */
export function parseJoinCommand(output: string): JoinCommand {
  const lines = normaliseLines(output);
  const joins = lines.filter((line) => /^\s*kubeadm\s+join\s/.test(line)).map(parseJoinLine);
  if (joins.length === 0) {
    throw new Error("no `kubeadm join` command found in kubeadm's output");
  }

  const endpoint = sameOrThrow(
    joins.map((j) => j.endpoint),
    "endpoint",
  );
  const token = sameOrThrow(
    joins.map((j) => j.token),
    "token",
  );
  const caCertHash = sameOrThrow(
    joins.map((j) => j.caCertHashes[0]),
    "CA certificate hash",
  );
  if (endpoint === undefined) throw new Error("the `kubeadm join` command has no API server endpoint");
  if (token === undefined) throw new Error("the `kubeadm join` command has no --token");
  if (caCertHash === undefined) {
    throw new Error("the `kubeadm join` command has no --discovery-token-ca-cert-hash");
  }

  const keyIndex = lines.findIndex((line) => line.trim() === UPLOAD_CERTS_KEY_HEADER);
  const uploadedKey = keyIndex >= 0 ? lines.slice(keyIndex + 1).find((l) => l.trim() !== "") : undefined;
  if (uploadedKey !== undefined && !CERTIFICATE_KEY_LINE.test(uploadedKey.trim())) {
    throw new Error(`"${UPLOAD_CERTS_KEY_HEADER}" is not followed by a 64-character hex key`);
  }
  const certificateKey = sameOrThrow([...joins.map((j) => j.certificateKey), uploadedKey?.trim()], "certificate key");

  const result: JoinCommand = { endpoint, token, caCertHash, controlPlaneJoin: joins.some((j) => j.controlPlane) };
  if (certificateKey !== undefined) result.certificateKey = certificateKey;
  return result;
}

/** Columns start where their header starts: tabwriter pads every cell of a column to the same width. */
function columnStarts(header: string, names: string[]): number[] {
  let from = 0;
  return names.map((name) => {
    const at = header.indexOf(name, from);
    if (at < 0) throw new Error(`\`kubeadm token list\` header lacks the ${name} column`);
    from = at + name.length;
    return at;
  });
}

const TOKEN_LIST_COLUMNS = ["TOKEN", "TTL", "EXPIRES", "USAGES", "DESCRIPTION", "EXTRA GROUPS"];

function listOrEmpty(cell: string): string[] {
  return cell === "<none>" || cell === "" ? [] : cell.split(",");
}

/** Parses `kubeadm token list`. Slicing by header offsets keeps descriptions that contain spaces intact. */
export function parseTokenList(output: string): BootstrapTokenEntry[] {
  const lines = output.replace(/\r\n?/g, "\n").split("\n");
  const headerIndex = lines.findIndex((line) =>
    /^TOKEN\s+TTL\s+EXPIRES\s+USAGES\s+DESCRIPTION\s+EXTRA GROUPS/.test(line),
  );
  if (headerIndex < 0) {
    // kubeadm prints the header together with the first token, so no tokens means no output at all.
    if (lines.every((line) => line.trim() === "")) return [];
    throw new Error("no `kubeadm token list` header (TOKEN TTL EXPIRES ...) found");
  }
  // Offsets are in characters (code points), as tabwriter counts runes.
  const starts = columnStarts(lines[headerIndex], TOKEN_LIST_COLUMNS);
  return lines
    .slice(headerIndex + 1)
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const chars = Array.from(line);
      const cells = starts.map((start, i) =>
        chars
          .slice(start, i + 1 < starts.length ? starts[i + 1] : undefined)
          .join("")
          .trim(),
      );
      const [token, ttl, expires, usages, description, groups] = cells;
      if (token === "") throw new Error("`kubeadm token list` row has no token");
      return {
        token,
        ttl: ttl === "<forever>" ? null : ttl,
        expires: expires === "<never>" ? null : expires,
        usages: listOrEmpty(usages),
        description: description === "<none>" ? "" : description,
        groups: listOrEmpty(groups),
      };
    });
}
