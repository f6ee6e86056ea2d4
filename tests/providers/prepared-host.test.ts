// PreparedHost (providers/prepared-host), the resource HostPrep makes per host before its steps' Commands, on lab hosts
// over real SSH: create logs in first (a wrong host key fails naming its config key), delete undoes the steps last
// first and gives back the host as it was (a host that is gone gets a warning, not a blocked destroy), an update undoes
// the steps the program dropped, a refresh records per step what changed, the next up's update runs exactly those
// steps again with their Commands' command lines, and diff never asks for a replacement. The steps are HostPrep's
// own, run as their Commands run them (tests/support/host-steps).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hostPrepSteps, prelude, type HostPrepStep } from "../../components/host-prep/steps";
import type { Connection } from "../../config/spec";
import { startLab, type Lab } from "../../lab";
import { preparedHostProvider, type PreparedHostOutputs } from "../../providers/prepared-host";
import { HELPERS_DIRECTORY, helpersPath } from "../../providers/prepared-host/helpers";
import { clusterSpec, workerNode } from "../kubeadm/cluster-spec-fixture";
import { leftovers, snapshot, type MachineSnapshot } from "../lab/leftovers";
import { preparedHost, preparedHostInputs, runStepCommand } from "../support/host-steps";
import { labConnection } from "../support/lab-connection";
import { labShell, type LabShell } from "../support/lab-shell";
import { captureConsole } from "./kubeadm-fakes";

const LAB = "hpprep";
/** The host's own file where the sysctl step writes: an undo must give it back byte for byte. */
const OWN_SYSCTL = "# the host's own, kept by its admin\nnet.ipv4.ip_forward = 1\nvm.swappiness = 10\n";

// Lab hosts offer cgroup v1 only, which the preflight refuses unless allowed.
const allSteps = hostPrepSteps(
  clusterSpec("v1.35.4", { kubelet: { extraArgs: {}, allowCgroupV1: true } }),
  workerNode(),
);
const steps = (...names: string[]): HostPrepStep[] => names.map((name) => allSteps.find((step) => step.name === name)!);
/** Three real steps that leave state to undo, in HostPrep's order. */
const CHAIN = ["swap-off", "kernel-modules", "sysctl"];

/** The `[node] step: undone in ...` lines, without their times, in the order printed. */
const undoneLines = (lines: string[]) =>
  lines.filter((line) => /^\[[^\]]+\] [a-z-]+: undone in /.test(line)).map((line) => line.replace(/ in .*$/, ""));

