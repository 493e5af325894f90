/** ProtonVPN over OpenVPN with port forwarding: the user name gets the `+pmp` suffix Proton requires. */
import { OPENVPN_PASSWORD, OPENVPN_USER, programOptions } from "../support/fixtures";
import { ProgramRun, runProgram } from "../../scripts/mock-engine";
import { container, env, envOf } from "../support/graph";

let run: ProgramRun;

beforeAll(async () => {
    run = await runProgram(programOptions({
        vpnType: "openvpn", wireguardPrivateKey: undefined, openvpnUser: OPENVPN_USER, openvpnPassword: OPENVPN_PASSWORD, vpnPortForwarding: true,
    }));
}, 30_000);

test("OPENVPN_USER carries +pmp exactly once, the password stays secret", () => {
    const gluetun = container(run, "gluetun");
    expect(env(gluetun, "OPENVPN_USER")).toBe(`${OPENVPN_USER}+pmp`);
    expect(envOf(gluetun).get("OPENVPN_PASSWORD")).toEqual({ value: OPENVPN_PASSWORD, secret: true });
    expect(env(gluetun, "VPN_PORT_FORWARDING")).toBe("on");
    expect(env(gluetun, "VPN_PORT_FORWARDING_UP_COMMAND")).toContain("setPreferences");
});
