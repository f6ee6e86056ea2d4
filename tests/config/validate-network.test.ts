import { strict as assert } from "assert";
import { assertNoErrorAt, assertValid, errorAt, errorsAt, validateWith } from "./fixtures";

const POD = "pulumi-kubeadm:podSubnet";
const SERVICE = "pulumi-kubeadm:serviceSubnet";

describe("validateConfig: podSubnet and serviceSubnet", () => {
  it("rejects text that is not a CIDR", () => {
    const result = validateWith((c) => {
      c.podSubnet = "10.244.0.0";
    });
    assert.match(errorAt(result, POD), /network\/prefix/);
  });

  it("rejects host bits and names the network address to write", () => {
    const result = validateWith((c) => {
      c.podSubnet = "10.244.1.0/16";
    });
    assert.match(errorAt(result, POD), /host bits set.*10\.244\.0\.0\/16/);
  });

  it("rejects host bits in an IPv6 range with the compressed network", () => {
    const result = validateWith((c) => {
      c.serviceSubnet = "fd00::1/112";
    });
    assert.match(errorAt(result, SERVICE), /fd00::\/112/);
  });

  it("rejects dual-stack pairs", () => {
    const result = validateWith((c) => {
      c.podSubnet = "10.244.0.0/16,fd00:10:244::/56";
    });
    assert.match(errorAt(result, POD), /dual-stack/);
  });

  it("reports an overlap at podSubnet when the user set it and serviceSubnet is the default", () => {
    const result = validateWith((c) => {
      c.podSubnet = "10.96.0.0/16";
    });
    const message = errorAt(result, POD);
    assert.match(message, /overlaps the default serviceSubnet 10\.96\.0\.0\/12/);
    assertNoErrorAt(result, SERVICE);
  });

  it("reports an overlap at serviceSubnet when only that one was set", () => {
    const result = validateWith((c) => {
      c.serviceSubnet = "10.244.0.0/20";
    });
    assert.match(errorAt(result, SERVICE), /overlaps/);
    assertNoErrorAt(result, POD);
  });

  it("applies kubeadm's service-subnet size limit: /12 for IPv4, /108 for IPv6", () => {
    const tooLarge = validateWith((c) => {
      c.serviceSubnet = "10.0.0.0/11";
      c.podSubnet = "172.16.0.0/16";
    });
    assert.match(errorAt(tooLarge, SERVICE), /mask of a 32-bit service subnet to be >= \/12/);
    assertValid(
      validateWith((c) => {
        c.serviceSubnet = "10.96.0.0/12";
      }),
    );
    const v6 = validateWith((c) => {
      c.serviceSubnet = "fd00:96::/107";
    });
    assert.match(errorAt(v6, SERVICE), />= \/108/);
    assertNoErrorAt(
      validateWith((c) => {
        c.serviceSubnet = "fd00:96::/108";
      }),
      SERVICE,
    );
  });

  it("rejects a service subnet with fewer than 10 addresses", () => {
    const result = validateWith((c) => {
      c.serviceSubnet = "10.96.0.0/29";
    });
    assert.match(errorAt(result, SERVICE), /at least 10 addresses/);
    assertNoErrorAt(
      validateWith((c) => {
        c.serviceSubnet = "10.96.0.0/28";
      }),
      SERVICE,
    );
  });

  it("rejects a pod subnet smaller than one node's range, honouring a configured node mask", () => {
    const result = validateWith((c) => {
      c.podSubnet = "10.244.0.0/25";
    });
    assert.match(errorAt(result, POD), /smaller than the \/24 range/);
    const withSmallerNodeRanges = validateWith((c) => {
      c.podSubnet = "10.244.0.0/25";
      c.controllerManager = { extraArgs: { "node-cidr-mask-size-ipv4": "28" } };
    });
    assertNoErrorAt(withSmallerNodeRanges, POD);
  });

  it("rejects a pod subnet more than 16 bits larger than the node range", () => {
    const result = validateWith((c) => {
      c.podSubnet = "10.0.0.0/7";
      c.serviceSubnet = "172.16.0.0/16";
    });
    assert.match(errorAt(result, POD), /use \/8 or a longer prefix/);
  });

  it("rejects a pod subnet that contains a host address, naming the host", () => {
    const result = validateWith((c) => {
      c.podSubnet = "192.0.2.0/24";
    });
    const message = errorAt(result, POD);
    assert.match(message, /192\.0\.2\.10 \(address of controlPlane\[0\] \(master01\)\)/);
    assert.match(message, /workers\[1\] \(worker02\)/);
    assert.match(message, /range none of your hosts use/);
  });

  it("checks the default ranges against host addresses too", () => {
    const result = validateWith((c) => {
      c.workers![0].advertiseAddress = "10.100.0.5";
    });
    assert.match(errorAt(result, SERVICE), /the default serviceSubnet .*\(advertiseAddress of workers\[0\]/);
  });
});

describe("validateConfig: controlPlaneEndpoint", () => {
  const KEY = "pulumi-kubeadm:controlPlaneEndpoint";
  const withEndpoint = (endpoint: string) =>
    validateWith((c) => {
      c.controlPlaneEndpoint = endpoint;
    });

  for (const [endpoint, reason] of [
    ["https://k8s-api.example.com:6443", /URL scheme/],
    ["k8s-api.example.com:0", /port '0'/],
    ["k8s-api.example.com:65536", /port '65536'/],
    ["k8s_api:6443", /neither an IP address nor a DNS name/],
    ["[k8s-api]:6443", /not an IPv6 address/],
  ] as const) {
    it(`rejects ${endpoint}`, () => {
      const message = errorAt(withEndpoint(endpoint), KEY);
      assert.match(message, reason);
      assert.match(message, /host\[:port\]/);
    });
  }

  for (const endpoint of ["k8s-api.example.com", "192.0.2.100:6443", "[2001:db8::1]:6443", "2001:db8::1"]) {
    it(`accepts ${endpoint}`, () => assertNoErrorAt(withEndpoint(endpoint), KEY));
  }
});

describe("validateConfig: apiServer.certSANs", () => {
  it("rejects an entry that is neither IP nor DNS name and accepts wildcards", () => {
    const result = validateWith((c) => {
      c.apiServer = { certSANs: ["*.example.com", "192.0.2.100", "https://api.example.com"] };
    });
    assert.equal(errorsAt(result, "pulumi-kubeadm:apiServer.certSANs[2]").length, 1);
    assertNoErrorAt(result, "pulumi-kubeadm:apiServer.certSANs[0]");
    assertNoErrorAt(result, "pulumi-kubeadm:apiServer.certSANs[1]");
  });
});
