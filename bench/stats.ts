/** Medians with their spread, as every table of the report shows them. */

export interface Stat {
    median: number;
    min: number;
    max: number;
    n: number;
}

export function stat(xs: number[]): Stat {
    if (!xs.length) return { median: NaN, min: NaN, max: NaN, n: 0 };
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
    return { median, min: s[0], max: s[s.length - 1], n: s.length };
}

export function show(s: Stat, digits = 1, unit = ""): string {
    if (!s.n) return "none answered";
    const v = (x: number) => x.toFixed(digits) + unit;
    return s.n > 1 ? `${v(s.median)} (${v(s.min)}–${v(s.max)}, n=${s.n})` : `${v(s.median)} (n=1)`;
}
