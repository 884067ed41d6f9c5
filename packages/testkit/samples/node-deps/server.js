import { createServer } from "node:http";
import ms from "ms";

// Its one dependency comes from the npm registry (`npm ci` from package-lock.json) and answers GET /.
const port = Number(process.env.PORT ?? 3000);

const server = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(`hello from node-deps: 1m is ${ms("1m")} ms\n`);
});

server.listen(port, "0.0.0.0", () => {
  console.log(`node-deps listening on ${port}`);
});

process.on("SIGTERM", () => server.close(() => process.exit(0)));