describe("PreparedHost on lab hosts", function () {
  this.timeout(300_000);
  let lab: Lab | undefined;
  let tmp: string;
  let machineBefore: MachineSnapshot;
  let shell: LabShell;
  const ok = (host: string, command: string, input = "") => shell.ok(host, command, { input });
  const connection = (host: string): Connection => labConnection(lab!, host);

  /** Runs the steps as their Commands do (repair count 0), asserting each succeeded. */
  async function runSteps(host: string, hostSteps: HostPrepStep[]): Promise<void> {
    for (const step of hostSteps) {
      const run = await runStepCommand(shell, host, step);
      assert.equal(run.code, 0, `${step.name}: ${run.stdout}\n${run.stderr}`);
    }
  }

  /**
   * What the chain's undo must give back: the files where the steps write, the state, the sysctls, swap. (Not the
   * loaded modules: lab hosts share the machine's kernel, where other labs load and unload them.)
   */
  function listing(host: string): Promise<string> {
    return ok(
      host,
      `for root in /etc/sysctl.d /etc/modules-load.d /var/lib/pulumi-kubeadm ${HELPERS_DIRECTORY}; do ` +
        '[ -e "$root" ] && find "$root" -xdev -printf \'%p %m %y\\n\'; done | sort; ' +
        "find /etc/sysctl.d /etc/modules-load.d -type f -exec md5sum {} + | sort; " +
        "sysctl net.ipv4.ip_forward; " +
        "systemctl is-enabled swap.target || true",
    );
  }

  before(async function () {
    machineBefore = snapshot();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lab-hpprep-"));
    lab = await startLab({
      name: LAB,
      hosts: [
        { name: "u1", distro: "ubuntu" },
        { name: "u2", distro: "ubuntu" },
        { name: "u3", distro: "ubuntu" },
      ],
    });
    shell = labShell(lab, tmp);
  });

  after(async function () {
    await lab?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    if (machineBefore) assert.deepEqual(leftovers(LAB, machineBefore), []);
  });

  it("create logs in to the host and writes the steps' helpers; a wrong pinned host key fails naming the config key to fix", async () => {
    const inputs = preparedHostInputs(connection("u1"), "u1", steps(...CHAIN));
    // Helpers an earlier program wrote, which no command of this one sources.
    await ok("u1", `mkdir -p ${HELPERS_DIRECTORY} && echo old > ${HELPERS_DIRECTORY}/lib-0123456789abcdef.sh`);
    const created = await preparedHostProvider.create!(inputs);
    assert.equal(created.id, "u1/prepared-host");
    const helpers = helpersPath(inputs.prelude);
    assert.deepEqual(created.outs, { ...inputs, helpers, drift: {} });
    assert.equal(await ok("u1", `cat ${helpers}`), inputs.prelude);
    assert.equal(
      await ok("u1", `stat -c %a ${helpers}; ls ${HELPERS_DIRECTORY}`),
      `644\n${helpers.split("/").pop()}\n`,
    );

    const otherKey = lab!.host("u2").hostKey;
    assert.notEqual(otherKey, lab!.host("u1").hostKey, "lab hosts have keys of their own");
    const wrong = { ...connection("u1"), hostKey: otherKey, sources: { hostKey: "workers[0].hostKey" } };
    await assert.rejects(preparedHostProvider.create!({ ...inputs, connection: wrong }), (error: Error) => {
      assert.match(error.message, /host key mismatch: the server presented .* but workers\[0\]\.hostKey expects /);
      return true;
    });
    await ok("u1", `rm -r ${HELPERS_DIRECTORY}`);
  });

  it("delete undoes the steps, the last one first, and leaves the host as it was, its own file byte for byte", async () => {
    await ok("u1", "umask 077 && cat >/etc/sysctl.d/99-kubernetes.conf", OWN_SYSCTL);
    const before = await listing("u1");
    const chain = steps(...CHAIN);
    const host = await preparedHost(connection("u1"), "u1", chain);
    await runSteps("u1", chain);
    assert.match(await ok("u1", "cat /etc/sysctl.d/99-kubernetes.conf"), /^net\.bridge\.bridge-nf-call-iptables = 1$/m);
    assert.equal(await ok("u1", "systemctl is-enabled swap.target || true"), "masked\n");
    assert.notEqual(await listing("u1"), before);

    const { error, lines } = await captureConsole(() => preparedHostProvider.delete!("u1/prepared-host", host));
    assert.equal(error, undefined, `${error?.message}\n${lines.join("\n")}`);
    assert.deepEqual(undoneLines(lines), [
      "[u1] sysctl: undone",
      "[u1] kernel-modules: undone",
      "[u1] swap-off: undone",
    ]);
    assert.equal(await ok("u1", "cat /etc/sysctl.d/99-kubernetes.conf"), OWN_SYSCTL);
    assert.equal(await ok("u1", "stat -c %a /etc/sysctl.d/99-kubernetes.conf"), "600\n");
    assert.equal(await listing("u1"), before);
    await ok("u1", "rm /etc/sysctl.d/99-kubernetes.conf");
  });

  it("with HostPrep's whole order, the preflight first, delete still gives back the host's own file", async () => {
    // The preflight's Command runs before every other step on a fresh host, and leaves the first trace there.
    await ok("u3", "umask 077 && cat >/etc/sysctl.d/99-kubernetes.conf", OWN_SYSCTL);
    const before = await listing("u3");
    const chain = steps("preflight", ...CHAIN);
    const host = await preparedHost(connection("u3"), "u3", chain);
    await runSteps("u3", chain);

    const { error, lines } = await captureConsole(() => preparedHostProvider.delete!("u3/prepared-host", host));
    assert.equal(error, undefined, `${error?.message}\n${lines.join("\n")}`);
    assert.deepEqual(undoneLines(lines), [
      "[u3] sysctl: undone",
      "[u3] kernel-modules: undone",
      "[u3] swap-off: undone",
      "[u3] preflight: undone",
    ]);
    const own = await shell.ssh("u3", "cat /etc/sysctl.d/99-kubernetes.conf");
    assert.equal(own.stdout, OWN_SYSCTL, `the host's own file: ${own.stderr}`);
    assert.equal(await listing("u3"), before);
  });

  it("update undoes only the steps the program dropped, once a changed connection has logged in", async () => {
    const before = await listing("u1");
    const chain = steps(...CHAIN);
    const olds = await preparedHost(connection("u1"), "u1", chain);
    await runSteps("u1", chain);
    const kept = preparedHostInputs(connection("u1"), "u1", steps("kernel-modules", "sysctl"));

    // A changed connection that cannot log in: nothing is undone.
    const otherKey = lab!.host("u2").hostKey;
    const wrong = { ...kept, connection: { ...connection("u1"), hostKey: otherKey } };
    const refused = await captureConsole(() => preparedHostProvider.update!("u1/prepared-host", olds, wrong));
    assert.match(refused.error?.message ?? "", /host key mismatch: .* but ssh\.hostKey expects /);
    assert.deepEqual(undoneLines(refused.lines), []);
    assert.equal(await ok("u1", "systemctl is-enabled swap.target || true"), "masked\n");

    const { result, error, lines } = await captureConsole(() =>
      preparedHostProvider.update!("u1/prepared-host", olds, kept),
    );
    assert.equal(error, undefined, `${error?.message}\n${lines.join("\n")}`);
    assert.deepEqual(undoneLines(lines), ["[u1] swap-off: undone"]);
    assert.notEqual(await ok("u1", "systemctl is-enabled swap.target || true"), "masked\n");
    assert.equal(await ok("u1", "cat /etc/modules-load.d/kubernetes.conf"), "overlay\nbr_netfilter\n", "kept");
    assert.match(await ok("u1", "cat /etc/sysctl.d/99-kubernetes.conf"), /^net\.ipv4\.ip_forward = 1$/m);
    const outs = result!.outs as PreparedHostOutputs;
    assert.deepEqual(outs, { ...kept, helpers: helpersPath(kept.prelude), drift: {} });

    const undone = await captureConsole(() => preparedHostProvider.delete!("u1/prepared-host", outs));
    assert.equal(undone.error, undefined, undone.error?.message);
    assert.deepEqual(undoneLines(undone.lines), ["[u1] sysctl: undone", "[u1] kernel-modules: undone"]);
    assert.equal(await listing("u1"), before);
  });

  it("a PreparedHost stored before the helpers were a file (each step's command line kept whole) updates to write them", async () => {
    const chain = steps("kernel-modules", "sysctl");
    const news = preparedHostInputs(connection("u3"), "u3", chain);
    // What the release before kept: no settings, no helpers, each step with its whole command line.
    const stored = {
      connection: news.connection,
      node: news.node,
      prelude: news.prelude,
      steps: news.steps.map(({ script, files: _files, ...step }) => ({ ...step, command: `sh -c ${script.length}` })),
      drift: {},
    } as unknown as PreparedHostOutputs;
    assert.deepEqual(await preparedHostProvider.diff!("u3/prepared-host", stored, news), {
      changes: true,
      replaces: [],
    });
    const { result, error, lines } = await captureConsole(() =>
      preparedHostProvider.update!("u3/prepared-host", stored, news),
    );
    assert.equal(error, undefined, `${error?.message}\n${lines.join("\n")}`);
    assert.deepEqual(result!.outs, { ...news, helpers: helpersPath(news.prelude), drift: {} });
    assert.equal(await ok("u3", `cat ${helpersPath(news.prelude)}`), news.prelude);
    const deleted = await captureConsole(() =>
      preparedHostProvider.delete!("u3/prepared-host", result!.outs as PreparedHostOutputs),
    );
    assert.equal(deleted.error, undefined, deleted.error?.message);
    assert.equal((await shell.ssh("u3", `test -e ${HELPERS_DIRECTORY}`)).code, 1, "the helpers go with it");
  });

  it("read records what changed per step; the next up's update runs exactly those steps again", async () => {
    const chain = steps("kernel-modules", "sysctl");
    let host = await preparedHost(connection("u2"), "u2", chain);
    await runSteps("u2", chain);
    const read = async () => {
      const { result, error, lines } = await captureConsole(() => preparedHostProvider.read!("u2/prepared-host", host));
      assert.equal(error, undefined, error?.message);
      assert.equal(result!.id, "u2/prepared-host");
      host = result!.props!;
      return lines;
    };
    const inputs = () => preparedHostInputs(connection("u2"), "u2", chain);
    const diff = () => preparedHostProvider.diff!("u2/prepared-host", host, inputs());
    /** The next up: PreparedHost's update with the same inputs; the steps it ran again, in order. */
    const up = async () => {
      const { result, error, lines } = await captureConsole(() =>
        preparedHostProvider.update!("u2/prepared-host", host, inputs()),
      );
      assert.equal(error, undefined, `${error?.message}\n${lines.join("\n")}`);
      host = result!.outs as PreparedHostOutputs;
      return lines.filter((line) => / repaired in /.test(line)).map((line) => line.replace(/ in .*$/, ""));
    };

    assert.deepEqual(await read(), []);
    assert.deepEqual(host.drift, {}, "nothing changed right after the steps ran");
    assert.deepEqual(await diff(), { changes: false, replaces: [] });

    await ok("u2", "sysctl -w net.ipv4.ip_forward=0");
    const warned = await read();
    assert.deepEqual(host.drift, { sysctl: ["net.ipv4.ip_forward is 0, not 1"] });
    assert.ok(
      warned.includes("warning: [u2] sysctl: changed on the host: net.ipv4.ip_forward is 0, not 1"),
      warned.join("\n"),
    );
    assert.deepEqual(await diff(), { changes: true, replaces: [] }, "drift is a change, though no input changed");
    assert.deepEqual(await up(), ["[u2] sysctl: repaired"]);
    assert.equal(await ok("u2", "sysctl -n net.ipv4.ip_forward"), "1\n");
    assert.deepEqual(host.drift, {});
    assert.deepEqual(await read(), []);
    assert.deepEqual(await diff(), { changes: false, replaces: [] });

    // A file a step wrote, removed: found by the step that wrote it, put back by it.
    await ok("u2", "rm /etc/modules-load.d/kubernetes.conf");
    await read();
    assert.deepEqual(host.drift, {
      "kernel-modules": ["/etc/modules-load.d/kubernetes.conf was edited or removed since the step wrote it"],
    });
    assert.deepEqual(await up(), ["[u2] kernel-modules: repaired"]);
    assert.equal(await ok("u2", "cat /etc/modules-load.d/kubernetes.conf"), "overlay\nbr_netfilter\n");
    await read();
    assert.deepEqual(host.drift, {});

    // A repair runs the program's command line for the step (the new one, when the same up changes it too); one
    // that fails fails the update, which leaves the stored drift for the next up to try again.
    await ok("u2", "sysctl -w net.ipv4.ip_forward=0");
    await read();
    const failing = inputs();
    failing.steps = failing.steps.map((step) => (step.step === "sysctl" ? { ...step, script: "exit 3" } : step));
    const refused = await captureConsole(() => preparedHostProvider.update!("u2/prepared-host", host, failing));
    assert.match(refused.error?.message ?? "", /sysctl \(repair\)/);
    assert.equal(await ok("u2", "sysctl -n net.ipv4.ip_forward"), "0\n");
    assert.deepEqual(await up(), ["[u2] sysctl: repaired"]);
    assert.equal(await ok("u2", "sysctl -n net.ipv4.ip_forward"), "1\n");

    // The helpers the steps' commands source, edited: forgotten by the refresh, written again by the next up, which
    // runs no step.
    const helpers = helpersPath(host.prelude);
    await ok("u2", `echo '# edited' >> ${helpers}`);
    assert.deepEqual(await read(), [
      `warning: [u2] host preparation: ${helpers} was removed or edited; the next up writes it again`,
    ]);
    assert.equal(host.helpers, "");
    assert.deepEqual(await diff(), { changes: true, replaces: [] });
    assert.deepEqual(await up(), []);
    assert.equal(host.helpers, helpers);
    assert.equal(await ok("u2", `cat ${helpers}`), host.prelude);
    assert.deepEqual(await read(), []);
    assert.deepEqual(await diff(), { changes: false, replaces: [] });
    // Left prepared, for the unreachable host below.
  });

  it("a host that cannot be reached: delete warns and succeeds, read keeps what the state says with a warning", async () => {
    // u2 is prepared (the test above); its PreparedHost as stored, with drift a refresh found.
    const chain = steps("kernel-modules", "sysctl");
    const stored: PreparedHostOutputs = {
      ...preparedHostInputs({ ...connection("u2"), dialErrorLimit: 1, connectTimeoutSeconds: 5 }, "u2", chain),
      helpers: helpersPath(prelude()),
      drift: { sysctl: ["net.ipv4.ip_forward is 0, not 1"] },
    };
    await lab!.hostDown("u2");

    const read = await captureConsole(() => preparedHostProvider.read!("u2/prepared-host", stored));
    assert.equal(read.error, undefined, read.error?.message);
    assert.deepEqual(read.result, { id: "u2/prepared-host", props: stored });
    assert.ok(
      read.lines.some((line) => line.startsWith("warning: [u2] host preparation: host unreachable, not checked: ")),
      read.lines.join("\n"),
    );

    const deleted = await captureConsole(() => preparedHostProvider.delete!("u2/prepared-host", stored));
    assert.equal(deleted.error, undefined, deleted.error?.message);
    assert.ok(
      deleted.lines.some(
        (line) =>
          line.startsWith("warning: [u2] host preparation: host unreachable, nothing undone: ") &&
          /127\.0\.0\.1:\d+/.test(line),
      ),
      deleted.lines.join("\n"),
    );
    assert.deepEqual(undoneLines(deleted.lines), []);
  });

  it("diff: the same inputs are no change; a changed connection, script or step list is an update, never a replace", async () => {
    const chain = steps(...CHAIN);
    const inputs = preparedHostInputs(connection("u1"), "u1", chain);
    const olds: PreparedHostOutputs = { ...inputs, helpers: helpersPath(inputs.prelude), drift: {} };
    const diff = (news: typeof inputs) => preparedHostProvider.diff!("u1/prepared-host", olds, news);
    assert.deepEqual(await diff(preparedHostInputs(connection("u1"), "u1", steps(...CHAIN))), {
      changes: false,
      replaces: [],
    });
    // The engine hands both sides with the resource's stored provider module (`__provider`): not an input of ours.
    const withProvider = <T extends object>(value: T, text: string): T => ({ ...value, __provider: text });
    assert.deepEqual(
      await preparedHostProvider.diff!(
        "u1/prepared-host",
        withProvider(olds, "exports.handler = old"),
        withProvider(preparedHostInputs(connection("u1"), "u1", steps(...CHAIN)), "exports.handler = new"),
      ),
      { changes: false, replaces: [] },
    );

    const ipv6 = hostPrepSteps(
      clusterSpec("v1.35.4", {
        kubelet: { extraArgs: {}, allowCgroupV1: true },
        podSubnet: "fd00:10:244::/56",
        serviceSubnet: "fd00:10:96::/112",
      }),
      workerNode(),
    ).filter((step) => CHAIN.includes(step.name));
    const changed = {
      "another port": { ...inputs, connection: { ...inputs.connection, port: inputs.connection.port + 1 } },
      "another host key": { ...inputs, connection: { ...inputs.connection, hostKey: lab!.host("u2").hostKey } },
      "another step environment": preparedHostInputs(connection("u1"), "u1", ipv6),
      "another check script": {
        ...inputs,
        steps: inputs.steps.map((step) =>
          step.step === "sysctl" ? { ...step, checkScript: `${step.checkScript}\n# changed` } : step,
        ),
      },
      "another undo script": {
        ...inputs,
        steps: inputs.steps.map((step) =>
          step.step === "swap-off" ? { ...step, undoScript: `${step.undoScript}\n# changed` } : step,
        ),
      },
      "a step dropped": preparedHostInputs(connection("u1"), "u1", steps("kernel-modules", "sysctl")),
      "another prelude": { ...inputs, prelude: `${inputs.prelude}\n# changed` },
      "another script": {
        ...inputs,
        steps: inputs.steps.map((step) =>
          step.step === "sysctl" ? { ...step, script: `${step.script}\n# changed` } : step,
        ),
      },
      "other step settings": { ...inputs, run: { ...inputs.run, timeoutSeconds: inputs.run.timeoutSeconds + 1 } },
    };
    for (const [what, news] of Object.entries(changed)) {
      assert.deepEqual(await diff(news), { changes: true, replaces: [] }, what);
    }
    // Helpers a refresh found missing, or a release before them never wrote, with the same inputs.
    for (const helpers of ["", undefined]) {
      assert.deepEqual(
        await preparedHostProvider.diff!("u1/prepared-host", { ...olds, helpers: helpers as string }, inputs),
        { changes: true, replaces: [] },
        `helpers ${JSON.stringify(helpers)}`,
      );
    }
  });
});
