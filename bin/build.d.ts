// Types of bin/build.js (plain JavaScript: it runs before anything is compiled), for the tests
// and benchmarks that call it.

/** The repository bin/build.js belongs to. */
export declare const REPO: string
/** Paths of the bundle under `root` (default REPO). */
export declare function bundlePaths (root?: string): { dir: string, main: string, polyfill: string }
/** A hash of what every source file under `root` looks like on disk now. */
export declare function sourceFingerprint (root?: string): string
/** The fingerprint the bundle under `root` was built from, or null when there is none. */
export declare function bundleFingerprint (root?: string): string | null
/** True when the bundle under `root` was built from the sources as they are now. */
export declare function isBundleFresh (root?: string): boolean
/** Build the bundle under `root` (atomically: temp files renamed into place). */
export declare function buildBundle (root?: string): Promise<void>
/** The first line of a build error, for a one-line notice. */
export declare function describeBuildError (err: unknown): string
