/**
 * The A2A message-id prefixes the A2A TCK (github.com/a2aproject/a2a-tck)
 * gives a special meaning, from its `docs/SUT_REQUIREMENTS.md` ("Message ID
 * Patterns") and its streaming tests. Every other id (all other `test-*`
 * patterns included) asks for normal processing.
 */
export const LONG_RUNNING_PREFIXES = [
  // SUT_REQUIREMENTS.md: the task must stay active for at least 2 × TCK_STREAMING_TIMEOUT seconds.
  "test-resubscribe-message-id",
  // tests/optional/capabilities/test_streaming_methods.py (A2A 1.0 `SubscribeToTask`): the same test under its 1.0 name.
  "test-subscribe-message-id",
] as const;

/** The TCK's default `TCK_STREAMING_TIMEOUT`, in seconds. */
export const DEFAULT_STREAMING_TIMEOUT_S = 2;

/** Whether the TCK asks the task of a message with this id to stay active for 2 × its streaming timeout. */
export function isLongRunning(messageId: string): boolean {
  return LONG_RUNNING_PREFIXES.some((prefix) => messageId.startsWith(prefix));
}
