/** A loopback gate that holds tasks (the `held` fixture) until it is closed, for placement tests. */
import * as net from "node:net";
import { waitFor } from "./helpers.js";

/** Holds tasks on loopback until released: `arrived` lists the node of each task that got there. */
export class Gate {
  readonly arrived: string[] = [];
  private readonly sockets: net.Socket[] = [];
  private constructor(private readonly server: net.Server) {}

  static async open(): Promise<Gate> {
    const server = net.createServer();
    const gate = new Gate(server);
    server.on("connection", (socket) => {
      gate.sockets.push(socket);
      socket.setEncoding("utf8");
      let text = "";
      socket.on("data", (chunk: string) => {
        text += chunk;
        if (text.endsWith("\n")) gate.arrived.push(text.trim());
      });
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return gate;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  waitArrived(n: number): Promise<void> {
    return waitFor(() => this.arrived.length >= n, `${n} held tasks to be running (${this.arrived.length} are)`);
  }

  /** Lets every held task finish, and stops the gate (again: nothing more happens). */
  async close(): Promise<void> {
    for (const s of this.sockets) s.end("go");
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
