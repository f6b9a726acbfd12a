/** Errors of a cluster's TLS setup (docs/tls.md). */
import { defineError } from "@lux/protocol";

/** The TLS files given are incomplete or cannot be used: some of the three only, or one that cannot be read or parsed. */
export const TlsConfigError = defineError(
  "LUX_TLS_CONFIG",
  "TlsConfigError",
  (f: {
    /** What is wrong, naming the file or the missing setting. */
    readonly reason: string;
  }) =>
    `TLS is not usable: ${f.reason}. Give all three of --tls-cert, --tls-key and --tls-ca (or LUX_TLS_CERT, LUX_TLS_KEY, LUX_TLS_CA; ` +
    "config tlsCert, tlsKey, tlsCa), or none for plaintext; `lux cert` makes them (see docs/tls.md).",
);
export type TlsConfigError = InstanceType<typeof TlsConfigError>;
