import { useQuery } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { call } from "../../api/client";
import { useSession } from "../../api/session";
import {
  answer,
  type CallView,
  dial,
  dismissCall,
  dismissProblem,
  hangUp,
  reject,
  sendDigit,
  startPhone,
  toggleHold,
  toggleMute,
  transfer,
  usePhone,
} from "./softphone";

const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];

const REGISTRATION_TEXT = {
  off: "Phone off",
  connecting: "Phone connecting…",
  registered: "Phone ready",
  failed: "Phone not registered",
} as const;

/**
 * The softphone panel beside every Web Client page: registration state, a keypad to dial, the
 * ringing notice with Answer and Decline, and the controls of the call in progress.
 */
export function PhonePanel() {
  const session = useSession();
  const sip = session?.sip;
  const number = session?.principal.extension.number ?? "";
  const name = number;
  const iceServers = sip?.iceServers;
  // The deployment may send browser media through TURN only (ICE_TRANSPORT_POLICY=relay).
  const clientConfig = useQuery({
    queryKey: ["client-config"],
    queryFn: () => call("meta.clientConfig"),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const configured = !clientConfig.isPending;
  const iceTransportPolicy = clientConfig.data?.iceTransportPolicy ?? "all";
  useEffect(() => {
    if (!sip || !configured) return;
    return startPhone({ sip, number, displayName: name, iceServers: iceServers ?? [], iceTransportPolicy });
  }, [sip, number, name, iceServers, configured, iceTransportPolicy]);
  const phone = usePhone();
  if (!sip) return null;
  return (
    <section className="phone" aria-label="Phone">
      <p className={`phone-state phone-${phone.registration}`} role="status">
        {REGISTRATION_TEXT[phone.registration]}
      </p>
      {phone.problem && (
        <div className="banner banner-error" role="alert">
          {phone.problem}{" "}
          <button type="button" className="button-quiet" onClick={dismissProblem}>
            Dismiss
          </button>
        </div>
      )}
      {phone.call ? (
        <CallControls call={phone.call} />
      ) : session?.principal.menus.dial_pad === false ? (
        // A Menu Visibility rule hides the Dial Pad: calls still ring here and can be answered.
        <p className="muted">The dial pad is hidden for you by a Linkus permission rule; calls still ring here.</p>
      ) : (
        <Dialer disabled={phone.registration !== "registered"} />
      )}
    </section>
  );
}

function Dialer({ disabled }: { disabled: boolean }) {
  const [target, setTarget] = useState("");
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void dial(target).then((ok) => ok && setTarget(""));
  };
  return (
    <form className="dialer" onSubmit={onSubmit}>
      <label>
        Number to call
        <input value={target} inputMode="tel" autoComplete="off" onChange={(e) => setTarget(e.target.value)} />
      </label>
      <Keypad onKey={(key) => setTarget((value) => value + key)} label="Keypad" />
      <button type="submit" disabled={disabled || target.trim() === ""}>
        Call
      </button>
    </form>
  );
}

function Keypad({ onKey, label }: { onKey: (key: string) => void; label: string }) {
  return (
    <fieldset className="keypad">
      <legend className="keypad-legend">{label}</legend>
      {KEYS.map((key) => (
        <button key={key} type="button" aria-label={`Key ${key}`} onClick={() => onKey(key)}>
          {key}
        </button>
      ))}
    </fieldset>
  );
}

function CallControls({ call }: { call: CallView }) {
  const [transferTo, setTransferTo] = useState("");
  const [showKeys, setShowKeys] = useState(false);
  const peer = call.peerName ? `${call.peerName} (${call.peer})` : call.peer;
  if (call.phase === "ringing" && call.direction === "inbound") {
    return (
      <div className="ringing" role="alertdialog" aria-label={`Incoming call from ${peer}`}>
        <p>Incoming call from {peer}</p>
        <button type="button" onClick={() => void answer()}>
          Answer
        </button>
        <button type="button" className="button-danger" onClick={reject}>
          Decline
        </button>
      </div>
    );
  }
  if (call.phase === "ended") {
    return (
      <div className="call" role="status">
        <p>
          Call with {peer} ended{call.note ? `: ${call.note}` : ""}
        </p>
        <button type="button" className="button-quiet" onClick={dismissCall}>
          Close
        </button>
      </div>
    );
  }
  const text = call.phase === "calling" ? `Calling ${peer}…` : `On a call with ${peer}${call.held ? " (on hold)" : ""}`;
  return (
    <div className="call">
      <p role="status">{text}</p>
      {call.note && <p role="status">{call.note}</p>}
      {call.phase === "connected" && (
        <>
          <button type="button" aria-pressed={call.muted} onClick={toggleMute}>
            {call.muted ? "Unmute" : "Mute"}
          </button>
          <button type="button" aria-pressed={call.held} onClick={toggleHold}>
            {call.held ? "Resume" : "Hold"}
          </button>
          <button type="button" aria-expanded={showKeys} onClick={() => setShowKeys(!showKeys)}>
            Keypad
          </button>
          {showKeys && <Keypad onKey={sendDigit} label="Send tones" />}
          <form
            className="transfer"
            onSubmit={(event) => {
              event.preventDefault();
              transfer(transferTo);
            }}
          >
            <label>
              Transfer to
              <input value={transferTo} inputMode="tel" onChange={(e) => setTransferTo(e.target.value)} />
            </label>
            <button type="submit" disabled={transferTo.trim() === ""}>
              Transfer
            </button>
          </form>
        </>
      )}
      <button type="button" className="button-danger" onClick={hangUp}>
        Hang up
      </button>
    </div>
  );
}

/** A "Call" button for a number shown elsewhere (contacts, call logs). */
export function CallButton({ number, name }: { number: string; name?: string | undefined }) {
  const phone = usePhone();
  const session = useSession();
  if (!session?.sip || !number) return null;
  return (
    <button
      type="button"
      className="button-quiet call-button"
      aria-label={`Call ${name ? `${name} ` : ""}${number}`}
      disabled={phone.registration !== "registered" || Boolean(phone.call && phone.call.phase !== "ended")}
      onClick={() => void dial(number)}
    >
      Call
    </button>
  );
}
