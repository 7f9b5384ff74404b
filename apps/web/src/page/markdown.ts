import MarkdownIt from "markdown-it";

/**
 * Markdown to HTML for answers, safe to put in the page: raw HTML in the
 * text is escaped (html: false), so `<script>` or `<img onerror=...>` show
 * as text; links keep markdown-it's check that refuses `javascript:` and
 * similar URLs. A single newline is a line break (command output keeps its
 * lines). Half-finished markdown (an unclosed code fence, a table
 * being written) renders as far as it goes.
 */
const md = new MarkdownIt({ html: false, linkify: true, breaks: true });

const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx]?.attrSet("target", "_blank");
  tokens[idx]?.attrSet("rel", "noopener noreferrer");
  return defaultLinkOpen(tokens, idx, options, env, self);
};

export function renderMarkdown(text: string): string {
  return md.render(text);
}
