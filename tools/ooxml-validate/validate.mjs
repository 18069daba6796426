// Validates DOCX files with the Open XML SDK (compiled to WebAssembly by @ooxml-tools/validate)
// and prints one JSON object: each file's path and the SDK's errors, [] when it is valid.
// One Node process for all files: starting the SDK costs seconds, validating a file little.
import { readFile } from "node:fs/promises";
import validate from "@ooxml-tools/validate";

const results = {};
for (const path of process.argv.slice(2)) {
  results[path] = await validate(new Uint8Array(await readFile(path)), "docx", "Microsoft365");
}
process.stdout.write(JSON.stringify(results, null, 1) + "\n");
