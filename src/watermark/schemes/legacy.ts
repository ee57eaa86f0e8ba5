/**
 * The identifier releases before the registry wrote for all three media:
 * `org.provmark.watermark.1`. It names the version-1 scheme of the file's medium; the built-in
 * version-1 schemes list it in `legacyIds`, so it is read everywhere and written nowhere.
 */
export const LEGACY_WATERMARK_ALG = 'org.provmark.watermark.1';
