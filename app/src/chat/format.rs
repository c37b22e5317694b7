//! A message body as HTML (ssr): a small, safe Markdown subset, rendered by
//! `pulldown-cmark`'s parser and this module's escaping writer.
//!
//! Shown as formatting: **bold**, *italic*, ~~struck~~, `inline code`, code
//! blocks (monospace, whitespace kept), block quotes, lists, and links —
//! `http(s)://` addresses written out (found by `linkify`) or as Markdown
//! links, which show their real address after their text. Every link opens
//! in a new tab with `rel="noopener noreferrer nofollow"`. A line break is a
//! line break, as people expect in chat (a newline: the body is shown with
//! `white-space: pre-wrap`). `:shortcode:` emoji become the emoji
//! (`emojis`), and `@mentions` of members are marked for highlighting.
//!
//! Everything else shows as the text that was typed: HTML of any kind,
//! images, headings, rules, and links to anything but `http(s)` (so
//! `javascript:` never becomes a link). Nothing a person types reaches the
//! page unescaped: the only markup is what this writer emits, from a fixed
//! set of elements and attributes (`ALLOWED`, checked by the XSS tests).

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};

use super::mentions::{Segment, segments};

/// Every element and attribute the writer can emit (for the tests that
/// check rendered vectors against it).
pub const ALLOWED: &[(&str, &[&str])] = &[
    ("p", &[]),
    ("br", &[]),
    ("strong", &[]),
    ("em", &[]),
    ("del", &[]),
    ("code", &[]),
    ("pre", &[]),
    ("blockquote", &[]),
    ("ul", &[]),
    ("ol", &["start"]),
    ("li", &[]),
    ("a", &["href", "rel", "target"]),
    ("span", &["class", "data-key"]),
];

/// Fills in `message.html` (nothing for system lines and deleted messages).
pub fn fill(message: &mut super::model::Message) {
    message.html = if message.system || message.deleted {
        String::new()
    } else {
        render(&message.body, &message.mentions)
    };
}

/// `body` as HTML; `mentions` are the usernames it mentions.
pub fn render(body: &str, mentions: &[String]) -> String {
    let mut w = Writer {
        mentions,
        out: String::with_capacity(body.len() + body.len() / 4 + 16),
        text: String::new(),
        code_block: false,
        skip: 0,
        links: Vec::new(),
    };
    let options = Options::ENABLE_STRIKETHROUGH;
    for (event, range) in Parser::new_ext(body, options).into_offset_iter() {
        w.event(event, &body[range]);
    }
    w.flush();
    w.out
}

/// A Markdown link being written: its address, and where its text starts in
/// the output.
struct Link {
    url: String,
    start: usize,
}

struct Writer<'a> {
    mentions: &'a [String],
    out: String,
    /// Consecutive text, written at the next other event (the parser splits
    /// text at characters that could have been markup).
    text: String,
    code_block: bool,
    /// Inside something shown as its source (an image, an unsafe link):
    /// how deeply, so its inner events are skipped.
    skip: usize,
    links: Vec<Link>,
}

