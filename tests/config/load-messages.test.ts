// The error that stops `pulumi preview`/`up` on a bad configuration prints a command to check it offline: it must
// name the stack being deployed, not a placeholder the user has to fill in.
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { loadFromPulumiConfig } from "../../config/load";

/** A configuration with one problem (no control plane), as the engine would hand it over. */
const BROKEN = { "pulumi-kubeadm:podSubnet": "10.244.0.0/16" };

function loadError(stack?: string): string {
  try {
    loadFromPulumiConfig({ allConfig: BROKEN, isSecretKey: () => false, warn: () => undefined, stack });
  } catch (error) {
    assert.ok(pulumi.RunError.isInstance(error), String(error));
    return error.message;
  }
  return assert.fail("the configuration should have been refused");
}

describe("loadFromPulumiConfig's message", () => {
  it("names the stack in the validate command, quoted as a shell word", () => {
    assert.match(loadError("prod"), /\(check it offline with: npm run validate -- 'prod'\):\n/);
  });

  it("asks the engine which stack it runs", async () => {
    await pulumi.runtime.setMocks(
      { newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }), call: () => ({}) },
      "pulumi-kubeadm",
      "edge-eu",
    );
    assert.match(loadError(), /npm run validate -- 'edge-eu'\)/);
  });
});
