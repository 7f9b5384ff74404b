/** The gateway name of `baaaht web`: its sessions belong to this gateway. */
export const WEB_GATEWAY_NAME = "web";
