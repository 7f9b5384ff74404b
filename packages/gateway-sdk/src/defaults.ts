/** The version this SDK reports as `client_version` when none is given. Kept equal to package.json. */
export const SDK_VERSION = "0.1.0";

/** The `client_type` a gateway session is created with when none is given. */
export const DEFAULT_CLIENT_TYPE = "gateway-sdk";

/** How often an attached chat sends a heartbeat up its StreamChat stream: 15 seconds. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 15_000;

/** How long a chat or a followed answer keeps trying to attach again after its stream dropped: 60 seconds. */
export const DEFAULT_RECONNECT_WINDOW_MS = 60_000;

/** The reason sent with a cancel when none is given. */
export const DEFAULT_CANCEL_REASON = "cancelled by the client";

/** The reason sent with CloseGatewaySession when none is given. */
export const DEFAULT_CLOSE_REASON = "closed by the client";

/** The name of the gateway session a gateway creates for the tasks it submits without a `sessionId`. */
export const DEFAULT_TASKS_SESSION_NAME = "tasks";
