export {
  invalidArgument,
  idFormat,
  requireId,
  requireNonEmpty,
  maxLength,
  maxBytes,
  nonNegative,
  knownEnum,
  noEmptyEntries,
  MAX_ID_LENGTH,
} from "./fields.js";
export {
  checkBounds,
  FIELD_BOUNDS,
  DEFAULT_LIST_BOUND,
  DEFAULT_MAP_BOUND,
  LABELS_BOUND,
  type ListBound,
  type MapBound,
} from "./bounds.js";
export { createBoundsInterceptor } from "./bounds-interceptor.js";
export { checkMetadata, MAX_METADATA_BYTES, HTTP2_MAX_HEADER_LIST_BYTES } from "./metadata.js";
export { pageSize, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./page.js";
export {
  validateSessionMetadata,
  validateSessionConfig,
  validateSessionContext,
  MAX_NAME_LENGTH,
  MAX_TEXT_LENGTH,
  MAX_REF_LENGTH,
} from "./session-input.js";
export { validateGatewaySessionMetadata, validateGatewaySessionConfig } from "./gateway-session-input.js";
