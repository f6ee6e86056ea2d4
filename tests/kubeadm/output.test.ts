import { strict as assert } from "assert";
import { parseJoinCommand, parseTokenList } from "../../kubeadm/output";

// Transcripts follow kubeadm.md §2 character for character: the continuation line begins with a TAB and the
// hash is followed by a space (cmd/kubeadm/app/cmd/util/join.go).
const TOKEN = "dcvc77.tesxdf2dg4je6epx";
const HASH = "sha256:8014ac2b2c3aa8f5b26e9a4eb3c16d5e1e1e0f1c53a93ad0c0d2a1c0ddf243d5";
const KEY = "b9c4d7d2a4c3e9f8e1f0a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7";
const ENDPOINT = "10.0.0.3:6443";

const INIT_TAIL = [
  "[bootstrap-token] Using token: dcvc77.tesxdf2dg4je6epx",
  "[addons] Applied essential addon: CoreDNS",
  "[addons] Applied essential addon: kube-proxy",
  "",
  "Your Kubernetes control-plane has initialized successfully!",
  "",
  "To start using your cluster, you need to run the following as a regular user:",
  "",
  "  mkdir -p $HOME/.kube",
  "  sudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config",
  "  sudo chown $(id -u):$(id -g) $HOME/.kube/config",
  "",
  "Alternatively, if you are the root user, you can run:",
  "",
  "  export KUBECONFIG=/etc/kubernetes/admin.conf",
  "",
  "You should now deploy a pod network to the cluster.",
  'Run "kubectl apply -f [podnetwork].yaml" with one of the options listed at:',
  "  https://kubernetes.io/docs/concepts/cluster-administration/addons/",
  "",
];

const WORKER_JOIN = [
  "Then you can join any number of worker nodes by running the following on each as root:",
  "",
  `kubeadm join ${ENDPOINT} --token ${TOKEN} \\`,
  `\t--discovery-token-ca-cert-hash ${HASH} `,
  "",
];

const CONTROL_PLANE_JOIN_WITH_KEY = [
  "You can now join any number of the control-plane node running the following command on each as root:",
  "",
  `  kubeadm join ${ENDPOINT} --token ${TOKEN} \\`,
  `\t--discovery-token-ca-cert-hash ${HASH} \\`,
  `\t--control-plane --certificate-key ${KEY}`,
  "",
  "Please note that the certificate-key gives access to cluster sensitive data, keep it secret!",
  "As a safeguard, uploaded-certs will be deleted in two hours; If necessary, you can use",
  '"kubeadm init phase upload-certs --upload-certs" to reload certs afterward.',
  "",
];

const UPLOAD_CERTS = [
  '[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace',
  "[upload-certs] Using certificate key:",
  KEY,
];