impl Writer<'_> {
    fn event(&mut self, event: Event<'_>, source: &str) {
        if self.skip > 0 {
            match event {
                Event::Start(_) => self.skip += 1,
                Event::End(_) => self.skip -= 1,
                _ => {}
            }
            return;
        }
        if let Event::Text(t) = &event {
            self.text.push_str(t);
            return;
        }
        self.flush();
        match event {
            Event::Start(tag) => self.start(tag, source),
            Event::End(tag) => self.end(tag),
            Event::Code(code) => {
                self.out.push_str("<code>");
                escape(&mut self.out, &code);
                self.out.push_str("</code>");
            }
            Event::Html(raw) | Event::InlineHtml(raw) => escape(&mut self.out, &raw),
            // A line break as typed (the body is shown with `pre-wrap`).
            Event::SoftBreak => self.out.push('\n'),
            Event::HardBreak => self.out.push_str("<br>"),
            Event::Rule => {
                self.out.push_str("<p>");
                self.plain(source.trim_end());
                self.out.push_str("</p>");
            }
            // Not enabled (math, footnotes, task lists): shown as typed.
            _ => self.plain(source),
        }
    }

    fn start(&mut self, tag: Tag<'_>, source: &str) {
        let open = match tag {
            Tag::Paragraph | Tag::HtmlBlock => "<p>",
            Tag::Heading { level, .. } => {
                self.out.push_str("<p>");
                if source.starts_with('#') {
                    for _ in 0..level as usize {
                        self.out.push('#');
                    }
                    self.out.push(' ');
                }
                return;
            }
            Tag::BlockQuote(_) => "<blockquote>",
            Tag::CodeBlock(_) => {
                self.code_block = true;
                "<pre><code>"
            }
            Tag::List(None) => "<ul>",
            Tag::List(Some(1)) => "<ol>",
            Tag::List(Some(n)) => {
                self.out.push_str(&format!("<ol start=\"{n}\">"));
                return;
            }
            Tag::Item => "<li>",
            Tag::Emphasis => "<em>",
            Tag::Strong => "<strong>",
            Tag::Strikethrough => "<del>",
            Tag::Link {
                link_type,
                dest_url,
                ..
            } if safe_url(&dest_url)
                && !matches!(link_type, LinkType::Email)
                && self.links.is_empty() =>
            {
                self.links.push(Link {
                    url: dest_url.into_string(),
                    start: self.out.len(),
                });
                return;
            }
            // Images, links elsewhere, anything else: the source, as text.
            _ => {
                self.plain(source);
                self.skip = 1;
                return;
            }
        };
        self.out.push_str(open);
    }

    fn end(&mut self, tag: TagEnd) {
        let close = match tag {
            TagEnd::HtmlBlock => {
                // Its lines come with their newlines: not the last one.
                if self.out.ends_with('\n') {
                    self.out.pop();
                }
                "</p>"
            }
            TagEnd::Paragraph | TagEnd::Heading(_) => "</p>",
            TagEnd::BlockQuote(_) => "</blockquote>",
            TagEnd::CodeBlock => {
                self.code_block = false;
                "</code></pre>"
            }
            TagEnd::List(false) => "</ul>",
            TagEnd::List(true) => "</ol>",
            TagEnd::Item => "</li>",
            TagEnd::Emphasis => "</em>",
            TagEnd::Strong => "</strong>",
            TagEnd::Strikethrough => "</del>",
            TagEnd::Link => {
                if let Some(link) = self.links.pop() {
                    self.close_link(link);
                }
                return;
            }
            _ => return,
        };
        self.out.push_str(close);
    }

    /// A Markdown link's text, then its real address as the link — or only
    /// the link when the text is the address (`<https://…>`).
    fn close_link(&mut self, link: Link) {
        let text = self.out.split_off(link.start);
        let mut shown = String::new();
        escape(&mut shown, &link.url);
        if text != shown {
            self.out.push_str(&text);
            self.out.push_str(" (");
        }
        anchor(&mut self.out, &link.url);
        if text != shown {
            self.out.push(')');
        }
    }

    /// Source shown as text: escaped, line breaks kept (but not a block's
    /// last one).
    fn plain(&mut self, raw: &str) {
        escape(&mut self.out, raw.trim_end_matches('\n'));
    }

    /// Writes the pending text: as is in code blocks; elsewhere with
    /// shortcodes, addresses and mentions.
    fn flush(&mut self) {
        if self.text.is_empty() {
            return;
        }
        let text = std::mem::take(&mut self.text);
        if self.code_block {
            escape(&mut self.out, &text);
        } else if !self.links.is_empty() {
            // A link's own text: no links inside links.
            self.mentioned(&shortcodes(&text));
        } else {
            let text = shortcodes(&text);
            let mut finder = linkify::LinkFinder::new();
            finder.kinds(&[linkify::LinkKind::Url]);
            for span in finder.spans(&text) {
                match span.kind() {
                    Some(linkify::LinkKind::Url) if safe_url(span.as_str()) => {
                        anchor(&mut self.out, span.as_str())
                    }
                    _ => self.mentioned(span.as_str()),
                }
            }
        }
    }

    /// Text with the message's mentions marked.
    fn mentioned(&mut self, text: &str) {
        for segment in segments(text, self.mentions, "") {
            match segment {
                Segment::Text(t) => escape(&mut self.out, t),
                Segment::Mention { text, .. } => {
                    self.out.push_str("<span class=\"mention\" data-key=\"");
                    escape(&mut self.out, &text[1..].to_ascii_lowercase());
                    self.out.push_str("\">");
                    escape(&mut self.out, text);
                    self.out.push_str("</span>");
                }
            }
        }
    }
}

