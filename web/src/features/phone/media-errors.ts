/**
 * What to tell the user when the microphone cannot be used: getUserMedia's DOMException names
 * (Media Capture and Streams §10.2) in words that say what to do.
 */
export function microphoneProblem(error: unknown): string {
  const name = typeof error === "object" && error !== null && "name" in error ? String(error.name) : "";
  switch (name) {
    case "NotAllowedError":
    case "PermissionDeniedError":
      return "The browser was not allowed to use your microphone. Allow microphone access for this site (the icon in the address bar) and try again.";
    case "NotFoundError":
    case "DevicesNotFoundError":
      return "No microphone was found. Connect a headset or microphone and try again.";
    case "NotReadableError":
    case "TrackStartError":
      return "Your microphone is in use by another application or could not be started. Close the other application and try again.";
    case "OverconstrainedError":
      return "The selected microphone is not available any more. Choose another one in your system settings and try again.";
    case "SecurityError":
    case "InsecureContext":
      return "Calls need a secure page: open the Web Client over https.";
    default:
      return `The microphone could not be used (${name || "unknown error"}).`;
  }
}

/** The microphone's stream, or a reason in words (never throws). */
export async function openMicrophone(): Promise<{ stream: MediaStream } | { problem: string }> {
  if (!navigator.mediaDevices?.getUserMedia) return { problem: microphoneProblem({ name: "InsecureContext" }) };
  try {
    return { stream: await navigator.mediaDevices.getUserMedia({ audio: true, video: false }) };
  } catch (error) {
    return { problem: microphoneProblem(error) };
  }
}
