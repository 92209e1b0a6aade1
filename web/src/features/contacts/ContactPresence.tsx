/**
 * A colleague's presence on a company contact's card: when one of the contact's numbers is an
 * extension of this PBX, the 8111 presence feed (which also drives the colleagues list) says
 * whether that colleague is available, on a call or offline, live.
 */
import { useMemo } from "react";
import { type Colleague, type PresenceState, useChannel } from "../../api/linkus";

export const PRESENCE_NAMES: Record<PresenceState, string> = {
  registered: "Available",
  unregistered: "Offline",
  on_call: "On a call",
};

/** Colleagues by extension number (digits only, so "20 01" on a card still finds 2001). */
function useColleaguesByNumber(): Map<string, Colleague> {
  const { colleagues } = useChannel();
  return useMemo(
    () => new Map(Object.values(colleagues).flatMap((c) => (c.number ? [[digits(c.number), c] as const] : []))),
    [colleagues],
  );
}

const digits = (value: string) => value.replace(/\D/g, "");

export function ContactPresence({ numbers }: { numbers: ReadonlyArray<{ number: string }> }) {
  const byNumber = useColleaguesByNumber();
  const colleague = numbers.map((n) => byNumber.get(digits(n.number))).find((c) => c !== undefined);
  if (!colleague) return null;
  return (
    <span className="card-presence">
      <span className={`dot dot-${colleague.state}`} aria-hidden="true" />
      {PRESENCE_NAMES[colleague.state]} · extension {colleague.number}
    </span>
  );
}
