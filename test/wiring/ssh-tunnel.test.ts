/**
 * The core client's SSH tunnel against a real sshd: requests travel in a direct-tcpip channel straight to the
 * app's address (the app sees its own address as Host), and parallel deploys survive sshd dropping
 * handshakes (MaxStartups).
 */
import * as http from "http";
import { withClient } from "../../components/wiring/core/client";
import { AppAddress, AppConnection } from "../../components/wiring/core/types";
import { TestSshd, startSshd } from "../support/sshd";

let sshd: TestSshd;
let server: http.Server;
let address: AppAddress;
const seen: { host?: string; remote?: string }[] = [];

beforeAll(async () => {
    // One handshake at a time: a second one arriving meanwhile is dropped.
    sshd = await startSshd({ maxStartups: "1" });
    server = http.createServer((req, res) => {
        seen.push({ host: req.headers.host, remote: req.socket.remoteAddress });
        res.end("pong");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    address = { host: "127.0.0.1", port: (server.address() as { port: number }).port, basePath: "" };
}, 30_000);

afterAll(async () => {
    await sshd?.stop();
    await new Promise((resolve) => server?.close(resolve));
});

function connection(): AppConnection {
    return { kind: "ssh", host: sshd.host, port: sshd.port, user: sshd.user, hostKey: sshd.hostKey, privateKey: sshd.privateKey };
}

describe("SSH tunnel", () => {
    it("sends each request down an SSH channel to the app's own address, which it sees as Host", async () => {
        seen.length = 0;
        const text = await withClient("Demo", connection(), address, async (c) => {
            await c.call("ping", { method: "GET", path: "/ping" });
            return (await c.call("ping", { method: "GET", path: "/ping" })).text;
        });
        expect(text).toBe("pong");
        expect(seen).toEqual([{ host: `127.0.0.1:${address.port}`, remote: "127.0.0.1" }, { host: `127.0.0.1:${address.port}`, remote: "127.0.0.1" }]);
        // One SSH connection per client, however many requests.
        expect((sshd.log().match(/Accepted publickey/g) ?? []).length).toBe(1);
    });

    it("connects even when sshd drops handshakes of parallel deploys", async () => {
        const results = await Promise.all([1, 2].map(() => withClient("Demo", connection(), address, (c) => c.call("ping", { method: "GET", path: "/ping" }))));
        expect(results.map((r) => r.text)).toEqual(["pong", "pong"]);
        expect(sshd.log()).toMatch(/drop connection #\d+ from \[127\.0\.0\.1\]:\d+ on \[127\.0\.0\.1\]:\d+ past MaxStartups|beginning MaxStartups throttling/);
    });
});
