/**
 * `lux cert create-ca` and `lux cert issue`: the certificates of a cluster that uses TLS
 * (docs/tls.md), made with the `openssl` command (OpenSSL 1.1.1 or newer): an ECDSA P-256
 * CA, and per node (or driver) a certificate signed by it that names the node's addresses,
 * good for both ends of a connection (serverAuth and clientAuth). Keys are written 0600 and
 * never overwritten.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { CliError } from "./errors.js";

/** How long a CA is good for, in days. */
const CA_DAYS = 3650;
/** How long a node's certificate is good for by default, in days. */
const CERT_DAYS = 825;
const NAME = /^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/;

export interface IssueOptions {
  /** Folder holding ca.crt and ca.key. */
  ca: string;
  /** The certificate's name: its common name, a DNS name in it, and the files' base name. */
  name: string;
  /** IP addresses the certificate names (the node's --node-ip-address, ...). */
  ip: string[];
  /** More DNS names the certificate names. */
  dns: string[];
  out: string;
  days: number;
}

/** Writes `ca.crt` and `ca.key` (0600) into `out`; refuses to replace an existing CA. */
export function createCa(out: string): { cert: string; key: string } {
  requireOpenssl();
  fs.mkdirSync(out, { recursive: true });
  const cert = path.join(out, "ca.crt");
  const key = path.join(out, "ca.key");
  refuseExisting(cert, key);
  reserveKeyFile(key);
  removedOnFailure([cert, key], () =>
    openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", String(CA_DAYS)].concat(
      ["-subj", "/CN=Lux cluster CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    )),
  );
  return { cert, key };
}

/** Writes `<name>.crt` and `<name>.key` (0600) into `out`, signed by the CA in `ca`. */
export function issueCert(opts: IssueOptions): { cert: string; key: string } {
  requireOpenssl();
  const caCert = path.join(opts.ca, "ca.crt");
  const caKey = path.join(opts.ca, "ca.key");
  for (const f of [caCert, caKey]) if (!fs.existsSync(f)) throw new CliError(`no ${path.basename(f)} in ${opts.ca}: make the CA first with \`lux cert create-ca --out ${opts.ca}\``);
  fs.mkdirSync(opts.out, { recursive: true });
  const cert = path.join(opts.out, `${opts.name}.crt`);
  const key = path.join(opts.out, `${opts.name}.key`);
  refuseExisting(cert, key);
  reserveKeyFile(key);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "lux-cert-"));
  try {
    const csr = path.join(work, "req.csr");
    const ext = path.join(work, "ext.cnf");
    fs.writeFileSync(ext, certExtensions(opts));
    const serial = `0x${randomBytes(16).toString("hex")}`;
    removedOnFailure([cert, key], () => {
      openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr, "-subj", `/CN=${opts.name}`]);
      openssl(["x509", "-req", "-in", csr, "-CA", caCert, "-CAkey", caKey, "-set_serial", serial, "-days", String(opts.days), "-extfile", ext, "-out", cert]);
    });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return { cert, key };
}

/** The certificate's extensions: the names it is good for, and that it is an end entity for both TLS roles. */
function certExtensions(opts: IssueOptions): string {
  const names = [...new Set([opts.name, ...opts.dns])].map((n) => `DNS:${n}`).concat(opts.ip.map((ip) => `IP:${ip}`));
  return [
    `subjectAltName=${names.join(",")}`,
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature",
    "extendedKeyUsage=serverAuth,clientAuth",
    "",
  ].join("\n");
}

function refuseExisting(...files: string[]): void {
  const found = files.filter((f) => fs.existsSync(f));
  if (found.length > 0) throw new CliError(`${found.join(" and ")} already exist${found.length === 1 ? "s" : ""}: remove ${found.length === 1 ? "it" : "them"} first, or write elsewhere with --out`);
}

/** The key file, made empty and 0600 before openssl writes into it: the key is never readable by others, even for a moment. */
function reserveKeyFile(key: string): void {
  fs.writeFileSync(key, "", { mode: 0o600, flag: "wx" });
}

/** Runs `make`; if it throws, the files it was making are removed (a half-made pair would block the next try). */
function removedOnFailure(files: string[], make: () => void): void {
  try {
    make();
  } catch (e) {
    for (const f of files) fs.rmSync(f, { force: true });
    throw e;
  }
}

function requireOpenssl(): void {
  const probe = spawnSync("openssl", ["version"], { encoding: "utf8" });
  if (probe.error !== undefined || probe.status !== 0) throw new CliError("`lux cert` runs the openssl command, which is not installed here (e.g. apt-get install openssl)");
}

function openssl(args: string[]): void {
  const run = spawnSync("openssl", args, { encoding: "utf8" });
  if (run.status !== 0) throw new CliError(`openssl ${args[0] ?? ""} failed: ${(run.stderr || run.error?.message || "").trim()}`);
}

function collect(check: (value: string) => string): (value: string, previous: string[] | undefined) => string[] {
  return (value, previous) => [...(previous ?? []), check(value)];
}

function ipAddress(value: string): string {
  if (net.isIP(value) === 0) throw new InvalidArgumentError(`takes an IP address, got "${value}"`);
  return value;
}

function dnsName(value: string): string {
  if (!NAME.test(value)) throw new InvalidArgumentError(`takes a name of letters, digits, dots and dashes, got "${value}"`);
  return value;
}

function days(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`takes a whole number of days >= 1, got "${value}"`);
  return n;
}

/** `lux cert create-ca` and `lux cert issue`. */
export function addCertCommands(program: Command): void {
  const cert = program.command("cert").description("Make the certificates of a cluster that uses TLS (with the openssl command; see docs/tls.md).");
  cert
    .command("create-ca")
    .description("Make the cluster's certificate authority: ca.crt (give it to every node and driver) and ca.key (keep it safe).")
    .requiredOption("--out <dir>", "folder to write ca.crt and ca.key into")
    .action((opts: { out: string }) => {
      const made = createCa(opts.out);
      process.stdout.write(`Wrote ${made.cert} and ${made.key} (readable by you only).\nIssue each node's certificate with: lux cert issue --ca ${opts.out} --name NAME --ip NODE_IP --out DIR\n`);
    });
  cert
    .command("issue")
    .description("Make a node's (or a driver's) certificate, signed by the CA: NAME.crt and NAME.key.")
    .requiredOption("--ca <dir>", "folder holding ca.crt and ca.key (lux cert create-ca)")
    .requiredOption("--name <name>", "the certificate's name (also a DNS name it is good for, and the files' name)", dnsName)
    .option("--ip <address>", "an IP address the node serves on (its --node-ip-address); repeat for more", collect(ipAddress), [] as string[])
    .option("--dns <name>", "another DNS name the node is reached by; repeat for more", collect(dnsName), [] as string[])
    .requiredOption("--out <dir>", "folder to write NAME.crt and NAME.key into")
    .option("--days <n>", `how long it is good for (default ${CERT_DAYS})`, days, CERT_DAYS)
    .action((opts: IssueOptions) => {
      const made = issueCert(opts);
      const names = [opts.name, ...opts.dns, ...opts.ip].join(", ");
      process.stdout.write(`Wrote ${made.cert} and ${made.key} (for ${names}; good for ${opts.days} days).\n`);
    });
}
