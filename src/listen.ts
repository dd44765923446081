// Listening on a port, or saying in one sentence why not: a port in use is a configuration problem (exit 2), not a
// crash with a stack trace. Shared by `pixelwright http`, `gallery` and `simulator`.

import type { Server } from "node:net";
import { ConfigError } from "./errors.js";

export function listenOn(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EADDRINUSE") {
        reject(new ConfigError(`port ${port} on ${host} is already in use: stop the other server or pick --port.`));
      } else if (err.code === "EACCES") {
        reject(new ConfigError(`not allowed to listen on ${host}:${port}: pick a port above 1023 with --port.`));
      } else if (err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND") {
        reject(new ConfigError(`cannot listen on ${host}: it is not an address of this machine (--host).`));
      } else reject(err);
    });
    server.listen(port, host, () => resolve());
  });
}
