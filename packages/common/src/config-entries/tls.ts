import { defineConfig } from "../config-define.js";

/**
 * TLS between the processes of a cluster (docs/tls.md): the three files together, or none.
 * Read once by each process when it opens its connections; workers inherit their raylet's.
 * Each process's own: a driver never takes them from the control service (config.ts, OWN_ENTRIES).
 */
export const TLS_ENTRIES = [
  defineConfig({
    name: "tlsCert",
    type: "string",
    default: "",
    doc: "This process's certificate (PEM), signed by the cluster's CA and naming the node's address (`lux cert issue`; `lux start --tls-cert`, LUX_TLS_CERT for drivers). With tlsKey and tlsCa set too, every TCP connection between Lux processes and the HTTP servers (dashboard, jobs API, `/metrics`) use TLS 1.3 with both sides' certificates checked against the CA. Empty: plaintext (each daemon bound to a non-loopback address warns). Each process's own: a driver does not take the control service's.",
  }),
  defineConfig({
    name: "tlsKey",
    type: "string",
    default: "",
    doc: "The private key (PEM) of tlsCert (`lux start --tls-key`, LUX_TLS_KEY). Keep it readable by the cluster's user only.",
  }),
  defineConfig({
    name: "tlsCa",
    type: "string",
    default: "",
    doc: "The cluster's CA certificate (PEM) that every peer's certificate must be signed by (`lux cert create-ca`; `lux start --tls-ca`, LUX_TLS_CA).",
  }),
] as const;
