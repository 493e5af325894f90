/**
 * ProtonVPN over OpenVPN without port forwarding: user and (secret) password reach Gluetun, the user name
 * has no `+pmp` suffix, and no WireGuard setting is left over.
 */
import { OPENVPN_PASSWORD, OPENVPN_USER, programOptions } from "../support/fixtures";
import { ProgramRun, readableInputs, runProgram } from "../../scripts/mock-engine";
import { container, envOf, nonSecretText } from "../support/graph";

let run: ProgramRun;

beforeAll(async () => {
    run = await runProgram(programOptions({
        vpnType: "openvpn", wireguardPrivateKey: undefined, openvpnUser: OPENVPN_USER, openvpnPassword: OPENVPN_PASSWORD,
    }));
}, 30_000);

test("Gluetun gets the OpenVPN user as is and the password as a secret", () => {
    const vars = envOf(container(run, "gluetun"));
    expect(vars.get("VPN_TYPE")?.value).toBe("openvpn");
    expect(vars.get("OPENVPN_USER")).toEqual({ value: OPENVPN_USER, secret: false });
    expect(vars.get("OPENVPN_PASSWORD")).toEqual({ value: OPENVPN_PASSWORD, secret: true });
    expect(vars.has("WIREGUARD_PRIVATE_KEY")).toBe(false);
    expect(vars.has("VPN_PORT_FORWARDING")).toBe(false);
});

test("the password appears nowhere outside a secret", () => {
    expect(JSON.stringify(run.resources.map((r) => readableInputs(r.serializedInputs, true)))).toContain(OPENVPN_PASSWORD);
    expect(run.resources.map(nonSecretText).join("\n") + JSON.stringify(run.outputs)).not.toContain(OPENVPN_PASSWORD);
});
