/**
 * A loopback TCP port that was free a moment ago: listen on port 0, read the port the kernel
 * chose, close. For a process that must be told its port before it starts (sshd, PostgreSQL,
 * the services API, `npm start`'s web copies), or for an address where nothing listens. Another
 * process may take the port in between, rarely enough for tests and benches.
 */
import { createServer, type AddressInfo } from "node:net";

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
