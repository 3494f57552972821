// Serves the console's bundled page under /console on a node:http(2) listener. The bundle is
// built once, in memory, with Bun's bundler from the HTML entry point on the first request
// (every script, style and library inlined into hashed assets: no CDN, works offline). The page
// then talks to the runtime only through the Connect services on the same origin.
import { join } from "node:path";

export const CONSOLE_PATH = "/console";
const ENTRY = join(import.meta.dir, "index.html");

interface Asset {
  body: Uint8Array;
  type: string;
}

/** Builds the console: path under /console → asset. Throws with the bundler's messages. */
export async function buildConsole(): Promise<Map<string, Asset>> {
  const result = await Bun.build({
    entrypoints: [ENTRY],
    target: "browser",
    minify: true,
    publicPath: `${CONSOLE_PATH}/`,
    naming: { entry: "[name].[ext]", chunk: "[name]-[hash].[ext]", asset: "[name]-[hash].[ext]" },
  });
  if (!result.success) throw new Error(result.logs.map((l) => l.message).join("\n"));
  const assets = new Map<string, Asset>();
  for (const output of result.outputs) {
    const name = output.path.replace(/^\.\//, "");
    const type = output.type || "application/octet-stream";
    assets.set(name === "index.html" ? "" : name, { body: new Uint8Array(await output.arrayBuffer()), type });
  }
  return assets;
}

/** What the handler needs of a node:http or node:http2 request and response. */
interface Request {
  url?: string;
  method?: string;
}
interface Response {
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(body?: Uint8Array | string): unknown;
}

/**
 * A request handler for the console's paths: answers GET/HEAD under /console and returns true,
 * or returns false for every other request (the caller passes it on, e.g. to Connect).
 */
export function consoleHandler(
  options: { onError?: (error: Error) => void } = {},
): (req: Request, res: Response) => boolean {
  let built: Promise<Map<string, Asset>> | undefined;
  return (req, res) => {
    const url = req.url ?? "";
    const path = url.split("?")[0] ?? "";
    if (path !== CONSOLE_PATH && !path.startsWith(`${CONSOLE_PATH}/`)) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" });
      res.end();
      return true;
    }
    built ??= buildConsole().catch((err: Error) => {
      built = undefined;
      throw err;
    });
    built.then(
      (assets) => {
        const name = path.slice(CONSOLE_PATH.length).replace(/^\//, "");
        const asset = assets.get(name);
        if (!asset) {
          res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
          res.end(`no such console asset: ${name}\n`);
          return;
        }
        res.writeHead(200, {
          "content-type": asset.type,
          "content-length": String(asset.body.byteLength),
          "cache-control": name === "" ? "no-cache" : "public, max-age=31536000, immutable",
          "x-content-type-options": "nosniff",
        });
        if (req.method === "HEAD") res.end();
        else res.end(asset.body);
      },
      (err: Error) => {
        options.onError?.(err);
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end(`console build failed: ${err.message}\n`);
      },
    );
    return true;
  };
}
