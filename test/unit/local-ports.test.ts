import { createServer, type Server } from "node:net";
import { describe, expect, it } from "vitest";
import { assertPortsFree, explainStartError, type LocalPorts, readPorts } from "../../scripts/local/ports.js";

describe("npm start's ports (scripts/local/ports.ts)", () => {
  it("reads every port variable, with the documented defaults", () => {
    // Act
    const ports = readPorts({ LINKUS_PORT: "9111" });

    // Assess
    expect(ports).toEqual({
      PORT: 8080,
      SIP_PORT: 5060,
      LINKUS_PORT: 9111,
      HEALTH_PORT: 8081,
      DYNAMODB_PORT: 8000,
      SES_PORT: 8005,
    });
  });

  it.each(["abc", "0", "65536", "80.5", ""])("refuses SIP_PORT=%s naming the variable", (value) => {
    expect(() => readPorts({ SIP_PORT: value })).toThrow(`SIP_PORT=${value} is not a port number (1-65535)`);
  });

  it("names the variable of a port taken on loopback, and skips the emulators' ports with an external endpoint", async () => {
    // Arrange: distinct free ports for every variable, and DYNAMODB_PORT's held by another server
    const servers = await Promise.all(Array.from({ length: 6 }, () => listening()));
    const [api, sip, linkus, health, dynamo, ses] = servers.map(
      (server) => (server.address() as { port: number }).port,
    );
    await Promise.all(servers.slice(0, 4).map(close));
    await close(servers[5] as Server);
    const ports = {
      PORT: api,
      SIP_PORT: sip,
      LINKUS_PORT: linkus,
      HEALTH_PORT: health,
      DYNAMODB_PORT: dynamo,
      SES_PORT: ses,
    } as LocalPorts;

    try {
      // Act + Assess (one after the other: both bind the same ports)
      await expect(assertPortsFree(ports, { emulators: true })).rejects.toThrow(
        `Port ${dynamo} (DYNAMODB_PORT, DynamoDB Local) is already in use: stop what runs there or set DYNAMODB_PORT to a free port`,
      );
      await expect(assertPortsFree(ports, { emulators: false })).resolves.toBeUndefined();
    } finally {
      await close(servers[4] as Server);
    }
  });

  it("turns an address in use of a later step into the variable to change", () => {
    // Arrange
    const error = Object.assign(new Error("listen EADDRINUSE"), { code: "EADDRINUSE", port: 8111 });

    // Act
    const message = explainStartError(error, readPorts({}));

    // Assess
    expect(message).toBe(
      "Port 8111 (LINKUS_PORT, the Linkus channel) is already in use: stop what runs there or set LINKUS_PORT to a free port",
    );
  });
});

function listening(): Promise<Server> {
  return new Promise((done) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => done(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((done) => server.close(() => done()));
}
