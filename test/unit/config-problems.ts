/**
 * What `parseConfig` refuses in a stack's settings: its problems, each a message for the user.
 */
import * as assert from "assert";
import { parseConfig } from "../../lib/config";
import { ConfigError } from "../../lib/reader";

/** The problems parseConfig finds in `raw` (none when it accepts it); anything but a ConfigError fails the test. */
export function problemsOf(raw: Record<string, string>): string[] {
    try {
        parseConfig(raw, "dev");
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
        return (e as ConfigError).problems;
    }
    return [];
}
