/**
 * The CA certificates a build trusts besides Debian's own (`buildCaCertificates`): a PEM file read at
 * preview, checked, and handed to the base image's build, which adds them to the image's trust store.
 */
import * as fs from "fs";
import { key } from "./names";
import { shown } from "./reader";

/** Most bytes of certificates: a proxy's or a company's, not a whole system bundle (and a build argument stays small). */
export const MAX_CA_BYTES = 64 * 1024;

const CERTIFICATE = /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----/g;

/** The certificates of the PEM file at `file` (only the certificates, one after the other), or why they cannot be used. */
export function readCaCertificates(file: string): { pem: string } | { problem: string } {
    const setting = key("buildCaCertificates");
    let text: string;
    try {
        const stat = fs.statSync(file);
        if (!stat.isFile()) return { problem: `${setting} must name a PEM file of CA certificates; got ${shown(file)}, which is not a file.` };
        if (stat.size > MAX_CA_BYTES) {
            return {
                problem:
                    `${setting} must name a PEM file of at most ${MAX_CA_BYTES / 1024} KiB: your proxy's or company's CA certificates, ` +
                    `not a whole system bundle (the images trust Debian's own already); got ${shown(file)} of ${stat.size} bytes.`,
            };
        }
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        return { problem: `${setting} must name a readable PEM file of CA certificates; got ${shown(file)} (${(e as NodeJS.ErrnoException).code ?? e}).` };
    }
    const certificates = text.match(CERTIFICATE) ?? [];
    if (!certificates.length) {
        return { problem: `${setting} must name a PEM file holding at least one "-----BEGIN CERTIFICATE-----" block; got ${shown(file)}, which holds none.` };
    }
    return { pem: certificates.map(c => c.replace(/\r\n/g, "\n")).join("\n") + "\n" };
}
