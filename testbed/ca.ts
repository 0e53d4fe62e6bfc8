/**
 * This machine's own CA certificates beyond Debian's (those in /usr/local/share/ca-certificates, such as
 * a TLS-intercepting proxy's), as a `buildCaCertificates` file for the images the tests build: what a
 * user behind such a proxy sets. None on a machine without any.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const LOCAL_CERTIFICATES = "/usr/local/share/ca-certificates";
let written: string | undefined;

/** The settings that make the builds trust this machine's own certificates: `{ buildCaCertificates: FILE }`, or none. */
export function machineCaSettings(): Record<string, string> {
    if (written === undefined) {
        const files = fs.existsSync(LOCAL_CERTIFICATES) ? fs.readdirSync(LOCAL_CERTIFICATES).filter(f => f.endsWith(".crt")) : [];
        written = "";
        if (files.length) {
            written = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ipp-machine-ca-")), "ca.pem");
            fs.writeFileSync(written, files.map(f => fs.readFileSync(path.join(LOCAL_CERTIFICATES, f), "utf8")).join("\n"));
        }
    }
    return written ? { buildCaCertificates: written } : {};
}
