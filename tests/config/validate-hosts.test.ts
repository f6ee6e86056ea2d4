import { strict as assert } from "assert";
import { assertNoErrorAt, assertValid, ed25519HostKey, errorAt, validateWith, warningAt } from "./fixtures";

function controlPlaneHost(index: number) {
  return { name: `master0${index}`, address: `192.0.2.${20 + index}`, hostKey: ed25519HostKey() };
}

describe("validateConfig: hosts", () => {
  it("requires at least one control-plane host", () => {
    const result = validateWith((c) => {
      c.controlPlane = [];
    });
    assert.match(errorAt(result, "pulumi-kubeadm:controlPlane"), /at least one control-plane host.*controlPlane\[0\]/);
  });

  it("rejects a node name Kubernetes would refuse and proposes the lowercase form", () => {
    const result = validateWith((c) => {
      c.controlPlane[0].name = "Master01";
    });
    assert.match(
      errorAt(result, "pulumi-kubeadm:controlPlane[0].name"),
      /not a valid Kubernetes node name.*'master01'/,
    );
  });

  it("rejects a node name label longer than 63 characters", () => {
    const result = validateWith((c) => {
      c.workers![0].name = `${"a".repeat(64)}.example`;
    });
    assert.match(errorAt(result, "pulumi-kubeadm:workers[0].name"), /63 characters/);
  });

  it("rejects a name used twice across controlPlane and workers, naming the first place", () => {
    const result = validateWith((c) => {
      c.workers![1].name = "master01";
    });
    assert.match(errorAt(result, "pulumi-kubeadm:workers[1].name"), /also the name of controlPlane\[0\] \(master01\)/);
  });

  it("rejects two entries for the same SSH address and port, naming the first place", () => {
    const result = validateWith((c) => {
      c.workers![1].address = "192.0.2.11";
    });
    assert.match(
      errorAt(result, "pulumi-kubeadm:workers[1].address"),
      /192\.0\.2\.11 port 22 is also the address of workers\[0\] \(worker01\)/,
    );
  });

  it("accepts one address with distinct SSH ports when each node advertises its own IP", () => {
    const result = validateWith((c) => {
      c.workers![0].address = "198.51.100.7";
      c.workers![0].port = 2201;
      c.workers![0].advertiseAddress = "192.0.2.11";
      c.workers![1].address = "198.51.100.7";
      c.workers![1].port = 2202;
      c.workers![1].advertiseAddress = "192.0.2.12";
    });
    assertValid(result);
  });

  it("rejects two nodes advertising the same address", () => {
    const result = validateWith((c) => {
      c.workers![1].advertiseAddress = "192.0.2.11";
    });
    assert.match(
      errorAt(result, "pulumi-kubeadm:workers[1].advertiseAddress"),
      /which workers\[0\] \(worker01\) already advertises/,
    );
  });

  it("rejects an address with a port, pointing at the port key", () => {
    const result = validateWith((c) => {
      c.workers![0].address = "192.0.2.11:2222";
    });
    assert.match(errorAt(result, "pulumi-kubeadm:workers[0].address"), /put it in workers\[0\]\.port/);
  });

  it("requires an IP advertiseAddress for a control-plane host reached by DNS name, not for workers", () => {
    const result = validateWith((c) => {
      c.controlPlane[0].address = "master01.example.com";
      c.workers![0].address = "worker01.example.com";
    });
    assert.match(errorAt(result, "pulumi-kubeadm:controlPlane[0].advertiseAddress"), /set advertiseAddress/);
    assertNoErrorAt(result, "pulumi-kubeadm:workers[0].advertiseAddress");
    assertValid(
      validateWith((c) => {
        c.controlPlane[0].address = "master01.example.com";
        c.controlPlane[0].advertiseAddress = "192.0.2.10";
      }),
    );
  });

  it("rejects an advertiseAddress that is not an IP", () => {
    const result = validateWith((c) => {
      c.workers![0].advertiseAddress = "worker01.internal";
    });
    assert.match(errorAt(result, "pulumi-kubeadm:workers[0].advertiseAddress"), /not an IP address/);
  });

  it("requires controlPlaneEndpoint for more than one control-plane host", () => {
    const result = validateWith((c) => {
      c.controlPlane = [controlPlaneHost(1), controlPlaneHost(2), controlPlaneHost(3)];
    });
    assert.match(
      errorAt(result, "pulumi-kubeadm:controlPlaneEndpoint"),
      /3 control-plane hosts need a controlPlaneEndpoint.*host:port/,
    );
    assertValid(
      validateWith((c) => {
        c.controlPlane = [controlPlaneHost(1), controlPlaneHost(2), controlPlaneHost(3)];
        c.controlPlaneEndpoint = "k8s-api.example.com:6443";
      }),
    );
  });

  it("warns about an even number of control-plane hosts without failing", () => {
    const result = validateWith((c) => {
      c.controlPlane = [controlPlaneHost(1), controlPlaneHost(2)];
      c.controlPlaneEndpoint = "k8s-api.example.com:6443";
    });
    assertValid(result);
    assert.match(warningAt(result, "pulumi-kubeadm:controlPlane"), /odd number/);
  });

  it("warns when no node can run ordinary pods", () => {
    const result = validateWith((c) => {
      c.workers = [];
      c.schedulableControlPlane = false;
    });
    assertValid(result);
    assert.match(warningAt(result, "pulumi-kubeadm:schedulableControlPlane"), /Pending/);
  });

  it("rejects label keys and values Kubernetes would refuse", () => {
    const result = validateWith((c) => {
      c.workers![0].labels = { "Example.com/role": "db", tier: "front end" };
    });
    assert.match(errorAt(result, 'pulumi-kubeadm:workers[0].labels["Example.com/role"]'), /prefix 'Example\.com'/);
    assert.match(errorAt(result, "pulumi-kubeadm:workers[0].labels.tier"), /label value 'front end'/);
  });
});
