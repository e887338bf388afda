/**
 * Zip archives opened with a budget: the entry count and each entry's declared inflated size are
 * checked before anything is inflated (fflate inflates an entry into a buffer of its declared
 * size), so a small zip that would inflate to gigabytes is refused with a message instead of
 * freezing the tab.
 */
import { unzipSync } from 'fflate';

export interface ZipLimits {
  /** Most entries. */
  files: number;
  /** Most bytes inflated, all entries together. */
  totalBytes: number;
}

/** Real-data imports: 20,000 files, 2 GB inflated. */
export const REAL_DATA_ZIP: ZipLimits = { files: 20_000, totalBytes: 2e9 };
/** Model bundles: three files of a network at most a few hundred MB. */
export const MODEL_ZIP: ZipLimits = { files: 16, totalBytes: 1e9 };

const gb = (bytes: number) => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`);

/** The archive's files (folders left out), or an error saying which limit it breaks or that it is no zip. */
export function unzipBounded(bytes: Uint8Array, name: string, limits: ZipLimits): Record<string, Uint8Array> {
  let count = 0, total = 0;
  let broken = '';
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (file) => {
        if (file.name.endsWith('/')) return false;
        count++;
        total += file.originalSize;
        if (!broken && count > limits.files) broken = `${name} holds more than ${limits.files.toLocaleString('en')} files; split it into smaller zips.`;
        if (!broken && total > limits.totalBytes) broken = `${name} would inflate to more than ${gb(limits.totalBytes)} (it says ${gb(total)} or more); split it into smaller zips.`;
        return !broken;
      },
    });
  } catch {
    throw new Error(`${name} is not a readable zip file.`);
  }
  if (broken) throw new Error(broken);
  return Object.fromEntries(Object.entries(files).map(([entry, data]) => [utf8Name(entry), data]));
}

/**
 * fflate reads a name as Latin-1 unless the zip flags it UTF-8, and Info-ZIP (zip on Linux and
 * macOS) stores UTF-8 names without the flag: "Körner" came out "KÃ¶rner". A name that is valid
 * UTF-8 read byte for byte is taken as that; any other stays as read.
 */
function utf8Name(name: string): string {
  if (!/[\x80-\xff]/.test(name) || /[^\x00-\xff]/.test(name)) return name;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(name, (c) => c.charCodeAt(0)));
  } catch {
    return name;
  }
}
