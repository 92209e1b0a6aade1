import * as z from "zod";

/** What a browser needs before signing in: where the Linkus 8111 channel is. */
export const clientConfig = z.object({
  linkusUrl: z.string().meta({ description: "WebSocket URL of the Linkus channel (port 8111 in AWS)" }),
  sipHost: z.string().meta({ description: "The host IP phones and Linkus clients reach" }),
  linkusPort: z.number().int(),
  iceTransportPolicy: z.enum(["all", "relay"]).meta({
    description:
      "RTCConfiguration.iceTransportPolicy for the Web Client's softphone: relay when the deployment sends browser media through TURN only (ICE_TRANSPORT_POLICY)",
  }),
});
