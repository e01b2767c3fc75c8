/** What the orb validator reports: one problem, where it is, and which rule found it. */
import { formatPath, type OrbPath } from './tree.js';

export interface Finding {
  /** `schema`, a semantic check (`enum-default`, ...), or a review rule (`RC001`...). */
  rule: string;
  /** The file the problem is in (the orb source file when known). */
  file: string;
  /** Where in the (packed) document. */
  path: OrbPath;
  message: string;
}

/** One line per finding: `file: path: message [rule]`. */
export function formatFinding(finding: Finding): string {
  return `${finding.file}: ${formatPath(finding.path)}: ${finding.message} [${finding.rule}]`;
}
