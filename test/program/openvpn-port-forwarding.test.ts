/** ProtonVPN over OpenVPN with port forwarding: the user name gets the `+pmp` suffix Proton requires. */
import { OPENVPN_PASSWORD, OPENVPN_USER, programOptions } from "../support/fixtures";
import { ProgramRun, runProgram } from "../../scripts/mock-engine";
import { container, env, envOf } from "../support/graph";
import { GLUETUN_VARIABLES } from "../support/expected";

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

test("every variable set on the gateway is one the pinned Gluetun reads", () => {
    const names = [...envOf(container(run, "gluetun")).keys()];
    expect(names).toEqual(expect.arrayContaining(["OPENVPN_USER", "OPENVPN_PASSWORD", "VPN_PORT_FORWARDING_UP_COMMAND", "VPN_PORT_FORWARDING_DOWN_COMMAND"]));
    expect(names.filter((name) => !(name in GLUETUN_VARIABLES))).toEqual([]);
});
