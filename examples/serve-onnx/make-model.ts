/** Writes the example's ONNX model: `npx tsx examples/serve-onnx/make-model.ts [out.onnx]`. */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { onnxModel } from "./mlp.js";

const out = process.argv[2] ?? path.join(import.meta.dirname, "mlp.onnx");
writeFileSync(out, onnxModel());
console.log(`wrote ${out}`);
