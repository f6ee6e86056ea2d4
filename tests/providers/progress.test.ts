// What the providers show the user: host lines live only (ephemeral), and per step a line that stays in the
// Diagnostics section, plus warnings. The engine side is a fake engine speaking the engine's gRPC Log service,
// so what crosses the wire (the ephemeral flag, severities, order) is checked as the real engine receives it.
import { strict as assert } from "assert";
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import { EngineService } from "@pulumi/pulumi/proto/engine_grpc_pb";
import { LogSeverity, type LogRequest } from "@pulumi/pulumi/proto/engine_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { engineAddress, flushLog, log, setLocalLog, type LogEntry } from "../../providers/shared/engine-log";
import { formatDuration, HOST_OUTPUT_ENV, progress } from "../../providers/shared/progress";
import { remoteStepProvider } from "../../providers/remote-step";
import { StepReporter } from "../../providers/shared/step-reporter";

/** Entries the providers send while `fn` runs, without an engine (as in every other provider test). */
async function entriesOf(fn: () => Promise<unknown> | void): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  setLocalLog((entry) => entries.push(entry));
  try {
    await fn();
  } catch {
    // the entries are what is checked
  } finally {
    setLocalLog(undefined);
  }
  return entries;
}

const kept = (entries: LogEntry[]) => entries.filter((e) => !e.ephemeral).map((e) => `${e.severity} ${e.message}`);

describe("progress: what stays and what only streams", () => {
  it("streams host lines as ephemeral and keeps kubeadm's and kubectl's warnings", async () => {
    const entries = await entriesOf(() => {
      // The pace is per node and process: a clock of its own, ahead of any other test's.
      let clock = Date.now() + 60_000;
      const sink = progress("master01", "kubeadm init", () => (clock += 1000));
      sink('[certs] Generating "ca" certificate and key', "stdout");
      sink("   ", "stdout");
      sink("\t[WARNING Swap]: swap is supported for cgroup v2 only", "stdout");
      sink("Warning: policy/v1beta1 PodSecurityPolicy is deprecated", "stderr");
      sink("Warning: ignoring DaemonSet-managed Pods: kube-system/kube-proxy-x", "stderr");
      sink("W0102 10:00:00.000000    1 reset.go:1] [reset] No kubeadm config, using etcd pod spec", "stderr");
    });
    assert.deepEqual(
      entries.filter((e) => e.ephemeral).map((e) => e.message),
      [
        '[master01] kubeadm init: [certs] Generating "ca" certificate and key',
        "[master01] kubeadm init: Warning: ignoring DaemonSet-managed Pods: kube-system/kube-proxy-x",
        "[master01] kubeadm init: W0102 10:00:00.000000    1 reset.go:1] [reset] No kubeadm config, using etcd pod spec",
      ],
    );
    assert.deepEqual(kept(entries), [
      "warning [master01] kubeadm init: [WARNING Swap]: swap is supported for cgroup v2 only",
      "warning [master01] kubeadm init: Warning: policy/v1beta1 PodSecurityPolicy is deprecated",
    ]);
  });

  it("streams at most one line per node and second, across steps; warnings always stay", async () => {
    const entries = await entriesOf(() => {
      const start = Date.now() + 120_000;
      let clock = start;
      const at = () => clock;
      progress("pace1", "kubeadm join", at)("line at 0ms", "stdout");
      clock = start + 400;
      progress("pace1", "kubeadm join", at)("line at 400ms (dropped)", "stdout");
      progress("pace1", "kubeadm join", at)("[WARNING Hostname]: kept whatever the clock", "stdout");
      clock = start + 999;
      // A new step's sink for the same node keeps the node's pace.
      progress("pace1", "kubelet", at)("line at 999ms (dropped)", "stdout");
      clock = start + 1000;
      progress("pace1", "kubelet", at)("line at 1000ms", "stdout");
      // Another node has its own pace.
      progress("pace2", "kubeadm join", at)("pace2's first line", "stdout");
    });
    assert.deepEqual(
      entries.filter((e) => e.ephemeral).map((e) => e.message),
      [
        "[pace1] kubeadm join: line at 0ms",
        "[pace1] kubelet: line at 1000ms",
        "[pace2] kubeadm join: pace2's first line",
      ],
    );
    assert.deepEqual(kept(entries), ["warning [pace1] kubeadm join: [WARNING Hostname]: kept whatever the clock"]);
  });

  it(`streams every line with ${HOST_OUTPUT_ENV}=all`, async () => {
    const before = process.env[HOST_OUTPUT_ENV];
    process.env[HOST_OUTPUT_ENV] = "all";
    try {
      const entries = await entriesOf(() => {
        const at = () => Date.now() + 180_000;
        const sink = progress("every1", "kubeadm join", at);
        sink("first", "stdout");
        sink("second, the same millisecond", "stdout");
      });
      assert.deepEqual(
        entries.map((e) => e.message),
        ["[every1] kubeadm join: first", "[every1] kubeadm join: second, the same millisecond"],
      );
    } finally {
      if (before === undefined) delete process.env[HOST_OUTPUT_ENV];
      else process.env[HOST_OUTPUT_ENV] = before;
    }
  });

  it("closes each step with how long it took, and the last one when the operation ends", async () => {
    const entries = await entriesOf(() => {
      // A node name no other test uses: the one-line-a-second pace is per node and process, and provider tests
      // in the same mocha process stream worker01's lines.
      const reporter = new StepReporter("closing1");
      return reporter.run(async () => {
        reporter.begin("connect", "root@10.0.0.4:22");
        reporter.begin("kubeadm join", "through 10.0.0.3:6443");
        reporter.onOutput("This node has joined the cluster", "stdout");
        reporter.begin("kubeadm join", "still going");
        reporter.begin("register");
      });
    });
    const lines = kept(entries);
    assert.equal(lines.length, 3, lines.join("\n"));
    assert.match(lines[0], /^info \[closing1\] connect: done in \d+\.\ds$/);
    assert.match(lines[1], /^info \[closing1\] kubeadm join: done in \d+\.\ds$/, "the same step again goes on");
    assert.match(lines[2], /^info \[closing1\] register: done in \d+\.\ds$/);
    assert.ok(
      entries.some((e) => e.ephemeral && e.message === "[closing1] kubeadm join: This node has joined the cluster"),
    );
  });

  it("says a step failed, and ends with the outcome line when there is one", async () => {
    const failed = await entriesOf(() => {
      const reporter = new StepReporter("master01");
      return reporter.run(async () => {
        reporter.begin("kubeadm init");
        throw new Error("boom");
      });
    });
    assert.deepEqual(
      kept(failed).map((l) => l.replace(/\d+\.\ds/, "Ns")),
      ["info [master01] kubeadm init: failed after Ns"],
    );

    const done = await entriesOf(() => {
      const reporter = new StepReporter("master01");
      return reporter.run(async () => {
        reporter.begin("finish");
        reporter.done("control plane ready at 10.0.0.3:6443");
      });
    });
    assert.deepEqual(
      kept(done).map((l) => l.replace(/\d+\.\ds/, "Ns")),
      ["info [master01] finish: done in Ns", "info [master01] done: control plane ready at 10.0.0.3:6443"],
    );
  });

  it("without an engine, prints what stays and nothing of what would only stream", async () => {
    const printed: string[] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => printed.push(args.join(" "));
    try {
      progress("w1", "packages")("Unpacking kubelet ...", "stdout");
      progress("w1", "packages")("[WARNING Port-10250]: Port 10250 is in use", "stdout");
      await flushLog();
    } finally {
      console.log = original;
    }
    assert.deepEqual(printed, ["warning: [w1] packages: [WARNING Port-10250]: Port 10250 is in use"]);
  });

  it("finds the engine's address only in the dynamic-provider process the engine started", () => {
    const node = "/usr/bin/node";
    const shim = "/p/node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js";
    assert.equal(engineAddress([node, shim, "127.0.0.1:43931"]), "127.0.0.1:43931");
    assert.equal(engineAddress([node, "/p/node_modules/.bin/mocha", "tests/x.test.ts"]), undefined);
    assert.equal(engineAddress([node, shim]), undefined);
    assert.equal(engineAddress([node]), undefined);
  });

  it("formats durations precisely when short and readably when long", () => {
    assert.equal(formatDuration(420), "0.4s");
    assert.equal(formatDuration(23_400), "23s");
    assert.equal(formatDuration(125_000), "2m05s");
  });
});