/// `http://` or `https://` (any case), with nothing that could end an
/// attribute or hide in one.
fn safe_url(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && url.len() > "http://".len()
        && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}

fn anchor(out: &mut String, url: &str) {
    out.push_str("<a href=\"");
    escape(out, url);
    out.push_str("\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">");
    escape(out, url);
    out.push_str("</a>");
}

/// `:tada:` → 🎉, for shortcodes the emoji set knows; the rest stays.
fn shortcodes(text: &str) -> String {
    if !text.contains(':') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find(':') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-')))
            .unwrap_or(after.len());
        let found = (len > 0 && after[len..].starts_with(':'))
            .then(|| emojis::get_by_shortcode(&after[..len]))
            .flatten();
        match found {
            Some(emoji) => {
                out.push_str(emoji.as_str());
                rest = &after[len + 1..];
            }
            None => {
                out.push(':');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Escapes text for an element's content or a quoted attribute.
fn escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(body: &str) -> String {
        render(body, &[])
    }

    #[test]
    fn the_subset_renders() {
        assert_eq!(
            r("**bold** and *it* and ~~gone~~"),
            "<p><strong>bold</strong> and <em>it</em> and <del>gone</del></p>"
        );
        assert_eq!(r("use `x < y`"), "<p>use <code>x &lt; y</code></p>");
        assert_eq!(
            r("```\nfn main() {\n    <b>\n}\n```"),
            "<pre><code>fn main() {\n    &lt;b&gt;\n}\n</code></pre>"
        );
        assert_eq!(
            r("> quoted\n> more"),
            "<blockquote><p>quoted\nmore</p></blockquote>"
        );
        assert_eq!(r("- a\n- b"), "<ul><li>a</li><li>b</li></ul>");
        assert_eq!(r("3. c\n4. d"), "<ol start=\"3\"><li>c</li><li>d</li></ol>");
        assert_eq!(r("one\ntwo"), "<p>one\ntwo</p>");
        assert_eq!(r("<img src=x>\nnext"), "<p>&lt;img src=x&gt;\nnext</p>");
    }

    #[test]
    fn addresses_become_links_showing_where_they_go() {
        let a = |u: &str| {
            format!(
                "<a href=\"{u}\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">{u}</a>"
            )
        };
        assert_eq!(
            r("see https://example.com/a?b=1&c=2."),
            format!("<p>see {}.</p>", a("https://example.com/a?b=1&amp;c=2"))
        );
        assert_eq!(
            r("[docs](https://kanect.test/x)"),
            format!("<p>docs ({})</p>", a("https://kanect.test/x"))
        );
        assert_eq!(
            r("<https://kanect.test>"),
            format!("<p>{}</p>", a("https://kanect.test"))
        );
        assert_eq!(
            r("ftp://x.y/z and www.x.y"),
            "<p>ftp://x.y/z and www.x.y</p>"
        );
    }

    #[test]
    fn dangerous_things_show_as_text() {
        assert_eq!(
            r("<script>alert(1)</script>"),
            "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
        );
        assert_eq!(
            r("[x](javascript:alert(1))"),
            "<p>[x](javascript:alert(1))</p>"
        );
        assert_eq!(
            r("![x](https://e.test/i.png)"),
            "<p>![x](https://e.test/i.png)</p>"
        );
        assert_eq!(
            r("hi <b onclick=\"x\">b</b>"),
            "<p>hi &lt;b onclick=&quot;x&quot;&gt;b&lt;/b&gt;</p>"
        );
        assert_eq!(r("# not a heading"), "<p># not a heading</p>");
        assert_eq!(r("<mailto:a@b.c>"), "<p>&lt;mailto:a@b.c&gt;</p>");
    }

    #[test]
    fn mentions_and_shortcodes() {
        assert_eq!(
            render("hi @Amy :tada: but not `@amy`", &["amy".into()]),
            "<p>hi <span class=\"mention\" data-key=\"amy\">@Amy</span> 🎉 but not <code>@amy</code></p>"
        );
        assert_eq!(r(":nope: 10:30 :"), "<p>:nope: 10:30 :</p>");
    }
}
