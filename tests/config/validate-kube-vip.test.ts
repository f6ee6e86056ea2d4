// kube-vip and the multi-master rules: every message names the key and how to fix it.
import { strict as assert } from "assert";
import type { ClusterConfigInput } from "../../config/schema";
import { DEFAULTS } from "../../config/schema";
import { resolveConfig } from "../../config/resolve";
import { validateConfig } from "../../config/validate";
import { assertValid, configWith, ed25519HostKey, errorAt, warningAt } from "./fixtures";

function threeMasters(c: ClusterConfigInput): void {
  c.controlPlane = [1, 2, 3].map((i) => ({
    name: `master0${i}`,
    address: `192.0.2.${20 + i}`,
    hostKey: ed25519HostKey(),
  }));
}

function withKubeVip(change: (c: ClusterConfigInput) => void = () => undefined) {
  return validateConfig(
    configWith((c) => {
      threeMasters(c);
      c.controlPlaneEndpoint = "192.0.2.100:6443";
      c.kubeVip = { enabled: true, interface: "eth0" };
      change(c);
    }),
  );
}

describe("validateConfig: several control-plane nodes", () => {
  it("names controlPlaneEndpoint and both fixes (a load balancer, or kube-vip) when it is missing", () => {
    const message = errorAt(validateConfig(configWith(threeMasters)), "pulumi-kubeadm:controlPlaneEndpoint");
    assert.match(message, /3 control-plane hosts need a controlPlaneEndpoint/);
    assert.match(message, /pulumi config set controlPlaneEndpoint k8s-api\.example\.com:6443/);
    assert.match(message, /kubeVip\.enabled: true/);
  });

  it("warns about an even count and says to add or remove one", () => {
    const result = validateConfig(
      configWith((c) => {
        threeMasters(c);
        c.controlPlane.pop();
        c.controlPlaneEndpoint = "k8s-api.example.com:6443";
      }),
    );
    assertValid(result);
    assert.match(
      warningAt(result, "pulumi-kubeadm:controlPlane"),
      /2 members survive no more failures than 1.*add or remove/,
    );
  });
});

describe("validateConfig: kubeVip", () => {
  it("accepts a free IP endpoint on port 6443 and an interface", () => assertValid(withKubeVip()));

  it("needs controlPlaneEndpoint", () => {
    const result = withKubeVip((c) => {
      delete c.controlPlaneEndpoint;
    });
    assert.match(
      errorAt(result, "pulumi-kubeadm:kubeVip.enabled"),
      /no controlPlaneEndpoint is set.*pulumi config set controlPlaneEndpoint 192\.0\.2\.100:6443/,
    );
  });

  it("needs an IP endpoint, not a DNS name", () => {
    const result = withKubeVip((c) => {
      c.controlPlaneEndpoint = "k8s-api.example.com:6443";
    });
    assert.match(errorAt(result, "pulumi-kubeadm:controlPlaneEndpoint"), /DNS name, but kube-vip announces an IP/);
  });

  it("needs the API server's own port", () => {
    const result = withKubeVip((c) => {
      c.controlPlaneEndpoint = "192.0.2.100:8443";
    });
    assert.match(errorAt(result, "pulumi-kubeadm:controlPlaneEndpoint"), /port 8443.*write 192\.0\.2\.100:6443/);
  });

  it("refuses a virtual IP that is a node's address", () => {
    const result = withKubeVip((c) => {
      c.controlPlaneEndpoint = "192.0.2.22:6443";
    });
    assert.match(
      errorAt(result, "pulumi-kubeadm:controlPlaneEndpoint"),
      /192\.0\.2\.22 is the address of controlPlane\[1\] \(master02\).*free one/,
    );
  });

  it("needs the interface, saying how to find it", () => {
    const result = withKubeVip((c) => {
      c.kubeVip = { enabled: true };
    });
    assert.match(
      errorAt(result, "pulumi-kubeadm:kubeVip.interface"),
      /pulumi config set --path kubeVip\.interface eth0.*ip -br addr/,
    );
  });

  it("rejects a name Linux would not give an interface", () => {
    const result = withKubeVip((c) => {
      c.kubeVip = { enabled: true, interface: "a-very-long-interface0" };
    });
    assert.match(errorAt(result, "pulumi-kubeadm:kubeVip.interface"), /not a Linux interface name/);
  });

  it("rejects an image written as a URL", () => {
    const result = withKubeVip((c) => {
      c.kubeVip = { enabled: true, interface: "eth0", image: "https://ghcr.io/kube-vip/kube-vip:v1" };
    });
    assert.match(errorAt(result, "pulumi-kubeadm:kubeVip.image"), /not an image reference/);
  });

  it("warns when settings are given but kube-vip is not enabled", () => {
    const result = withKubeVip((c) => {
      c.kubeVip = { interface: "eth0" };
    });
    assertValid(result);
    assert.match(warningAt(result, "pulumi-kubeadm:kubeVip.enabled"), /not deployed.*kubeVip\.enabled: true/);
  });

  it("rejects an unknown kubeVip key", () => {
    const result = withKubeVip((c) => {
      (c.kubeVip as Record<string, unknown>).vip = "192.0.2.100";
    });
    assert.equal(result.ok, false);
  });
});

describe("resolveConfig: kubeVip", () => {
  const config = (change: (c: ClusterConfigInput) => void = () => undefined) =>
    configWith((c) => {
      threeMasters(c);
      c.controlPlaneEndpoint = "192.0.2.100:6443";
      c.kubeVip = { enabled: true, interface: "ens192" };
      change(c);
    });

  it("takes the virtual IP from the endpoint and the pinned image", () => {
    assert.deepEqual(resolveConfig(config()).kubeVip, {
      address: "192.0.2.100",
      interface: "ens192",
      image: DEFAULTS.kubeVipImage,
    });
  });

  it("sends the default image through addons.imageMirror, and keeps an image the user chose", () => {
    const mirrored = resolveConfig(
      config((c) => {
        c.addons = { imageMirror: "registry.example.com/mirror" };
      }),
    ).kubeVip;
    assert.equal(
      mirrored?.image,
      `registry.example.com/mirror/kube-vip/kube-vip:${DEFAULTS.kubeVipImage.split(":")[1]}`,
    );
    const chosen = resolveConfig(
      config((c) => {
        c.addons = { imageMirror: "registry.example.com/mirror" };
        c.kubeVip = { enabled: true, interface: "eth0", image: "harbor.example.com/infra/kube-vip:v1.0.4" };
      }),
    ).kubeVip;
    assert.equal(chosen?.image, "harbor.example.com/infra/kube-vip:v1.0.4");
  });

  it("leaves kube-vip out of the spec when it is not enabled (a user's own load balancer)", () => {
    const spec = resolveConfig(
      config((c) => {
        c.kubeVip = { enabled: false, interface: "eth0" };
      }),
    );
    assert.equal("kubeVip" in spec, false);
  });
});
