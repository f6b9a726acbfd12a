/**
 * A small multilayer perceptron (4 → 8 → 3, ReLU): its weights (fixed, from a seeded
 * generator), a forward pass in plain JavaScript, and the same network written as an ONNX
 * model, protobuf bytes made here (nothing downloaded).
 */
export const INPUTS = 4;
export const HIDDEN = 8;
export const OUTPUTS = 3;

/** Deterministic weights in [-1, 1) (a linear congruential generator). */
function weights(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed;
  for (let i = 0; i < count; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export const W1 = weights(INPUTS * HIDDEN, 1); // [INPUTS, HIDDEN], row-major
export const B1 = weights(HIDDEN, 2);
export const W2 = weights(HIDDEN * OUTPUTS, 3); // [HIDDEN, OUTPUTS]
export const B2 = weights(OUTPUTS, 4);

/** relu(x·W1 + b1)·W2 + b2 for one input row, in float32 like the model. */
export function forward(x: readonly number[]): number[] {
  const h = new Float32Array(HIDDEN);
  for (let j = 0; j < HIDDEN; j++) {
    let v = B1[j] as number;
    for (let i = 0; i < INPUTS; i++) v += (x[i] as number) * (W1[i * HIDDEN + j] as number);
    h[j] = Math.max(0, v);
  }
  const y: number[] = [];
  for (let k = 0; k < OUTPUTS; k++) {
    let v = B2[k] as number;
    for (let j = 0; j < HIDDEN; j++) v += (h[j] as number) * (W2[j * OUTPUTS + k] as number);
    y.push(v);
  }
  return y;
}

// Protobuf: fields as (number << 3 | wire type); varints and length-delimited bytes.
function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}
const int = (field: number, n: number): number[] => [...varint((field << 3) | 0), ...varint(n)];
const bytes = (field: number, b: ArrayLike<number>): number[] => [...varint((field << 3) | 2), ...varint(b.length), ...Array.from(b)];
const str = (field: number, s: string): number[] => bytes(field, new TextEncoder().encode(s));

const FLOAT = 1;

function tensor(name: string, dims: number[], data: Float32Array): number[] {
  return [...dims.flatMap((d) => int(1, d)), ...int(2, FLOAT), ...str(8, name), ...bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength))];
}

/** A float tensor value of shape [batch, width] (batch symbolic). */
function valueInfo(name: string, width: number): number[] {
  const shape = [...bytes(1, str(2, "batch")), ...bytes(1, int(1, width))];
  const tensorType = [...int(1, FLOAT), ...bytes(2, shape)];
  return [...str(1, name), ...bytes(2, bytes(1, tensorType))];
}

function node(op: string, inputs: string[], outputs: string[], name: string): number[] {
  return [...inputs.flatMap((i) => str(1, i)), ...outputs.flatMap((o) => str(2, o)), ...str(3, name), ...str(4, op)];
}

/** The network as an ONNX model (IR 8, opset 13): input "x" [batch, 4] → output "y" [batch, 3]. */
export function onnxModel(): Uint8Array {
  const graph = [
    ...bytes(1, node("Gemm", ["x", "W1", "B1"], ["h0"], "fc1")),
    ...bytes(1, node("Relu", ["h0"], ["h"], "relu")),
    ...bytes(1, node("Gemm", ["h", "W2", "B2"], ["y"], "fc2")),
    ...str(2, "mlp"),
    ...bytes(5, tensor("W1", [INPUTS, HIDDEN], W1)),
    ...bytes(5, tensor("B1", [HIDDEN], B1)),
    ...bytes(5, tensor("W2", [HIDDEN, OUTPUTS], W2)),
    ...bytes(5, tensor("B2", [OUTPUTS], B2)),
    ...bytes(11, valueInfo("x", INPUTS)),
    ...bytes(12, valueInfo("y", OUTPUTS)),
  ];
  return Uint8Array.from([...int(1, 8), ...str(2, "lux-examples"), ...bytes(7, graph), ...bytes(8, [...str(1, ""), ...int(2, 13)])]);
}
