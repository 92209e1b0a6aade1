/**
 * The Web Client's softphone: a JsSIP user agent registered over SIP WebSocket (RFC 7118) with
 * the session's SIP credentials from the login answer, and the one call it handles at a time.
 * State lives here (useSyncExternalStore), the components only render it and call the actions.
 * JsSIP itself is a chunk of its own, fetched when the phone first starts (after sign-in), so the
 * login page and a quick-login link load without it (docs/benchmarks.md, Web app).
 */
import type { UA } from "jssip";
import type { RTCSession } from "jssip/lib/RTCSession";
import type { RTCSessionEvent } from "jssip/lib/UA";
import { useSyncExternalStore } from "react";
import type { SipCredentials } from "../../api/session";
import { openMicrophone } from "./media-errors";

export type Registration = "off" | "connecting" | "registered" | "failed";
export type CallPhase = "ringing" | "calling" | "connected" | "ended";

export interface CallView {
  direction: "inbound" | "outbound";
  peer: string;
  peerName: string | undefined;
  phase: CallPhase;
  muted: boolean;
  held: boolean;
  /** Why it ended, or a transfer's outcome, in words. */
  note: string | undefined;
  answeredAt: number | undefined;
}

export interface PhoneState {
  registration: Registration;
  /** A registration failure or microphone problem to explain. */
  problem: string | undefined;
  call: CallView | undefined;
}

export interface PhoneIdentity {
  sip: SipCredentials;
  number: string;
  displayName: string;
  iceServers: RTCIceServer[];
  /** `relay`: TURN relay candidates only (the deployment's ICE_TRANSPORT_POLICY). */
  iceTransportPolicy: RTCIceTransportPolicy;
}

let state: PhoneState = { registration: "off", problem: undefined, call: undefined };
const listeners = new Set<() => void>();
type JsSip = typeof import("jssip");
let jssip: JsSip | undefined;
let loading: Promise<JsSip> | undefined;
/** Counts starts and stops, so an agent whose JsSIP arrives after a stop or a restart is never made. */
let generation = 0;
let ua: UA | undefined;
let session: RTCSession | undefined;
let identity: PhoneIdentity | undefined;
/** Plays the other side; created once, outside React, so a re-render never interrupts it. */
const remoteAudio = typeof Audio === "undefined" ? undefined : new Audio();
if (remoteAudio) remoteAudio.autoplay = true;

function set(next: Partial<PhoneState>): void {
  state = { ...state, ...next };
  for (const listener of listeners) listener();
}

function setCall(next: Partial<CallView>): void {
  if (state.call) set({ call: { ...state.call, ...next } });
}

/**
 * The tab's +sip.instance (RFC 5626): kept in sessionStorage, so a reload registers as the same
 * instance and replaces its binding, while another tab is another instance.
 */
function instanceId(): string {
  const key = "pbx.phone.instance";
  let id = sessionStorage.getItem(key);
  if (!id) {
    id = crypto.randomUUID();
    sessionStorage.setItem(key, id);
  }
  return id;
}

function loadJsSip(): Promise<JsSip> {
  loading ??= import("jssip").then(
    (module) => {
      jssip = module;
      return module;
    },
    (error: unknown) => {
      loading = undefined; // a later start tries again
      throw error;
    },
  );
  return loading;
}

export function startPhone(next: PhoneIdentity): () => void {
  stopPhone();
  const started = generation;
  identity = next;
  set({ registration: "connecting", problem: undefined });
  loadJsSip().then(
    (module) => {
      if (started === generation) register(module, next);
    },
    () => {
      if (started === generation)
        set({ registration: "failed", problem: "The phone could not be loaded: reload the page to try again." });
    },
  );
  return stopPhone;
}

function register({ UA, WebSocketInterface }: JsSip, next: PhoneIdentity): void {
  const { sip } = next;
  const agent = new UA({
    sockets: [new WebSocketInterface(sip.websocket)],
    uri: `sip:${next.number}@${sip.domain}`,
    authorization_user: sip.username,
    password: sip.password,
    display_name: next.displayName,
    instance_id: instanceId(),
    register: true,
    register_expires: 300,
    session_timers: false,
    user_agent: "cloud-pbx Linkus Web Client",
  });
  agent.on("registered", () => set({ registration: "registered", problem: undefined }));
  agent.on("unregistered", () => set({ registration: "off" }));
  agent.on("registrationFailed", (event) =>
    set({ registration: "failed", problem: `The phone could not register (${event.cause ?? "no answer"}).` }),
  );
  agent.on("disconnected", () => {
    if (state.registration === "registered") set({ registration: "connecting" });
  });
  agent.on("newRTCSession", (event: RTCSessionEvent) => adopt(event));
  agent.start();
  ua = agent;
}

export function stopPhone(): void {
  generation++;
  session?.terminate();
  session = undefined;
  ua?.stop();
  ua = undefined;
  set({ registration: "off", call: undefined });
}

