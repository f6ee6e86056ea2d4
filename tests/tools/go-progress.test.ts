// tools/go-progress.sh: the progress line tools/setup prints while a Go build runs, read from the build's log, and
// the count go_build writes into that log before it compiles.
import { strict as assert } from "assert";
import { execFileSync, spawnSync } from "child_process";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { repoRoot } from "../../tools/paths";

const script = join(repoRoot, "tools", "go-progress.sh");
let dir: string;

function progress(log: string): string {
  return execFileSync("bash", ["-c", 'source "$1" && go_progress "$2"', "_", script, log], {
    encoding: "utf8",
  }).trim();
}

function writeLog(lines: string[]): string {
  const log = join(dir, "step.log");
  writeFileSync(log, lines.map((line) => `${line}\n`).join(""));
  return log;
}

/** As if Go had printed its last line to the log that many seconds ago. */
function quietFor(log: string, seconds: number): void {
  const then = new Date(Date.now() - seconds * 1000);
  utimesSync(log, then, then);
}

describe("tools/go-progress.sh", () => {
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "go-progress-test-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe("go_progress", () => {
    it("says nothing about a log that tells nothing, or that is not there yet", () => {
      assert.equal(progress(join(dir, "missing.log")), "");
      assert.equal(progress(writeLog(["added 379 packages in 11s"])), "");
    });

    it("counts module downloads before the first compile", () => {
      const log = writeLog([
        "go: downloading sigs.k8s.io/cri-tools v0.0.0-20250820131007-d2a4bd7ff8ad",
        "go: downloading github.com/spf13/cobra v1.9.1",
        "go: finding module for package golang.org/x/sys/unix",
        "go: downloading golang.org/x/sys v0.35.0",
      ]);
      assert.equal(progress(log), "3 Go modules downloaded");
    });

    it("tells which of the packages to compile a build is at, counting only -v's import paths", () => {
      const out = join(dir, "bin.partial", "crictl");
      const log = writeLog([
        "go: downloading github.com/spf13/cobra v1.9.1",
        `setup: go build -o ${out}: 625 packages to compile, 1 to link`,
        "internal/goarch",
        "go: downloading golang.org/x/sys v0.35.0",
        "internal/unsafeheader",
        "# sigs.k8s.io/cri-tools/pkg/framework",
        "pkg/framework/util.go:12:2: warning: something",
        "sigs.k8s.io/cri-tools/pkg/framework",
      ]);
      assert.equal(progress(log), "crictl: compiling package 3 of 625");
    });

    it("starts counting again at each build of a step", () => {
      const log = writeLog([
        `setup: go build -o ${join(dir, "etcd")}: 3 packages to compile, 1 to link`,
        "a",
        "b",
        "c",
        `setup: go build -o ${join(dir, "etcdctl")}: 40 packages to compile, 1 to link`,
        "d",
      ]);
      assert.equal(progress(log), "etcdctl: compiling package 1 of 40");
    });

    it("says how long it has been linking once the last package is reached", () => {
      const log = writeLog([`setup: go build -o ${join(dir, "kwok")}: 2 packages to compile, 1 to link`, "a", "b"]);
      quietFor(log, 45);
      assert.match(progress(log), /^kwok: package 2 of 2, linking for 4[5-7]s$/);
    });

    it("says linking when the build cache had every package", () => {
      const log = writeLog([`setup: go build -o ${join(dir, "kwok")}: 0 packages to compile, 1 to link`]);
      quietFor(log, 0);
      assert.match(progress(log), /^kwok: linking for [0-2]s$/);
    });

    it("counts the binaries a directory build has written", () => {
      const out = join(dir, "bin.partial");
      mkdirSync(out);
      writeFileSync(join(out, "kubeadm"), "");
      writeFileSync(join(out, "kubectl"), "");
      const log = writeLog([`setup: go build -o ${out}/: 4 packages to compile, 7 to link`, "a", "b", "c"]);
      assert.equal(progress(log), "compiling package 3 of 4, 2 of 7 binaries written");
      writeFileSync(log, `setup: go build -o ${out}/: 4 packages to compile, 7 to link\na\nb\nc\nd\n`);
      quietFor(log, 30);
      assert.match(progress(log), /^package 4 of 4, linking for 3[0-2]s, 2 of 7 binaries written$/);
    });
  });

  describe("go_build", function () {
    // Go compiles two packages here (plus whatever of the runtime the build cache lacks).
    this.timeout(180_000);

    it("announces as many packages as go build -v then compiles, and how many binaries it links", () => {
      const module = join(dir, "module");
      mkdirSync(join(module, "lib"), { recursive: true });
      writeFileSync(join(module, "go.mod"), "module example.com/progress\n\ngo 1.22\n");
      // A constant of this run's own: the build cache cannot have these packages.
      const nonce = `${process.pid}-${Date.now()}`;
      writeFileSync(join(module, "lib", "lib.go"), `package lib\n\nconst Nonce = "${nonce}"\n`);
      writeFileSync(
        join(module, "main.go"),
        'package main\n\nimport "example.com/progress/lib"\n\nfunc main() { println(lib.Nonce) }\n',
      );
      const out = join(dir, "out");
      const run = spawnSync(
        "bash",
        ["-c", 'source "$1" && cd "$2" && go_build -trimpath -o "$3" .', "_", script, module, out],
        {
          encoding: "utf8",
          env: { ...process.env, CGO_ENABLED: "0" },
        },
      );
      assert.equal(run.status, 0, run.stderr);
      const lines = `${run.stdout}${run.stderr}`.split("\n").filter(Boolean);
      const mark = lines.find((line) => line.startsWith("setup: go build -o "));
      assert.ok(mark, lines.join("\n"));
      const announced = /: (\d+) packages to compile, (\d+) to link$/.exec(mark);
      assert.ok(announced, mark);
      const compiled = lines.filter((line) => /^\S+$/.test(line));
      assert.ok(compiled.includes("example.com/progress/lib"), compiled.join("\n"));
      assert.equal(Number(announced[1]), compiled.length, compiled.join("\n"));
      assert.equal(Number(announced[2]), 1);
      assert.equal(spawnSync(out, { encoding: "utf8" }).stderr.trim(), nonce);
    });
  });
});
