// Keeps secrets (keys, passwords, join tokens, kubeconfigs) out of everything this project prints.

export const SECRET_PLACEHOLDER = "[secret]";

/**
 * Shorter secrets are not masked: replacing every "root" or "1234" in command output would garble
 * logs while hiding almost nothing. Bootstrap token ids are 6 characters and public, so they stay
 * visible; their 16-character secret half is masked on its own.
 */
export const MIN_SECRET_LENGTH = 6;

/** A kubeadm bootstrap token, "[a-z0-9]{6}.[a-z0-9]{16}": id (public) dot secret. */
const BOOTSTRAP_TOKEN = /^[a-z0-9]{6}\.([a-z0-9]{16})$/;

/**
 * A run of base64 long enough to be key material. Within a multi-line secret (PEM key, kubeconfig)
 * such runs are masked on their own too, so a partial print (`head`, `grep`, an error quoting one
 * line) does not leak the key; YAML keys, URLs and BEGIN/END markers are not base64 runs and stay.
 */
const KEY_MATERIAL = /[A-Za-z0-9+/=]{16,}/g;

function expandSecrets(secrets: readonly string[]): string[] {
  const expanded = new Set<string>();
  for (const secret of secrets) {
    // Files and command outputs usually end in a newline that the secret's printed form may lack
    // (or the other way round): mask the secret with and without it.
    for (const variant of [secret, secret.replace(/\r?\n$/, "")]) {
      expanded.add(variant);
      const token = BOOTSTRAP_TOKEN.exec(variant);
      if (token) {
        expanded.add(token[1]);
      }
      if (variant.includes("\n")) {
        for (const material of variant.match(KEY_MATERIAL) ?? []) {
          expanded.add(material);
        }
      }
    }
  }
  // Longest first, so that when two secrets start at the same place the whole of the longer one goes.
  return [...expanded].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/** Incremental masking of one stream: text in, masked text out, never emitting a secret's prefix early. */
export interface StreamMasker {
  /** Masks `chunk`, returning what can be shown now; a possible start of a secret is held back. */
  push(chunk: string): string;
  /** Masks and returns whatever is still held back; call once at the end of the stream. */
  flush(): string;
}

export class SecretMasker {
  private readonly secrets: string[];
  private readonly firstCharacters: Set<string>;

  constructor(secrets: readonly string[]) {
    this.secrets = expandSecrets(secrets);
    this.firstCharacters = new Set(this.secrets.map((s) => s[0]));
  }

  /** True when nothing would ever be masked; lets callers skip buffering. */
  get isEmpty(): boolean {
    return this.secrets.length === 0;
  }

  mask(text: string): string {
    const stream = this.maskStream();
    return stream.push(text) + stream.flush();
  }

  /**
   * A masker for text that arrives in chunks (SSH channel data), so a secret split across two
   * chunks is still masked. Output is identical to `mask()` of the concatenated input.
   */
  maskStream(): StreamMasker {
    let pending = "";
    return {
      push: (chunk: string): string => {
        pending += chunk;
        const { masked, consumed } = this.scan(pending, false);
        pending = pending.slice(consumed);
        return masked;
      },
      flush: (): string => {
        const { masked } = this.scan(pending, true);
        pending = "";
        return masked;
      },
    };
  }

  /**
   * Masks `text` from the start up to the first position from which a secret could still be
   * completed by later input (unless `final`). Matching is leftmost, longest at a position, and
   * non-overlapping, so stopping at that position can never change which matches come earlier.
   */
  private scan(text: string, final: boolean): { masked: string; consumed: number } {
    const stopAt = final ? text.length : this.firstIncompleteSecretStart(text);
    let masked = "";
    let plainStart = 0;
    let position = 0;
    while (position < stopAt) {
      const secret = this.firstCharacters.has(text[position])
        ? this.secrets.find((s) => text.startsWith(s, position))
        : undefined;
      if (secret === undefined) {
        position += 1;
        continue;
      }
      masked += text.slice(plainStart, position) + SECRET_PLACEHOLDER;
      position += secret.length;
      plainStart = position;
    }
    // A match may end past stopAt; it is complete, so everything up to its end is settled.
    masked += text.slice(plainStart, position);
    return { masked, consumed: position };
  }

  /** The first index whose suffix is a proper prefix of some secret, or text.length. */
  private firstIncompleteSecretStart(text: string): number {
    const longest = this.secrets.length > 0 ? this.secrets[0].length : 0;
    for (let start = Math.max(0, text.length - longest + 1); start < text.length; start++) {
      if (!this.firstCharacters.has(text[start])) {
        continue;
      }
      const tail = text.slice(start);
      if (this.secrets.some((s) => s.length > tail.length && s.startsWith(tail))) {
        return start;
      }
    }
    return text.length;
  }
}

/**
 * Splits streamed text into lines for a line-oriented consumer (`onOutput`). Feed it masked text:
 * masking first lets multi-line secrets be recognised before the text is cut into lines.
 */
export class LineSplitter {
  private partial = "";

  constructor(private readonly emit: (line: string) => void) {}

  push(text: string): void {
    const lines = (this.partial + text).split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) {
      this.emit(line.endsWith("\r") ? line.slice(0, -1) : line);
    }
  }

  /** Emits a last line that had no newline. */
  flush(): void {
    if (this.partial !== "") {
      const line = this.partial;
      this.partial = "";
      this.emit(line.endsWith("\r") ? line.slice(0, -1) : line);
    }
  }
}