describe("progress through the engine's Log service (a fake engine)", () => {
  let server: grpc.Server;
  let address: string;
  const received: LogRequest[] = [];

  before(async () => {
    server = new grpc.Server();
    server.addService(EngineService, {
      log: (call: grpc.ServerUnaryCall<LogRequest, Empty>, callback: grpc.sendUnaryData<Empty>) => {
        received.push(call.request);
        callback(null, new Empty());
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    address = `127.0.0.1:${port}`;
  });

  after(() => {
    server.forceShutdown();
  });

  it("sends host lines ephemeral and summaries permanent, in order, with no URN (the stack's row)", async () => {
    const entries: LogEntry[] = [
      { severity: "info", message: "[m1] init: [certs] ...", ephemeral: true },
      { severity: "warning", message: "[m1] init: [WARNING Swap]: ...", ephemeral: false },
      { severity: "info", message: "[m1] init: done in 3.0s", ephemeral: false },
    ];
    for (const entry of entries) void log(entry, address);
    await flushLog();
    assert.deepEqual(
      received.map((r) => [r.getMessage(), r.getEphemeral(), r.getSeverity(), r.getUrn()]),
      [
        ["[m1] init: [certs] ...", true, LogSeverity.INFO, ""],
        ["[m1] init: [WARNING Swap]: ...", false, LogSeverity.WARNING, ""],
        ["[m1] init: done in 3.0s", false, LogSeverity.INFO, ""],
      ],
    );
  });

  it("leaves providers serializable while a client to the engine is open", async () => {
    void log({ severity: "info", message: "[m1] init: open", ephemeral: true }, address);
    await flushLog();
    const serialized = await pulumi.runtime.serializeFunction(() => remoteStepProvider);
    assert.doesNotMatch(serialized.text, /127\.0\.0\.1:\d+/, "the engine's address is looked up at run time");
  });

  it("prints what stays on stdout when the engine does not answer, and never throws", async () => {
    const gone = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) =>
      gone.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    gone.forceShutdown();
    const printed: string[] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => printed.push(args.join(" "));
    try {
      await log({ severity: "info", message: "[m1] packages: Unpacking ...", ephemeral: true }, `127.0.0.1:${port}`);
      await log({ severity: "info", message: "[m1] packages: done in 1.0s", ephemeral: false }, `127.0.0.1:${port}`);
    } finally {
      console.log = original;
    }
    assert.deepEqual(printed, ["[m1] packages: done in 1.0s"]);
  });
});
