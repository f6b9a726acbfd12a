/**
 * The HTTP proxy actor: one per node, detached and named after its node, so it keeps
 * serving while the controller is down (its route table and routers keep their last state).
 * Made remote while this module is evaluated, so workers find the class by importing it.
 */
import * as lux from "lux";
import { routers } from "./routers.js";
import { ProxyServer } from "./proxy-server.js";
import { LONG_POLL_ROUTES_KEY, type CompiledHttpOptions, type RouteTable } from "./specs.js";

export interface ProxyInit {
  nodeId: string;
  http: CompiledHttpOptions;
}

export class ServeProxy {
  private server: ProxyServer | undefined;
  private url: string | undefined;
  private registration: lux.util.listeners.ListenerRegistration | undefined;

  constructor(private readonly init: ProxyInit) {}

  /** Listens (once); resolves with where, and this process. */
  async start(): Promise<{ url: string; pid: number }> {
    if (this.url === undefined) {
      const server = new ProxyServer(this.init.http);
      this.server = server;
      routers().poll.subscribe(LONG_POLL_ROUTES_KEY, (table) => server.setRoutes(table as RouteTable));
      try {
        this.url = await server.listen();
      } catch (e) {
        this.server = undefined;
        throw e;
      }
      // Listed by `lux status --listeners` with Lux's own ports.
      this.registration = await lux.util.listeners.register("serve: HTTP proxy", this.url);
      if (!isLoopback(this.init.http.host)) {
        const tls = this.init.http.ssl === undefined ? ", and no TLS (give http.sslCertfile and http.sslKeyfile)" : "";
        console.warn(
          `[serve] the HTTP proxy listens on ${this.url}, beyond this machine: it has no authentication (it is your application's ` +
            `front door, as any web server's)${tls}. Put it behind a gateway that authenticates if the network is not trusted.`,
        );
      }
    }
    return { url: this.url, pid: process.pid };
  }

  checkHealth(): { pid: number } {
    if (this.server === undefined) throw new TypeError("the proxy is not listening");
    return { pid: process.pid };
  }

  async stop(): Promise<void> {
    await this.server?.app.close();
    this.server = undefined;
    await this.registration?.remove().catch(() => undefined);
    this.registration = undefined;
  }
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

export const ProxyActor = lux.remote(ServeProxy);
