"use strict";
// The process behind an active containerd.service in the lab: listens on the socket, closes every connection,
// removes the socket when told to stop. Started detached by lib/units.js; argv: <socket path>.
const fs = require("fs");
const net = require("net");

const sock = process.argv[2];
process.title = "containerd";
try {
  fs.unlinkSync(sock);
} catch {
  /* none */
}
const server = net.createServer((c) => {
  c.on("error", () => {});
  c.end();
});
const bye = () => {
  try {
    fs.unlinkSync(sock);
  } catch {
    /* gone */
  }
  process.exit(0);
};
process.on("SIGTERM", bye);
process.on("SIGINT", bye);
process.on("SIGHUP", () => {});
server.listen(sock);