describe("parseJoinCommand on `kubeadm init` output", () => {
  it("reads endpoint, token and hash from the worker join, across the TAB continuation and trailing space", () => {
    const output = [...INIT_TAIL, ...WORKER_JOIN].join("\n");
    assert.deepEqual(parseJoinCommand(output), {
      endpoint: ENDPOINT,
      token: TOKEN,
      caCertHash: HASH,
      controlPlaneJoin: false,
    });
  });

  it("reads the certificate key from the control-plane join and the [upload-certs] line", () => {
    const output = [...UPLOAD_CERTS, ...INIT_TAIL, ...CONTROL_PLANE_JOIN_WITH_KEY, ...WORKER_JOIN].join("\n");
    assert.deepEqual(parseJoinCommand(output), {
      endpoint: ENDPOINT,
      token: TOKEN,
      caCertHash: HASH,
      certificateKey: KEY,
      controlPlaneJoin: true,
    });
  });

  it("reads the [upload-certs] key even when no control-plane join is printed", () => {
    const output = [...UPLOAD_CERTS, ...INIT_TAIL, ...WORKER_JOIN].join("\n");
    const parsed = parseJoinCommand(output);
    assert.equal(parsed.certificateKey, KEY);
    assert.equal(parsed.controlPlaneJoin, false);
  });

  it("reports a control-plane join printed without --upload-certs (no key)", () => {
    const copyCertsVariant = [
      "You can now join any number of control-plane nodes by copying certificate authorities",
      "and service account keys on each node and then running the following as root:",
      "",
      `  kubeadm join ${ENDPOINT} --token ${TOKEN} \\`,
      `\t--discovery-token-ca-cert-hash ${HASH} \\`,
      "\t--control-plane ",
      "",
    ];
    const parsed = parseJoinCommand([...INIT_TAIL, ...copyCertsVariant, ...WORKER_JOIN].join("\n"));
    assert.equal(parsed.controlPlaneJoin, true);
    assert.equal("certificateKey" in parsed, false, "no undefined keys: Pulumi outputs reject them");
  });

  it("copes with CRLF line ends and extra blank lines", () => {
    const output = ["", "", ...INIT_TAIL, "", "", ...CONTROL_PLANE_JOIN_WITH_KEY, "", ...WORKER_JOIN, "", ""].join(
      "\r\n",
    );
    const parsed = parseJoinCommand(output);
    assert.equal(parsed.token, TOKEN);
    assert.equal(parsed.caCertHash, HASH);
    assert.equal(parsed.certificateKey, KEY);
  });

  it("fails clearly when there is no join command (e.g. a failed init)", () => {
    const failed = [
      "[preflight] Some fatal errors occurred:",
      "\t[ERROR Port-6443]: Port 6443 is in use",
      "error: error execution phase preflight: preflight checks failed",
    ].join("\n");
    assert.throws(() => parseJoinCommand(failed), /no `kubeadm join` command/);
  });

  it("fails clearly when the CA hash is missing, as with --discovery-token-unsafe-skip-ca-verification", () => {
    const unpinned = `kubeadm join ${ENDPOINT} --token ${TOKEN} \\\n\t--discovery-token-unsafe-skip-ca-verification\n`;
    assert.throws(() => parseJoinCommand(unpinned), /--discovery-token-ca-cert-hash/);
  });

  it("fails when the token is missing, without printing the rest of the command", () => {
    assert.throws(
      () => parseJoinCommand(`kubeadm join ${ENDPOINT} --discovery-token-ca-cert-hash ${HASH} `),
      (err: Error) => /--token/.test(err.message) && !err.message.includes(HASH),
    );
  });

  it("refuses join commands that disagree, without echoing tokens", () => {
    const other = "zzzzzz.zzzzzzzzzzzzzzzz";
    const output = [...CONTROL_PLANE_JOIN_WITH_KEY, ...WORKER_JOIN.map((l) => l.replace(TOKEN, other))].join("\n");
    assert.throws(
      () => parseJoinCommand(output),
      (err: Error) =>
        /different tokens/.test(err.message) && !err.message.includes(other) && !err.message.includes(TOKEN),
    );
  });

  it("refuses an [upload-certs] key line that is not a key", () => {
    const output = ["[upload-certs] Using certificate key:", "not-a-key", ...WORKER_JOIN].join("\n");
    assert.throws(() => parseJoinCommand(output), /64-character hex key/);
  });
});

describe("parseJoinCommand on `kubeadm token create --print-join-command` output", () => {
  it("reads the one-liner with its trailing space", () => {
    const line = `kubeadm join ${ENDPOINT} --token ${TOKEN} --discovery-token-ca-cert-hash ${HASH} \n`;
    assert.deepEqual(parseJoinCommand(line), {
      endpoint: ENDPOINT,
      token: TOKEN,
      caCertHash: HASH,
      controlPlaneJoin: false,
    });
  });

  it("reads the control-plane variant (the continuation removed leaves a double space)", () => {
    const line = `kubeadm join ${ENDPOINT} --token ${TOKEN} --discovery-token-ca-cert-hash ${HASH}  --control-plane --certificate-key ${KEY}\n`;
    assert.deepEqual(parseJoinCommand(line), {
      endpoint: ENDPOINT,
      token: TOKEN,
      caCertHash: HASH,
      certificateKey: KEY,
      controlPlaneJoin: true,
    });
  });

  it("accepts --flag=value spellings and an IPv6 endpoint", () => {
    const line = `kubeadm join [fd00::3]:6443 --token=${TOKEN} --discovery-token-ca-cert-hash=${HASH}`;
    assert.deepEqual(parseJoinCommand(line), {
      endpoint: "[fd00::3]:6443",
      token: TOKEN,
      caCertHash: HASH,
      controlPlaneJoin: false,
    });
  });

  it("ignores klog warnings printed around the command", () => {
    const output = [
      "W0102 03:04:05.678901   12345 version.go:104] could not fetch a Kubernetes version from the internet",
      `kubeadm join ${ENDPOINT} --token ${TOKEN} --discovery-token-ca-cert-hash ${HASH} `,
    ].join("\n");
    assert.equal(parseJoinCommand(output).token, TOKEN);
  });
});

