/**
 * Reading a node's memory from scripted /proc and cgroup files: cgroup v2 memory.current
 * against memory.max (less reclaimable page cache) when a limit is set, else /proc/meminfo;
 * a process's private memory; the `memory` resource a node advertises by default.
 */
import assert from "node:assert/strict";
import * as os from "node:os";
import { describe, test } from "node:test";
import { cgroupMemory, defaultMemoryResource, meminfoMemory, privateMemory, systemMemory, type ReadText } from "../src/memory-usage.js";

const MiB = 1024 ** 2;
const files = (contents: Record<string, string>): ReadText => (file) => contents[file];

const MEMINFO = "MemTotal:       16000000 kB\nMemFree:         2000000 kB\nMemAvailable:    4000000 kB\nBuffers:          100000 kB\n";
const CGROUP = "0::/lux.slice/node-1\n";
const DIR = "/sys/fs/cgroup/lux.slice/node-1";

describe("node memory", () => {
  test("cgroup v2 with a limit: memory.current less inactive_file, against memory.max", () => {
    const read = files({
      "/proc/self/cgroup": CGROUP,
      [`${DIR}/memory.max`]: `${1024 * MiB}\n`,
      [`${DIR}/memory.current`]: `${900 * MiB}\n`,
      [`${DIR}/memory.stat`]: `anon ${700 * MiB}\nfile ${200 * MiB}\ninactive_file ${150 * MiB}\nactive_file ${50 * MiB}\n`,
      "/proc/meminfo": MEMINFO,
    });
    assert.deepEqual(cgroupMemory(read), { usedBytes: 750 * MiB, capacityBytes: 1024 * MiB });
    assert.deepEqual(systemMemory(read), { usedBytes: 750 * MiB, capacityBytes: 1024 * MiB }, "the cgroup's limit is what the kernel enforces");
  });

  test("no cgroup limit (memory.max is \"max\", or cgroup v1): MemTotal − MemAvailable of MemTotal", () => {
    const unlimited = files({ "/proc/self/cgroup": CGROUP, [`${DIR}/memory.max`]: "max\n", [`${DIR}/memory.current`]: "123\n", "/proc/meminfo": MEMINFO });
    assert.equal(cgroupMemory(unlimited), undefined);
    const expected = { usedBytes: 12_000_000 * 1024, capacityBytes: 16_000_000 * 1024 };
    assert.deepEqual(systemMemory(unlimited), expected);
    const v1 = files({ "/proc/self/cgroup": "4:memory:/user.slice\n1:cpu:/\n", "/proc/meminfo": MEMINFO });
    assert.deepEqual(systemMemory(v1), expected);
    assert.deepEqual(meminfoMemory(v1), expected);
  });

  test("neither readable: the machine as Node sees it", () => {
    const s = systemMemory(files({}));
    assert.equal(s.capacityBytes, os.totalmem());
    assert.ok(s.usedBytes > 0 && s.usedBytes <= s.capacityBytes);
  });

  test("a process's private memory is RssAnon of /proc/PID/status; a process gone has none", () => {
    const read = files({ "/proc/42/status": "Name:\tnode\nVmRSS:\t  500000 kB\nRssAnon:\t  300000 kB\nRssFile:\t   50000 kB\nRssShmem:\t  150000 kB\n" });
    assert.equal(privateMemory(42, read), 300_000 * 1024, "pages shared with the object store (RssShmem) are not its own");
    assert.equal(privateMemory(43, read), undefined);
  });

  test("the memory resource: --memory-capacity when given, else RAM (or a lower cgroup limit) minus the object store", () => {
    assert.equal(defaultMemoryResource(600 * MiB, 4096 * MiB, files({})), 600 * MiB);
    assert.equal(defaultMemoryResource(undefined, 1024 * MiB, files({})), os.totalmem() - 1024 * MiB);
    const limited = files({ "/proc/self/cgroup": CGROUP, [`${DIR}/memory.max`]: `${2048 * MiB}`, [`${DIR}/memory.current`]: "0" });
    assert.equal(defaultMemoryResource(undefined, 512 * MiB, limited), Math.min(os.totalmem(), 2048 * MiB) - 512 * MiB);
    assert.equal(defaultMemoryResource(undefined, os.totalmem() * 2, files({})), 0, "never negative");
  });
});
