// The machine reaching the lab network's HTTPS endpoints (a real control plane's API server on
// 198.18.x.y:6443), for clients that run on the machine such as the @pulumi/kubernetes provider: an HTTP
// CONNECT proxy on 127.0.0.1 (HTTPS_PROXY) that carries each tunnel into the lab's switch namespace
// (`ip netns exec pk-<lab>-sw socat STDIO TCP:<address>:<port>`), as the SSH forwarders do. The root namespace
// is not changed; TLS stays end to end (the client checks the API server's certificate for its lab address).
// Only lab addresses (198.18.0.0/15) are forwarded; anything else is refused with 403.
import { spawn } from "child_process";
import * as net from "net";
import { switchNs } from "./names";

export interface LabApiProxy {
  /** http://127.0.0.1:<port>, for HTTPS_PROXY. */
  url: string;
  close(): Promise<void>;
}

const LAB_NETWORK = /^198\.1[89]\.\d{1,3}\.\d{1,3}$/;

export async function startLabApiProxy(lab: string): Promise<LabApiProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      client.off("data", onData);
      const m = /^CONNECT ([^\s:]+):(\d+) HTTP\/1\.[01]\r\n/.exec(head.toString("latin1"));
      if (!m || !LAB_NETWORK.test(m[1])) {
        client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
        return;
      }
      const tunnel = spawn("ip", ["netns", "exec", switchNs(lab), "socat", "STDIO", `TCP:${m[1]}:${Number(m[2])}`], {
        stdio: ["pipe", "pipe", "ignore"],
      });
      client.write("HTTP/1.1 200 Connection established\r\n\r\n");
      const rest = head.subarray(end + 4);
      if (rest.length) tunnel.stdin.write(rest);
      client.pipe(tunnel.stdin);
      tunnel.stdout.pipe(client);
      tunnel.on("exit", () => client.end());
      tunnel.stdin.on("error", () => undefined);
      client.on("close", () => tunnel.kill());
    };
    client.on("data", onData);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
