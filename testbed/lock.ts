/** The pypi stack's lock, as the images install it: the version of a package in it. */
import * as fs from "fs";
import * as path from "path";

const LOCK = path.resolve(__dirname, "../images/base/python/requirements.txt");

/** The version the lock pins `name` to; throws when it has none. */
export function lockedVersion(name: string): string {
    const m = new RegExp(`^${name.replace(/[-_.]/g, "[-_.]")}==([^ ;\\\\\\n]+)`, "im").exec(fs.readFileSync(LOCK, "utf8"));
    if (!m) throw new Error(`the lock pins no ${name}`);
    return m[1];
}
