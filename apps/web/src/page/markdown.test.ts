import { describe, expect, it } from "vitest";
import { renderMarkdown } from "./markdown.js";

describe("renderMarkdown", () => {
  it("renders code blocks, lists and tables", () => {
    const html = renderMarkdown("# Title\n\n- one\n- two\n\n```ts\nconst a = 1 < 2;\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
    expect(html).toContain("<h1>Title</h1>");
    expect(html).toContain("<li>one</li>");
    expect(html).toContain('<pre><code class="language-ts">const a = 1 &lt; 2;\n</code></pre>');
    expect(html).toContain("<table>");
    expect(html).toContain("<td>2</td>");
  });

  it("shows raw HTML as text", () => {
    const html = renderMarkdown('<img src=x onerror="alert(1)"> <script>alert(2)</script>\n\n<div onclick="x()">d</div>');
    expect(html).not.toMatch(/<img|<script|<div/);
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    expect(html).toContain("&lt;script&gt;alert(2)&lt;/script&gt;");
  });

  it("refuses script URLs in links and opens the others in a new tab", () => {
    expect(renderMarkdown("[x](javascript:alert(1))")).not.toContain("href");
    expect(renderMarkdown("[x](https://example.com)")).toContain(
      '<a href="https://example.com" target="_blank" rel="noopener noreferrer">x</a>',
    );
  });

  it("renders half-finished markdown as far as it goes, still escaped", () => {
    expect(renderMarkdown("```\n<script>alert(1)")).toBe("<pre><code>&lt;script&gt;alert(1)</code></pre>\n");
    expect(renderMarkdown("| a | b |\n|---|---|\n| <img src=x onerror=y")).toContain("<table>");
    expect(renderMarkdown("| a | b |\n|---|---|\n| <img src=x onerror=y")).not.toContain("<img");
    expect(renderMarkdown("some **bold")).toBe("<p>some **bold</p>\n");
  });
});
