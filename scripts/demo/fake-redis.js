"use strict";
// fake-redis.js [PORT]: a stand-in for Redis in the demo. Listens on
// 127.0.0.1 (a free port unless PORT is given), prints the port on standard
// output, and answers the RESP protocol just enough for the demo: PING with
// +PONG, DEL with :0, QUIT with +OK (then closes), anything else with +OK.
// Stops on SIGTERM or SIGINT.
const net = require("net");

// replies parses complete commands (RESP arrays or inline) from buf and
// returns [replies, rest].
function replies(buf) {
  const out = [];
  for (;;) {
    let args;
    let used;
    if (buf.startsWith("*")) {
      const head = buf.indexOf("\r\n");
      if (head < 0) break;
      const n = Number(buf.slice(1, head));
      let pos = head + 2;
      args = [];
      for (let i = 0; i < n; i++) {
        const lenEnd = buf.indexOf("\r\n", pos);
        if (lenEnd < 0 || buf[pos] !== "$") break;
        const len = Number(buf.slice(pos + 1, lenEnd));
        if (buf.length < lenEnd + 2 + len + 2) break;
        args.push(buf.slice(lenEnd + 2, lenEnd + 2 + len));
        pos = lenEnd + 2 + len + 2;
      }
      if (args.length < n) break;
      used = pos;
    } else {
      const end = buf.indexOf("\n");
      if (end < 0) break;
      args = buf.slice(0, end).trim().split(/\s+/).filter(Boolean);
      used = end + 1;
      if (args.length === 0) {
        buf = buf.slice(used);
        continue;
      }
    }
    buf = buf.slice(used);
    const cmd = String(args[0]).toUpperCase();
    if (cmd === "PING") out.push(args.length > 1 ? `$${Buffer.byteLength(args[1])}\r\n${args[1]}\r\n` : "+PONG\r\n");
    else if (cmd === "DEL") out.push(":0\r\n");
    else if (cmd === "QUIT") out.push(null);
    else out.push("+OK\r\n");
  }
  return [out, buf];
}

const server = net.createServer((sock) => {
  let buf = "";
  sock.on("data", (d) => {
    let out;
    [out, buf] = replies(buf + d.toString("latin1"));
    for (const r of out) {
      if (r === null) {
        sock.end("+OK\r\n");
        return;
      }
      sock.write(r);
    }
  });
  sock.on("error", () => {});
});

server.listen(Number(process.argv[2] || 0), "127.0.0.1", () => {
  console.log(server.address().port);
});
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => process.exit(0));
}
