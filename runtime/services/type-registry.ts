// Every message type the runtime knows, for Connect JSON: the angzarr contract and its
// extensions, the example domains and the well-known types. A JSON `Any` ("@type") of any of them
// decodes and encodes; any other type URL is INVALID_ARGUMENT naming it (connect-es's message).
import * as contract from "@angzarr/proto";
import * as examples from "@angzarr/proto/examples.ts";
import { createRegistry, type DescFile, type Registry } from "@bufbuild/protobuf";
import * as wkt from "@bufbuild/protobuf/wkt";

function filesOf(module: Record<string, unknown>): DescFile[] {
  return Object.values(module).filter(
    (v): v is DescFile => typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "file",
  );
}

export const runtimeTypeRegistry: Registry = createRegistry(
  ...filesOf(contract),
  ...filesOf(examples),
  ...filesOf(wkt),
);
