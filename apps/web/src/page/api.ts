import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { WebService } from "@baaaht/proto/web/v1";

/** The web gateway's API, on the page's own origin (the session cookie goes along). */
export const api: Client<typeof WebService> = createClient(
  WebService,
  createConnectTransport({ baseUrl: location.origin, useBinaryFormat: true }),
);
