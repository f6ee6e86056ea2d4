import { strict as assert } from "assert";
import {
  memberProbeScript,
  parseControlPlaneNodes,
  parseMemberProbe,
  quorumAfterRemoval,
  quorumRefusal,
  type ControlPlaneMember,
} from "../../providers/node/etcd-quorum";

const member = (name: string, answers = true): ControlPlaneMember => ({ name, address: "10.0.0.1", answers });

describe("etcd quorum after removing a control-plane node", () => {
  it("allows removing one of three healthy members (two left, both answer)", () => {
    const verdict = quorumAfterRemoval([member("cp1"), member("cp2"), member("cp3")], "cp3");
    assert.deepEqual(verdict, { allowed: true, remaining: ["cp1", "cp2"], answering: ["cp1", "cp2"], needed: 2 });
  });

  it("refuses removing a healthy member when another is down (1 of 2 left answers)", () => {
    const verdict = quorumAfterRemoval([member("cp1"), member("cp2"), member("cp3", false)], "cp2");
    assert.equal(verdict.allowed, false);
    assert.equal(verdict.needed, 2);
    const message = quorumRefusal("cp2", verdict);
    assert.match(
      message,
      /^refusing to remove control-plane node cp2: etcd would be left with 2 member\(s\) \(cp1, cp3\)/,
    );
    assert.match(message, /Nothing was changed\. Bring cp3 back.*remove that node from controlPlane first/);
  });

  it("allows removing the member that is down", () => {
    assert.equal(quorumAfterRemoval([member("cp1"), member("cp2"), member("cp3", false)], "cp3").allowed, true);
  });

  it("allows five members to lose one while another is down (3 of 4 answer)", () => {
    const members = [member("a"), member("b"), member("c"), member("d", false), member("e")];
    assert.deepEqual(quorumAfterRemoval(members, "e"), {
      allowed: true,
      remaining: ["a", "b", "c", "d"],
      answering: ["a", "b", "c"],
      needed: 3,
    });
  });

  it("refuses removing the last member, saying so", () => {
    const verdict = quorumAfterRemoval([member("cp1")], "cp1");
    assert.equal(verdict.allowed, false);
    assert.match(quorumRefusal("cp1", verdict), /last control-plane node/);
  });

  it("reads the control-plane Nodes and each one's InternalIP from kubectl's JSON", () => {
    const json = JSON.stringify({
      items: [
        {
          metadata: { name: "cp1" },
          status: {
            addresses: [
              { type: "Hostname", address: "cp1" },
              { type: "InternalIP", address: "10.0.0.1" },
            ],
          },
        },
        { metadata: { name: "cp2" }, status: {} },
      ],
    });
    assert.deepEqual(parseControlPlaneNodes(json), [{ name: "cp1", address: "10.0.0.1" }, { name: "cp2" }]);
  });

  it("asks each member's own API server, quoting every value, and reads the answers back", () => {
    const script = memberProbeScript([
      { name: "cp1", address: "10.0.0.1" },
      { name: "cp2", address: "2001:db8::2" },
      { name: "cp3" },
    ]);
    assert.match(script, /'--server' 'https:\/\/10\.0\.0\.1:6443' 'get' '--raw=\/readyz'/);
    assert.match(script, /'--server' 'https:\/\/\[2001:db8::2\]:6443'/);
    assert.match(script, /'echo' 'down' 'cp3'/);
    assert.deepEqual([...parseMemberProbe("ok cp1\ndown cp2\nok cp3\n")], ["cp1", "cp3"]);
  });
});
