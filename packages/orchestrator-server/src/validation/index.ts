export {
  invalidArgument,
  requireId,
  requireNonEmpty,
  maxLength,
  maxBytes,
  nonNegative,
  knownEnum,
  stringList,
  MAX_ID_LENGTH,
} from "./fields.js";
export { validateLabels, MAX_LABELS, MAX_LABEL_KEY_LENGTH, MAX_LABEL_VALUE_LENGTH } from "./labels.js";
export { pageSize, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./page.js";
export {
  validateSessionMetadata,
  validateSessionConfig,
  validateSessionContext,
  MAX_NAME_LENGTH,
  MAX_TEXT_LENGTH,
  MAX_REF_LENGTH,
  MAX_LIST_ENTRIES,
  MAX_LIST_ENTRY_LENGTH,
} from "./session-input.js";
export { validateGatewaySessionMetadata, validateGatewaySessionConfig } from "./gateway-session-input.js";
