// Dynamic providers reach the engine as serialized closures (shared/reference/pulumi.md). This
// serializes a provider that uses withSession the way Pulumi does, loads it back the way the
// dynamic-provider host does, and runs it against a real sshd.
import { strict as assert } from "assert";
import { join } from "path";
import { serializeFunction } from "@pulumi/pulumi/runtime";
import type { Connection } from "../../config/spec";
import { withSession } from "../../ssh/session";
import {
  HostKeyVerificationError,
  RemoteCommandError,
  RemoteCommandTimeoutError,
  SshConnectionError,
} from "../../ssh/errors";
import { startSshd, type TestSshd } from "../support/sshd";

// The loader pulumi's dynamic-provider host itself uses (requireFromString(text).handler()).
const requireFromString = require("require-from-string") as (code: string, filename: string) => unknown;

const provider = {
  async create(inputs: { conn: Connection }) {
    const streamed: string[] = [];
    const result = await withSession(inputs.conn, (s) => s.run("echo created over ssh; printf 'second\\nthird'"), {
      onOutput: (line) => streamed.push(line),
    });
    return { id: "x", outs: { stdout: result.stdout, streamed } };
  },
};

describe("withSession inside a serialized dynamic provider", function () {
  this.timeout(30_000);
  let sshd: TestSshd;
  let text: string;

  before(async () => {
    sshd = await startSshd();
    const serialized = await serializeFunction(() => provider, { allowSecrets: true });
    assert.equal(serialized.exportName, "handler");
    text = serialized.text;
  });
  after(async () => {
    await sshd?.stop();
  });

  it("loads ssh2 only inside the function that connects, never as a captured module", () => {
    assert.ok(text.includes('require("ssh2")'), "the lazy require is missing");
    // Pulumi declares captured modules at the top of the text: `const ssh2_1 = require("ssh2/...")`.
    assert.doesNotMatch(text, /^(const|var|let) \S+ = require\("ssh2[^"]*"\)/m);
  });

  it("runs a command after being serialized and loaded back", async () => {
    const loaded = requireFromString(text, join(__dirname, "..", "..", "__provider.js")) as {
      handler: () => typeof provider;
    };
    const result = await loaded.handler().create({ conn: sshd.connection() });
    // Streamed lines go through classes with fields (LineSplitter): serialized closures lose field
    // initialisers unless they are compiled into the constructor (tsconfig useDefineForClassFields: false).
    assert.deepEqual(result, {
      id: "x",
      outs: { stdout: "created over ssh\nsecond\nthird", streamed: ["created over ssh", "second", "third"] },
    });
  });

  it("raises errors that keep their message, name and class (the engine shows only error.message)", async () => {
    // Pulumi serializes `super(message)` as `Error.call(this, message)`, which sets no message, and gives a
    // class without methods a prototype unlinked from Error's: before restoreError, `pulumi up` said
    // "error: undefined" for every failure of a provider.
    const raising = {
      errors: () => [
        new SshConnectionError("ssh h: connection refused", "h", "unreachable", 3),
        new HostKeyVerificationError("ssh h: host key mismatch", "h", "SHA256:x"),
        new RemoteCommandError("h", "false", 1, "boom", ""),
        new RemoteCommandTimeoutError("h", "sleep 9", 1, ""),
      ],
      isConnectionError: (error: unknown) => error instanceof SshConnectionError,
    };
    const serialized = await serializeFunction(() => raising, { allowSecrets: true });
    const loaded = (
      requireFromString(serialized.text, join(__dirname, "..", "..", "__provider.js")) as {
        handler: () => typeof raising;
      }
    ).handler();
    const errors = loaded.errors();
    assert.deepEqual(
      errors.map((error) => [error instanceof Error, error.name, error.message]),
      raising.errors().map((error) => [true, error.name, error.message]),
    );
    assert.match(String(errors[2]), /^RemoteCommandError: ssh h: command `false` exited with status 1/);
    assert.deepEqual(errors.map(loaded.isConnectionError), [true, true, false, false]);
  });

  it("names the config key a connection's value came from, the connection having travelled as plain data", async () => {
    const loaded = requireFromString(text, join(__dirname, "..", "..", "__provider.js")) as {
      handler: () => typeof provider;
    };
    // As the engine hands inputs back: JSON, with the key paths resolve.ts recorded.
    const conn = JSON.parse(
      JSON.stringify(
        sshd.connection({
          hostKey: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
          sources: { hostKey: "workers[0].hostKey" },
        }),
      ),
    ) as Connection;
    const error = await loaded
      .handler()
      .create({ conn })
      .catch((e: unknown) => e);
    assert.ok(error instanceof Error && error.message.includes("update workers[0].hostKey ("), String(error));
  });
});
