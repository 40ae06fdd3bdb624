// Writes the worker's source that qr-scanner-worker.min.js would put into a Blob, unchanged.
import { writeFileSync } from "node:fs";
let source = null;
globalThis.Blob = class { constructor(parts) { source = parts.join(""); } };
globalThis.URL.createObjectURL = () => "blob:";
globalThis.Worker = class {};
const mod = await import(process.argv[2]);
mod.createWorker();
writeFileSync(process.argv[3], source);
