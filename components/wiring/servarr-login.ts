/**
 * The forms login of a Servarr app (Sonarr, Radarr, Lidarr, Prowlarr). The program starts them with
 * `<APP>__AUTH__METHOD=Forms` and `__AUTH__REQUIRED=Enabled`, but that creates no user, and a login with no user
 * always fails (`UserService.FindUser` in src/NzbDrone.Core/Authentication/UserService.cs finds none). The host
 * config endpoint upserts the single user: `GET config/host` (the resource, with `password` = the stored hash),
 * then `PUT config/host/{id}` of that whole resource with `username`, `password` and `passwordConfirmation` set
 * (`HostConfigController.SaveHostConfig` calls `_userService.Upsert`).
 *
 * Whether the login works is checked the way a person signs in: `POST /login` (form `username`, `password`)
 * answers a redirect, to `/login?...loginFailed=true` when refused (`AuthenticationController.Login`). So a
 * password changed in the UI shows as drift, and the next `pulumi up` puts the program's back.
 */
import * as pulumi from "@pulumi/pulumi";
import { AppClient, WiringError } from "./core/client";
import { WiringBaseInputs, WiringImplementation, wiringProvider, wiringSecretOutputs } from "./core/provider";
import { WiringResource } from "./core/resource";
import type { AppAddress, AppConnection } from "./core/types";
import { WIRING_VERSION } from "./core/version";

export type ServarrLoginApp = "sonarr" | "radarr" | "lidarr" | "prowlarr";

/** API prefix and title of each app (Sonarr/Radarr `/api/v3`, Lidarr/Prowlarr `/api/v1`). */
export const SERVARR_LOGIN_APPS: Readonly<Record<ServarrLoginApp, { title: string; prefix: string }>> = {
    sonarr: { title: "Sonarr", prefix: "/api/v3" },
    radarr: { title: "Radarr", prefix: "/api/v3" },
    lidarr: { title: "Lidarr", prefix: "/api/v1" },
    prowlarr: { title: "Prowlarr", prefix: "/api/v1" },
};

export interface ServarrLoginInputs extends WiringBaseInputs {
    app: ServarrLoginApp;
    /** The app's API key (secret). */
    apiKey: string;
    username: string;
    /** The generated password (secret). */
    password: string;
}

export interface ServarrLoginObserved {
    /** The user the app holds ("" when none: nobody can sign in). */
    username: string;
    authenticationMethod: string;
    /** Whether `POST /login` with the program's username and password is accepted. */
    loginAccepted: boolean;
}

type HostConfig = Record<string, unknown> & { id: number; username?: string; authenticationMethod?: string };

function hostConfigPath(inputs: ServarrLoginInputs): string {
    return `${SERVARR_LOGIN_APPS[inputs.app].prefix}/config/host`;
}

async function readHostConfig(c: AppClient, inputs: ServarrLoginInputs): Promise<HostConfig> {
    return c.json<HostConfig>("read host settings", { method: "GET", path: hostConfigPath(inputs), headers: { "X-Api-Key": inputs.apiKey } });
}

/** AuthenticationController.Login: a redirect either way; refused ones go to `login?...&loginFailed=true`. */
async function loginAccepted(c: AppClient, inputs: ServarrLoginInputs): Promise<boolean> {
    const res = await c.call("sign in", { method: "POST", path: "/login", form: { username: inputs.username, password: inputs.password } }, [200, 302, 303, 307]);
    const location = String(res.headers.location ?? "");
    return res.status !== 200 && location !== "" && !/loginFailed=true/i.test(location);
}

async function observe(c: AppClient, inputs: ServarrLoginInputs): Promise<ServarrLoginObserved> {
    const host = await readHostConfig(c, inputs);
    return {
        username: String(host.username ?? ""),
        authenticationMethod: String(host.authenticationMethod ?? ""),
        loginAccepted: await loginAccepted(c, inputs),
    };
}

function matches(inputs: ServarrLoginInputs, o: ServarrLoginObserved): boolean {
    // UserService.Add/Upsert store the name lower-cased.
    return o.loginAccepted && o.username === inputs.username.toLowerCase() && o.authenticationMethod.toLowerCase() === "forms";
}

async function converge(c: AppClient, inputs: ServarrLoginInputs, observed: ServarrLoginObserved | undefined, created: string[]) {
    const held = observed ?? await observe(c, inputs);
    if (!matches(inputs, held)) {
        const current = await readHostConfig(c, inputs);
        await c.call("set the login", {
            method: "PUT",
            path: `${hostConfigPath(inputs)}/${current.id}`,
            headers: { "X-Api-Key": inputs.apiKey },
            json: {
                ...current,
                authenticationMethod: "forms",
                authenticationRequired: "enabled",
                username: inputs.username,
                password: inputs.password,
                passwordConfirmation: inputs.password,
            },
        }, [200, 202]);
    }
    const state = await observe(c, inputs);
    if (!state.loginAccepted) {
        throw new WiringError(c.app, c.address, "sign in", `the app still refuses user ${inputs.username} after the login was set`, false);
    }
    // Nothing is removed on destroy: taking away the only login would lock the user out of the app.
    return { state, created };
}

export const servarrLoginImplementation: WiringImplementation<ServarrLoginInputs, ServarrLoginObserved> = {
    app: "Servarr",
    appOf: (inputs) => SERVARR_LOGIN_APPS[inputs.app]?.title ?? "Servarr",
    check: (inputs) => [
        ...(SERVARR_LOGIN_APPS[inputs.app] ? [] : [`app must be one of ${Object.keys(SERVARR_LOGIN_APPS).join(", ")}`]),
        ...(inputs.username && inputs.password ? [] : ["username and password must not be empty"]),
    ],
    ready: { req: { method: "GET", path: "/ping" }, expect: [200] },
    observe,
    converge,
    remove: async () => undefined,
    matches,
    refreshedInputs: (inputs, o) => ({ ...inputs, username: o.username }),
    secretOutputs: ["apiKey", "password"],
};

const servarrLoginProvider = wiringProvider(servarrLoginImplementation);

export interface ServarrLoginArgs {
    app: ServarrLoginApp;
    connection: pulumi.Input<AppConnection>;
    /** The app as the provider reaches it. */
    address: pulumi.Input<AppAddress>;
    apiKey: pulumi.Input<string>;
    username: pulumi.Input<string>;
    password: pulumi.Input<string>;
    readyTimeoutSeconds?: pulumi.Input<number>;
}

/** The app's single forms user, with the program's generated password. Destroy leaves it in place. */
export class ServarrLogin extends WiringResource {
    declare public readonly observed: pulumi.Output<ServarrLoginObserved | null>;
    declare public readonly created: pulumi.Output<string[]>;

    constructor(name: string, args: ServarrLoginArgs, opts?: pulumi.CustomResourceOptions) {
        super("servarr-login", servarrLoginProvider, name, { ...args, providerVersion: WIRING_VERSION, observed: undefined, created: undefined }, {
            ...opts,
            additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...wiringSecretOutputs(servarrLoginImplementation)],
        });
    }
}
