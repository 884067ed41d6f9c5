import { createServer } from "node:http";
import { record } from "./recorder.js";

const port = Number(process.env.PORT ?? 3000);
await record("web-start");

createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(`hello from ${process.env.HOSTNAME ?? "web"}\n`);
}).listen(port, "0.0.0.0", () => console.log(`web listening on ${port}`));
