/** An image reference split into its repository (with registry) and its tag and/or digest. */
export interface ImageReference {
  /** e.g. "docker.io/library/alpine", "localhost/busybox", "ghcr.io/org/tool". */
  repository: string;
  /** e.g. "3.20"; "" when none was given. */
  tag: string;
  /** e.g. "sha256:..."; "" when none was given. */
  digest: string;
}

const DOMAIN_PART = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `${DOMAIN_PART}(?:\\.${DOMAIN_PART})*(?::[0-9]+)?`;
const PATH_PART = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REFERENCE = new RegExp(
  `^(?:${DOMAIN}/)?${PATH_PART}(?:/${PATH_PART})*(?::[\\w][\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`,
);

/** The longest image reference accepted. */
export const MAX_IMAGE_REFERENCE_LENGTH = 512;

/** True when `value` is a well-formed image reference (name[:tag][@digest], optionally with a registry). */
export function isImageReference(value: string): boolean {
  return value.length <= MAX_IMAGE_REFERENCE_LENGTH && REFERENCE.test(value);
}

/**
 * Splits and normalizes a well-formed reference the way Docker resolves it:
 * a name without a registry is on docker.io, a single-part docker.io name is
 * under library/ ("alpine" is "docker.io/library/alpine").
 */
export function parseImageReference(value: string): ImageReference {
  let rest = value;
  let digest = "";
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag = "";
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split("/");
  const first = parts[0] ?? "";
  const hasRegistry = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  let registry = hasRegistry ? first : "docker.io";
  if (registry === "index.docker.io") registry = "docker.io";
  const path = hasRegistry ? parts.slice(1) : parts;
  if (registry === "docker.io" && path.length === 1) path.unshift("library");
  return { repository: `${registry}/${path.join("/")}`, tag, digest };
}

/** The normalized form of a reference: repository, then ":tag" (":latest" when neither tag nor digest) and "@digest". */
export function normalizeImageReference(value: string): string {
  const ref = parseImageReference(value);
  const tag = ref.tag || (ref.digest ? "" : "latest");
  return `${ref.repository}${tag ? `:${tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/**
 * Whether an image is allowed by a session's allowed_images: an empty list
 * allows every image; an entry with `*` is a pattern (`*` matches any
 * characters) tried on the image as written and in its normalized form; an
 * entry without a tag or digest allows every tag of its repository; else the
 * normalized forms must be equal.
 */
export function imageAllowed(image: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const requested = parseImageReference(image);
  const normalized = normalizeImageReference(image);
  return allowed.some((entry) => {
    if (entry.includes("*")) {
      const pattern = new RegExp(`^${entry.split("*").map(escapeRegExp).join(".*")}$`);
      return pattern.test(image) || pattern.test(normalized);
    }
    if (!isImageReference(entry)) return false;
    const wanted = parseImageReference(entry);
    if (!wanted.tag && !wanted.digest) return wanted.repository === requested.repository;
    return normalizeImageReference(entry) === normalized;
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
