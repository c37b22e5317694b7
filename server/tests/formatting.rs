//! Message formatting over the real server: the Markdown subset renders,
//! and no message text — the OWASP XSS filter-evasion vectors and
//! Markdown-specific ones (`fixtures/xss_vectors.txt`) — produces markup
//! outside the renderer's fixed set of elements and attributes, or a link
//! anywhere but `http(s)`.

mod common;

use app::chat::format::ALLOWED;
use common::{ok, post_to, spawn_app_with};
use serde_json::Value;

/// Every element and attribute in `html` is one the renderer may emit,
/// with safe values; returns the text content.
fn check(html: &str, vector: &str) -> String {
    let fragment = scraper::Html::parse_fragment(html);
    for node in fragment.tree.nodes() {
        let Some(el) = node.value().as_element() else {
            continue;
        };
        let name = el.name();
        if matches!(name, "html" | "body") && el.attrs().next().is_none() {
            continue; // the parser's own frame around a fragment
        }
        let (_, attrs) = ALLOWED
            .iter()
            .find(|(tag, _)| *tag == name)
            .unwrap_or_else(|| panic!("{vector:?} made <{name}>: {html}"));
        for (attr, value) in el.attrs() {
            assert!(
                attrs.contains(&attr),
                "{vector:?} made <{name} {attr}>: {html}"
            );
            let ok = match attr {
                "href" => {
                    let lower = value.to_ascii_lowercase();
                    lower.starts_with("http://") || lower.starts_with("https://")
                }
                "target" => value == "_blank",
                "rel" => value == "noopener noreferrer nofollow",
                "class" => value == "mention",
                "start" => value.parse::<u64>().is_ok(),
                _ => true,
            };
            assert!(ok, "{vector:?} made {attr}={value:?}: {html}");
        }
    }
    fragment.root_element().text().collect()
}

fn vectors() -> Vec<String> {
    include_str!("fixtures/xss_vectors.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.replace("\\n", "\n"))
        .collect()
}

#[tokio::test]
async fn no_vector_injects_markup_live_or_in_history() {
    let app = spawn_app_with(|s| s.send_limit_per_10s = 100_000).await;
    let (amy, bob) = (app.user("amy").await, app.user("bob").await);
    let room = ok(&amy, "rooms_create", &[("name", "xss"), ("members", "bob")]).await;
    let id = room["id"].to_string();
    let vectors = vectors();
    assert!(vectors.len() > 100, "the corpus is all there");
    let mut live = bob.socket(None).await;
    for (i, v) in vectors.iter().enumerate() {
        let sent = post_to(&amy, &id, v, &format!("xss-{i:08}")).await;
        assert_eq!(sent["body"].as_str(), Some(v.trim_end()), "stored as typed");
        let text = check(sent["html"].as_str().unwrap(), v);
        if v.to_ascii_lowercase().contains("<script") {
            assert!(
                text.to_ascii_lowercase().contains("script"),
                "{v:?} shows as text, not nothing: {text:?}"
            );
        }
        let e = live.next_matching(|e| e["type"] == "message").await;
        assert_eq!(e["message"]["html"], sent["html"], "live shows the same");
    }
    // History, page by page, renders every one the same way.
    let mut seen = 0;
    let mut before: Option<String> = None;
    loop {
        let mut form = vec![("conversation_id", id.as_str())];
        if let Some(b) = &before {
            form.push(("before", b.as_str()));
        }
        let page = ok(&bob, "conversation_page", &form).await;
        let messages = page["messages"].as_array().unwrap();
        for m in messages.iter().filter(|m| m["system"] != Value::Bool(true)) {
            check(
                m["html"].as_str().unwrap_or(""),
                m["body"].as_str().unwrap(),
            );
            seen += 1;
        }
        if page["has_more"] != Value::Bool(true) {
            break;
        }
        before = Some(messages[0]["id"].to_string());
    }
    assert_eq!(seen, vectors.len());
}

#[tokio::test]
async fn the_markdown_subset_renders_for_everyone() {
    let app = spawn_app_with(|_| {}).await;
    let (amy, bob) = (app.user("amy").await, app.user("bob").await);
    let room = ok(&amy, "rooms_create", &[("name", "fmt"), ("members", "bob")]).await;
    let id = room["id"].to_string();
    let body = "**bold** *it* `code` @bob :tada:\n\n```\nlet x = 1;\n  indented\n```\n\n> quoted\n\n- one\n- two\n\nsee https://kanect.test/docs";
    let sent = post_to(&amy, &id, body, "fmt-00000001").await;
    let html = sent["html"].as_str().unwrap();
    for part in [
        "<strong>bold</strong>",
        "<em>it</em>",
        "<code>code</code>",
        "<span class=\"mention\" data-key=\"bob\">@bob</span>",
        "🎉",
        "<pre><code>let x = 1;\n  indented\n</code></pre>",
        "<blockquote><p>quoted</p></blockquote>",
        "<ul><li>one</li><li>two</li></ul>",
        "<a href=\"https://kanect.test/docs\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">https://kanect.test/docs</a>",
    ] {
        assert!(html.contains(part), "{part} in {html}");
    }
    check(html, body);
    let page = ok(&bob, "conversation_page", &[("conversation_id", &id)]).await;
    let last = page["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["html"].as_str(), Some(html));
    // An edit renders again.
    let edited = ok(
        &amy,
        "edit",
        &[
            ("message_id", &sent["id"].to_string()),
            ("body", "now *plain*"),
        ],
    )
    .await;
    assert_eq!(edited["html"], "<p>now <em>plain</em></p>");
}