function adopt(event: RTCSessionEvent): void {
  const incoming = event.originator === "remote";
  if (incoming && session && !session.isEnded()) {
    event.session.terminate({ status_code: 486, reason_phrase: "Busy Here" });
    return;
  }
  const current = event.session;
  session = current;
  const remote = current.remote_identity;
  set({
    call: {
      direction: incoming ? "inbound" : "outbound",
      peer: remote.uri.user ?? "",
      peerName: remote.display_name || undefined,
      phase: incoming ? "ringing" : "calling",
      muted: false,
      held: false,
      note: undefined,
      answeredAt: undefined,
    },
  });
  const playRemote = () => {
    const receivers = current.connection?.getReceivers() ?? [];
    const tracks = receivers.map((r) => r.track).filter((t): t is MediaStreamTrack => t.kind === "audio");
    if (remoteAudio && tracks.length > 0) {
      remoteAudio.srcObject = new MediaStream(tracks);
      void remoteAudio.play().catch(() => undefined);
    }
  };
  current.on("peerconnection", ({ peerconnection }) => {
    peerconnection.addEventListener("track", playRemote);
  });
  if (current.connection) current.connection.addEventListener("track", playRemote);
  current.on("accepted", () => setCall({ phase: "connected", answeredAt: Date.now() }));
  current.on("confirmed", playRemote);
  current.on("hold", () => setCall({ held: current.isOnHold().local }));
  current.on("unhold", () => setCall({ held: current.isOnHold().local }));
  current.on("muted", () => setCall({ muted: true }));
  current.on("unmuted", () => setCall({ muted: false }));
  current.on("refer", (refer) => {
    // The other side transfers us (blind, RFC 3515): call the target with our microphone.
    void openMicrophone().then((mic) => {
      if ("problem" in mic) refer.reject();
      else refer.accept(undefined, { mediaStream: mic.stream, pcConfig: pcConfig() });
    });
  });
  const ended = (note: string) => {
    for (const track of localTracks(current)) track.stop();
    if (session === current) session = undefined;
    if (state.call && current === lastAdopted) setCall({ phase: "ended", note });
  };
  lastAdopted = current;
  current.on("ended", (e) => ended(e.originator === "local" ? "You hung up" : "The other side hung up"));
  current.on("failed", (e) => ended(failureNote(String(e.cause))));
}
let lastAdopted: RTCSession | undefined;

function localTracks(current: RTCSession): MediaStreamTrack[] {
  return (current.connection?.getSenders() ?? []).flatMap((s: RTCRtpSender) => (s.track ? [s.track] : []));
}

function failureNote(cause: string): string {
  switch (cause) {
    case "Busy":
      return "Busy";
    case "Rejected":
      return "Declined";
    case "Unavailable":
    case "Not Found":
      return "Not reachable";
    case "Canceled":
      return "Cancelled";
    case "No Answer":
      return "No answer";
    case "User Denied Media Access":
      return "The microphone could not be used";
    default:
      return `Call failed (${cause})`;
  }
}

function pcConfig(): RTCConfiguration {
  return { iceServers: identity?.iceServers ?? [], iceTransportPolicy: identity?.iceTransportPolicy ?? "all" };
}

// -------------------------------------------------------------------------------------------
// Actions

/** Dials an extension or any number the PBX routes; false with a problem when it cannot. */
export async function dial(target: string): Promise<boolean> {
  const number = target.replace(/[\s().-]/g, "");
  if (!ua || !identity || state.registration !== "registered") {
    set({ problem: "The phone is not registered yet: wait for it to show Ready." });
    return false;
  }
  if (!/^[0-9*#+]{1,32}$/.test(number)) {
    set({ problem: "Enter a number: digits, *, # or a leading +." });
    return false;
  }
  if (session && !session.isEnded()) {
    set({ problem: "Hang up the current call first." });
    return false;
  }
  const mic = await openMicrophone();
  if ("problem" in mic) {
    set({ problem: mic.problem });
    return false;
  }
  set({ problem: undefined });
  ua.call(`sip:${number}@${identity.sip.domain}`, { mediaStream: mic.stream, pcConfig: pcConfig() });
  return true;
}

export async function answer(): Promise<void> {
  const current = session;
  if (!current || state.call?.phase !== "ringing") return;
  const mic = await openMicrophone();
  if ("problem" in mic) {
    set({ problem: mic.problem });
    return;
  }
  current.answer({ mediaStream: mic.stream, pcConfig: pcConfig() });
}

export function reject(): void {
  session?.terminate({ status_code: 486, reason_phrase: "Busy Here" });
}

export function hangUp(): void {
  session?.terminate();
}

export function toggleMute(): void {
  if (!session) return;
  if (session.isMuted().audio) session.unmute({ audio: true });
  else session.mute({ audio: true });
}

export function toggleHold(): void {
  if (!session) return;
  if (session.isOnHold().local) session.unhold();
  else session.hold();
}

/** DTMF in the media (RFC 4733 telephone-event), not SIP INFO. */
export function sendDigit(digit: string): void {
  if (jssip && session?.isEstablished() && /^[0-9*#A-D]$/.test(digit))
    session.sendDTMF(digit, { transportType: jssip.C.DTMF_TRANSPORT.RFC2833 });
}

/** Blind transfer (REFER, RFC 3515): the other side calls `target`, this call ends. */
export function transfer(target: string): void {
  const number = target.replace(/[\s().-]/g, "");
  if (!session?.isEstablished() || !identity || !/^[0-9*#+]{1,32}$/.test(number)) return;
  const current = session;
  current.refer(`sip:${number}@${identity.sip.domain}`, {
    eventHandlers: {
      accepted: () => {
        setCall({ note: `Transferred to ${number}` });
        current.terminate();
      },
      failed: () => setCall({ note: `Transfer to ${number} failed` }),
    },
  });
}

export function dismissCall(): void {
  if (state.call?.phase === "ended") set({ call: undefined });
}

export function dismissProblem(): void {
  set({ problem: undefined });
}

/** The active call's peer connection (tests read its stats). */
export function peerConnection(): RTCPeerConnection | undefined {
  return session?.connection;
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function usePhone(): PhoneState {
  return useSyncExternalStore(subscribe, () => state);
}
