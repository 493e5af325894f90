/** What `parseConfig` says about a stack's settings, for the config suites. */
import { ConfigError, parseConfig, SecretSetting } from "../../components/config";
import { rawConfig } from "./fixtures";

/** Every key counts as stored with --secret. */
export const allSecret = (): boolean => true;

/** The problems `parseConfig` reports for these settings (fails the test if it accepts them). */
export function problemsOf(overrides: Record<string, unknown>, isSecret: (k: SecretSetting) => boolean = allSecret): string[] {
    try {
        parseConfig(rawConfig(overrides), isSecret);
    } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).problems;
    }
    throw new Error(`config was accepted: ${JSON.stringify(overrides)}`);
}
