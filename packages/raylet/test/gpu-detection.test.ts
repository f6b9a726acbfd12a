import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import { acceleratorType, gpusFrom, onPath, parseNvidiaSmi, visibleGpus, type DetectedGpu } from "../src/gpu-detection.js";

const SMI = [
  "0, GPU-5f2e1c3a-1111-2222-3333-444455556666, NVIDIA H100 80GB HBM3, 81559 MiB",
  "1, GPU-9a8b7c6d-aaaa-bbbb-cccc-ddddeeeeffff, NVIDIA H100 80GB HBM3, 81559 MiB",
  "2, GPU-0badf00d-0000-1111-2222-333344445555, NVIDIA H100 80GB HBM3, [N/A]",
  "",
].join("\n");

describe("nvidia-smi output", () => {
  test("one device per line: index, uuid, name, memory", () => {
    const gpus = parseNvidiaSmi(SMI) as DetectedGpu[];
    assert.deepEqual(gpus.map((g) => g.index), [0, 1, 2]);
    assert.equal(gpus[0]?.uuid, "GPU-5f2e1c3a-1111-2222-3333-444455556666");
    assert.equal(gpus[0]?.name, "NVIDIA H100 80GB HBM3");
    assert.equal(gpus[0]?.memoryMiB, 81559);
    assert.equal(gpus[2]?.memoryMiB, undefined, "memory not shown is no error");
    assert.deepEqual(parseNvidiaSmi(""), [], "no lines: no GPUs");
  });

  test("anything else cannot be read", () => {
    for (const out of ["garbage", "0, GPU-1, NVIDIA H100", "x, GPU-1, NVIDIA H100, 1 MiB", "0, , NVIDIA H100, 1 MiB", "No devices were found"]) {
      assert.equal(typeof parseNvidiaSmi(out), "string", out);
    }
  });
});

describe("CUDA_VISIBLE_DEVICES of the raylet", () => {
  const gpus = parseNvidiaSmi(SMI) as DetectedGpu[];
  const ids = (visible: string | undefined): number[] => visibleGpus(gpus, visible).map((g) => g.index);

  test("unset: every device; by index or uuid (a unique prefix), in its order", () => {
    assert.deepEqual(ids(undefined), [0, 1, 2]);
    assert.deepEqual(ids("2,0"), [2, 0]);
    assert.deepEqual(ids("GPU-9a8b7c6d-aaaa-bbbb-cccc-ddddeeeeffff"), [1]);
    assert.deepEqual(ids("GPU-0badf00d, 1"), [2, 1]);
  });

  test("as CUDA does, the list ends at the first entry naming no device", () => {
    assert.deepEqual(ids(""), []);
    assert.deepEqual(ids("-1"), []);
    assert.deepEqual(ids("1,7,0"), [1]);
    assert.deepEqual(ids("0,0,1"), [0], "a repeated device ends it too");
  });
});

describe("accelerator type", () => {
  test("the model, without the vendor and brand words", () => {
    const cases: [string, string | undefined][] = [
      ["NVIDIA H100 80GB HBM3", "H100"],
      ["NVIDIA H100 PCIe", "H100"],
      ["NVIDIA A100-SXM4-40GB", "A100"],
      ["NVIDIA A100 80GB PCIe", "A100"],
      ["Tesla V100-SXM2-16GB", "V100"],
      ["Tesla T4", "T4"],
      ["Tesla K80", "K80"],
      ["NVIDIA L4", "L4"],
      ["NVIDIA A10G", "A10G"],
      ["NVIDIA GH200 480GB", "GH200"],
      ["NVIDIA GeForce RTX 4090", "RTX4090"],
      ["NVIDIA GeForce GTX 1080 Ti", "GTX1080"],
      ["NVIDIA RTX A6000", "RTXA6000"],
      ["Quadro RTX 8000", "RTX8000"],
      ["NVIDIA TITAN RTX", "TITANRTX"],
      ["NVIDIA", undefined],
      ["", undefined],
    ];
    for (const [name, type] of cases) assert.equal(acceleratorType(name), type, name);
  });
});

describe("detection outcome", () => {
  test("GPU ids and the label from the first kept device", () => {
    assert.deepEqual(gpusFrom({ stdout: SMI }, "2,1"), { gpuIds: [2, 1], acceleratorType: "H100", warning: undefined });
    assert.deepEqual(gpusFrom({ stdout: "" }, undefined), { gpuIds: [], acceleratorType: undefined, warning: undefined });
  });

  test("a failure or unreadable output: 0 GPUs and a warning saying why", () => {
    const failed = gpusFrom({ failure: "nvidia-smi is not on PATH" }, undefined);
    assert.deepEqual(failed.gpuIds, []);
    assert.match(failed.warning ?? "", /GPU detection: nvidia-smi is not on PATH; this node has 0 GPUs/);
    const garbage = gpusFrom({ stdout: "garbage\n" }, undefined);
    assert.deepEqual([garbage.gpuIds, garbage.acceleratorType], [[], undefined]);
    assert.match(garbage.warning ?? "", /could not read the output of nvidia-smi: unexpected line "garbage"/);
  });
});

describe("finding nvidia-smi", () => {
  test("an executable file of that name in a folder of PATH", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-onpath-"));
    try {
      fs.writeFileSync(path.join(dir, "plain"), "", { mode: 0o644 });
      fs.writeFileSync(path.join(dir, "tool"), "#!/bin/sh\n", { mode: 0o755 });
      assert.equal(onPath("tool", `/nonexistent-lux${path.delimiter}${dir}`), true);
      assert.equal(onPath("plain", dir), false, "not executable");
      assert.equal(onPath("absent", dir), false);
      assert.equal(onPath("tool", undefined), false);
      assert.equal(onPath("tool", ""), false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
