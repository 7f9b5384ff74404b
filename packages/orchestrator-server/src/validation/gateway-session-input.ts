import type { GatewaySessionConfig, GatewaySessionMetadata } from "@baaaht/proto/gateway/v1";
import { maxLength, noEmptyEntries, nonNegative } from "./fields.js";
import { MAX_REF_LENGTH, validateDescriptiveFields } from "./session-input.js";

/** Checks a gateway.v1.GatewaySessionMetadata; errors name `<field>.<sub-field>`. */
export function validateGatewaySessionMetadata(m: GatewaySessionMetadata | undefined, field = "metadata"): void {
  if (!m) return;
  validateDescriptiveFields(m, field);
  maxLength(m.clientType, MAX_REF_LENGTH, `${field}.client_type`);
  maxLength(m.clientVersion, MAX_REF_LENGTH, `${field}.client_version`);
}

/** Checks a gateway.v1.GatewaySessionConfig: no negative duration, size or delay. */
export function validateGatewaySessionConfig(c: GatewaySessionConfig | undefined, field = "config"): void {
  if (!c) return;
  nonNegative(c.timeoutNs, `${field}.timeout_ns`);
  nonNegative(c.idleTimeoutNs, `${field}.idle_timeout_ns`);
  nonNegative(c.maxMessageSize, `${field}.max_message_size`);
  if (c.streamConfig) {
    nonNegative(c.streamConfig.chunkSize, `${field}.stream_config.chunk_size`);
    nonNegative(c.streamConfig.chunkDelayNs, `${field}.stream_config.chunk_delay_ns`);
  }
  if (c.security) {
    noEmptyEntries(c.security.allowedOrigins, `${field}.security.allowed_origins`);
  }
}
