/**
 * What a rotation reports: every step with its status and what it changed, what is in effect when
 * a run stops, and how to roll back from there. The same facts make the human text, the `--json`
 * result, and the `details` of the error a failed run ends with.
 */
import type { StepId } from './state.js';
import type { Slot } from './slots.js';

/**
 * `done`: this run made the change. `already-done`: found in effect (an earlier run, resumed).
 * `planned`: `--plan`, nothing done. `skipped`: not asked for. `failed`: the run stopped here.
 * `not-reached`: after the failed step.
 */
export type StepStatus = 'done' | 'already-done' | 'planned' | 'skipped' | 'failed' | 'not-reached';

export interface StepReport {
  number: number;
  id: StepId;
  title: string;
  status: StepStatus;
  /** What the step changed (or with `--plan` would change), one sentence each; never a secret. */
  changes: string[];
  /** Why it was skipped or found done, or what it found. */
  note?: string;
}

export interface SlotJson {
  slot: 'A' | 'B';
  authorization: string;
  eca: string;
}

/** The `result` of `rotate --json` (and `details.rotation` of its errors). */
export interface RotationReport {
  app: string;
  configVar: string;
  mode: 'blue-green' | 'single-slot';
  plan: boolean;
  /** Continued a rotation recorded in `--state-dir`. */
  resumed: boolean;
  from: SlotJson;
  to: SlotJson;
  /** The new certificate's SHA-256 fingerprint (null with `--plan`). */
  certificateFingerprint: string | null;
  steps: StepReport[];
  /** Every step is done (or skipped). */
  complete: boolean;
  /** What is in effect now, outside this machine. */
  inEffect: string[];
  /** How to undo what is in effect (empty when nothing needs undoing). */
  rollback: string[];
  /** With `--single-slot`: the downtime this rotation causes. */
  downtime?: string;
}

export const STEP_TITLES: Record<StepId, string> = {
  'generate-key': 'Generate the new key pair',
  'deploy-certificate': 'Deploy the certificate to the idle slot',
  'wait-for-login': 'Wait until Salesforce accepts the new key',
  'create-authorization': 'Create the AppLink authorization of the idle slot',
  'switch-app': 'Switch the app to it',
  'update-ci': 'Update the CI secret',
  'remove-old-authorization': 'Remove the old authorization',
};

export function slotJson(slot: Slot): SlotJson {
  return { slot: slot.id === 'a' ? 'A' : 'B', authorization: slot.authorization, eca: slot.eca };
}

const MARK: Record<StepStatus, string> = {
  done: 'done',
  'already-done': 'already done',
  planned: 'planned',
  skipped: 'skipped',
  failed: 'FAILED',
  'not-reached': 'not reached',
};

/** The human text of a report. */
export function formatReport(report: RotationReport): string {
  const lines: string[] = [];
  const from = `slot ${report.from.slot} (${report.from.authorization})`;
  const to = `slot ${report.to.slot} (${report.to.authorization})`;
  if (report.plan) {
    lines.push(`Plan: rotate app ${report.app} from ${from} to ${to}, ${report.mode}. Nothing was changed.`);
  } else if (report.complete) {
    lines.push(`Rotated app ${report.app} from ${from} to ${to}: ${report.configVar}=${report.to.authorization}${report.resumed ? ' (resumed)' : ''}.`);
  } else {
    lines.push(`Rotation of app ${report.app} from ${from} to ${to} is not complete.`);
  }
  if (report.downtime) lines.push(`Downtime: ${report.downtime}`);
  lines.push('');
  for (const step of report.steps) {
    lines.push(`${step.number}. ${step.title}: ${MARK[step.status]}${step.note ? ` (${step.note})` : ''}`);
    for (const change of step.changes) lines.push(`   - ${change}`);
  }
  if (!report.plan && report.rollback.length > 0) {
    lines.push('', 'Roll back:');
    for (const line of report.rollback) lines.push(`   - ${line}`);
  }
  return lines.join('\n');
}
