import { createServer } from "node:http";
import pg from "pg";

// Reads DATABASE_URL (a managed add-on's): GET / answers the rows of table `notes`, POST /?note=x adds
// one. It prints its DATABASE_URL at start, so a test can check the platform masks it in the logs.
const port = Number(process.env.PORT ?? 3000);
const url = process.env.DATABASE_URL;
console.log(`node-postgres starting with DATABASE_URL=${url ?? "(unset)"}`);
const pool = url ? new pg.Pool({ connectionString: url, max: 2 }) : null;

async function handle(req) {
  // Healthy without a database too (the platform's health check wants a 2xx): it says what it lacks.
  if (!pool) return [200, "no DATABASE_URL\n"];
  await pool.query("create table if not exists notes (id serial primary key, note text not null)");
  if (req.method === "POST") {
    const note = new URL(req.url, "http://x").searchParams.get("note") ?? "";
    await pool.query("insert into notes (note) values ($1)", [note]);
  }
  const { rows } = await pool.query("select note from notes order by id");
  return [200, `${rows.map((r) => r.note).join(",")}\n`];
}

const server = createServer((req, res) => {
  handle(req)
    .then(([status, body]) => {
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(body);
    })
    .catch((err) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(`${err.message}\n`);
    });
});

server.listen(port, "0.0.0.0", () => console.log(`node-postgres listening on ${port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
