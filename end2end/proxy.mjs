// A small round-robin HTTP proxy for the two-server journey:
//   node proxy.mjs <listen port> <upstream port> <upstream port> …
// Each request goes to the next upstream in turn, so consecutive requests of one browser
// session land on different app servers.
import http from "node:http";

const [listen, ...upstreams] = process.argv.slice(2).map(Number);
let next = 0;
const served = Object.fromEntries(upstreams.map((p) => [p, 0]));

http
  .createServer((req, res) => {
    if (req.url === "/__proxy/stats") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(served));
      return;
    }
    const port = upstreams[next++ % upstreams.length];
    served[port] += 1;
    const upstream = http.request(
      { host: "127.0.0.1", port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", () => {
      res.writeHead(502);
      res.end("upstream unavailable");
    });
    req.pipe(upstream);
  })
  .listen(listen, "127.0.0.1");