/**
 * Lays out rows as Go's text/tabwriter does for kubeadm (minwidth 10, padding 3, spaces): every cell but the
 * last on a line is padded to its column's widest cell, counted in runes.
 */
function tabwriter(rows: string[][]): string {
  const width = (s: string) => Array.from(s).length;
  const columns = rows[0].length - 1;
  const widths = Array.from({ length: columns }, (_, c) => Math.max(10, ...rows.map((r) => width(r[c]) + 3)));
  return rows
    .map((row) => row.map((cell, c) => (c < columns ? cell + " ".repeat(widths[c] - width(cell)) : cell)).join(""))
    .map((line) => line + "\n")
    .join("");
}

const HEADER = ["TOKEN", "TTL", "EXPIRES", "USAGES", "DESCRIPTION", "EXTRA GROUPS"];

describe("parseTokenList", () => {
  it("reads each column, keeping descriptions with spaces (and wide characters) whole", () => {
    const output = tabwriter([
      HEADER,
      [
        "abcdef.0123456789abcdef",
        "23h",
        "2026-11-27T10:00:00Z",
        "authentication,signing",
        "The default bootstrap token generated by 'kubeadm init'.",
        "system:bootstrappers:kubeadm:default-node-token",
      ],
      ["zyxwvu.9876543210zyxwvu", "<forever>", "<never>", "signing", "🚀 pulumi   join", "<none>"],
      ["q1w2e3.r4t5y6u7i8o9p0a1", "<invalid>", "2026-11-20T10:00:00Z", "<none>", "<none>", "g1,g2"],
    ]);
    assert.deepEqual(parseTokenList(output), [
      {
        token: "abcdef.0123456789abcdef",
        ttl: "23h",
        expires: "2026-11-27T10:00:00Z",
        usages: ["authentication", "signing"],
        description: "The default bootstrap token generated by 'kubeadm init'.",
        groups: ["system:bootstrappers:kubeadm:default-node-token"],
      },
      {
        token: "zyxwvu.9876543210zyxwvu",
        ttl: null,
        expires: null,
        usages: ["signing"],
        description: "🚀 pulumi   join",
        groups: [],
      },
      {
        token: "q1w2e3.r4t5y6u7i8o9p0a1",
        ttl: "<invalid>",
        expires: "2026-11-20T10:00:00Z",
        usages: [],
        description: "",
        groups: ["g1", "g2"],
      },
    ]);
  });

  it("returns no tokens for empty output (kubeadm prints the header only with a first token)", () => {
    assert.deepEqual(parseTokenList(""), []);
    assert.deepEqual(parseTokenList("\n"), []);
    assert.deepEqual(parseTokenList(tabwriter([HEADER, HEADER]).split("\n")[0] + "\n"), []);
  });

  it("copes with CRLF and blank lines", () => {
    const output = tabwriter([HEADER, ["abcdef.0123456789abcdef", "1h", "2026-11-27T10:00:00Z", "signing", "x", "g"]]);
    const crlf = "\r\n" + output.replace(/\n/g, "\r\n\r\n");
    assert.equal(parseTokenList(crlf)[0].ttl, "1h");
    assert.equal(parseTokenList(crlf).length, 1);
  });

  it("fails on output that is not a token list", () => {
    assert.throws(() => parseTokenList("error: unable to connect to the API server\n"), /header/);
  });
});
