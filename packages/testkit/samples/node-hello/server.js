import { createServer } from "node:http";

const port = Number(process.env.PORT ?? 3000);
const version = process.env.APP_VERSION ?? "v1";

const server = createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok");
    return;
  }
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(`hello from node-hello ${version}\n`);
});

server.listen(port, "0.0.0.0", () => {
  console.log(`node-hello listening on ${port}`);
});

process.on("SIGTERM", () => server.close(() => process.exit(0)));
