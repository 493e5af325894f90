/** "Did you mean ...?": the nearest known name to a misspelt one, for config keys, values and CLI options. */

function editDistance(a: string, b: string): number {
    const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diagonal = previous[0];
        previous[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const above = previous[j];
            previous[j] = Math.min(previous[j] + 1, previous[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
            diagonal = above;
        }
    }
    return previous[b.length];
}

/**
 * The candidate closest to `word` (case ignored), when it is close enough to be a typo of it: at most a third
 * of the word's letters differ (at least 2 edits allowed), or one is the other with letters added at the end.
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
    const lower = word.toLowerCase();
    let best: { name: string; distance: number } | undefined;
    for (const name of candidates) {
        const distance = editDistance(lower, name.toLowerCase());
        if (!best || distance < best.distance) best = { name, distance };
    }
    if (!best) return undefined;
    const close = best.distance <= Math.max(2, Math.floor(lower.length / 3));
    const prefix = lower.length >= 3 && best.name.toLowerCase().startsWith(lower);
    return close || prefix ? best.name : undefined;
}

/** A ` (did you mean X?)` hint, or "" when nothing is close. */
export function didYouMean(word: string, candidates: readonly string[], format: (name: string) => string = (n) => `\`${n}\``): string {
    const match = nearest(word, candidates);
    return match === undefined ? "" : ` (did you mean ${format(match)}?)`;
}
