// Serves the console under /console on a node:http(2) listener as ONE self-contained HTML page:
// Bun's bundler inlines every script, style and library (no CDN, works offline). A compiled
// executable carries that page, bundled at build time (scripts/build.ts embeds it as the asset
// CONSOLE_ASSET), since it holds neither the console's sources nor its libraries; run from
// source, the page is bundled in memory on the first request. The page then talks to the runtime
// only through the Connect services on the same origin.
import { join } from "node:path";

export const CONSOLE_PATH = "/console";
/** The name of the bundled page inside a compiled executable. */
export const CONSOLE_ASSET = "angzarr-console.html";
const ENTRY = join(import.meta.dir, "index.html");

interface Asset {
  body: Uint8Array;
  type: string;
}

/** Bundles the console into one self-contained HTML page. Throws with the bundler's messages. */
export async function bundleConsole(): Promise<Uint8Array> {
  const result = await Bun.build({ entrypoints: [ENTRY], target: "browser", compile: true, minify: true });
  const page = result.outputs.find((o) => o.path.endsWith(".html"));
  if (!result.success || !page || result.outputs.length !== 1) {
    const why = result.logs.map((l) => l.message).join("\n");
    throw new Error(why || `expected one self-contained page, got ${result.outputs.length} outputs`);
  }
  return new Uint8Array(await page.arrayBuffer());
}

/** The page embedded in this executable by `bun run build`, if it is one. */
function embeddedPage(): Blob | undefined {
  return Bun.embeddedFiles.find((file) => (file as Blob & { name?: string }).name === CONSOLE_ASSET);
}

/** The console's assets (path under /console → asset): the embedded page, else a fresh bundle. */
export async function buildConsole(): Promise<Map<string, Asset>> {
  const embedded = embeddedPage();
  const body = embedded ? new Uint8Array(await embedded.arrayBuffer()) : await bundleConsole();
  return new Map([["", { body, type: "text/html;charset=utf-8" }]]);
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
