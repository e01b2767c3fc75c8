/**
 * The two slots of a blue/green rotation. Each slot is an external client app (ECA) and the AppLink
 * authorization made with it; the app reads the developer name of the active slot's authorization
 * from a config var (`APPLINK_AUTH_NAME=<base>_a`). A rotation renews the idle slot and switches to
 * it, so the active slot is untouched until the app no longer uses it. With `--single-slot` both
 * slots share the one ECA: the authorizations still alternate, the certificate is swapped in place.
 */

export type SlotId = 'a' | 'b';

export interface Slot {
  id: SlotId;
  /** Developer name of the slot's AppLink authorization (the config var's value when active). */
  authorization: string;
  /** Full name of the ECA's `ExtlClntAppGlobalOauthSettings`. */
  eca: string;
}

export interface SlotPair {
  a: Slot;
  b: Slot;
  /** Both slots use the same ECA (`--single-slot`). */
  singleSlot: boolean;
}

/** The slot whose authorization the config var names, or undefined when it names neither. */
export function slotNamed(pair: SlotPair, value: string | undefined): Slot | undefined {
  if (value === pair.a.authorization) return pair.a;
  if (value === pair.b.authorization) return pair.b;
  return undefined;
}

/** The other slot. */
export function otherSlot(pair: SlotPair, slot: Slot): Slot {
  return slot.id === 'a' ? pair.b : pair.a;
}

/** `slot B (ECA AppLink_B, authorization my_org_b)`. */
export function describeSlot(slot: Slot): string {
  return `slot ${slot.id.toUpperCase()} (ECA ${slot.eca}, authorization ${slot.authorization})`;
}
