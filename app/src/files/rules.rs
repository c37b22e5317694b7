//! The rules for files: a clean name, the type sniffed from the bytes
//! (`infer`), whether a type is allowed, and how a file is served — inline
//! only for raster images Kanect made a thumbnail of, as a download for
//! everything else (SVG and HTML included: active content never renders on
//! Kanect's origin).

use crate::error::{AppError, FieldError};

/// Bytes read to sniff a type.
pub const SNIFF_BYTES: usize = 8192;

/// The name a file keeps: its last path part, without control characters,
/// at most 255 bytes; refused when nothing is left.
pub fn clean_name(raw: &str) -> Result<String, FieldError> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let mut name: String = last.chars().filter(|c| !c.is_control()).collect();
    name = name.trim().to_owned();
    while name.len() > 255 {
        name.pop();
    }
    if name.is_empty() || name == "." || name == ".." {
        return Err(FieldError::new("name", "Give the file a name."));
    }
    Ok(name)
}

/// The type of a file from its first bytes: a known binary signature; for
/// text, SVG and HTML (whatever it calls itself), else what `infer` says or
/// plain text; else `application/octet-stream`.
pub fn sniff(head: &[u8]) -> String {
    let known = infer::get(head).map(|k| k.mime_type());
    if let Some(mime) = known
        && !mime.starts_with("text/")
    {
        return mime.to_owned();
    }
    let text = match std::str::from_utf8(head) {
        Ok(_) => true,
        // A multi-byte character cut at the end of the sample is still text.
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    };
    if text && !head.contains(&0) {
        let lower = String::from_utf8_lossy(&head[..head.len().min(512)]).to_ascii_lowercase();
        if lower.contains("<svg") {
            return "image/svg+xml".into();
        }
        if lower.contains("<html") || lower.contains("<!doctype html") || lower.contains("<script")
        {
            return "text/html".into();
        }
        return known.unwrap_or("text/plain").to_owned();
    }
    "application/octet-stream".into()
}

/// Whether `mime` matches one of `allowed` (`image/png`, `image/*`, `*`);
/// an empty list allows everything.
pub fn allowed(mime: &str, allowed: &[String]) -> bool {
    allowed.is_empty()
        || allowed.iter().any(|a| {
            a == "*"
                || a.eq_ignore_ascii_case(mime)
                || a.strip_suffix("/*").is_some_and(|group| {
                    mime.split('/')
                        .next()
                        .is_some_and(|m| m.eq_ignore_ascii_case(group))
                })
        })
}

pub fn refused_type(mime: &str) -> AppError {
    AppError::field(
        "file",
        format!("Files of type {mime} are not allowed here."),
    )
}

/// Raster images Kanect decodes for thumbnails and shows inline.
pub fn is_raster_image(mime: &str) -> bool {
    matches!(
        mime,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    )
}

/// `Content-Disposition` for a file: `inline` only for raster images,
/// `attachment` (a download under its name) for the rest.
pub fn disposition(name: &str, inline: bool) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    let kind = if inline { "inline" } else { "attachment" };
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_and_control_characters() {
        assert_eq!(clean_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(clean_name("C:\\Users\\amy\\cat.png").unwrap(), "cat.png");
        assert_eq!(clean_name("a\u{0}b\nc.txt").unwrap(), "abc.txt");
        assert!(clean_name("dir/").is_err());
        assert!(clean_name("..").is_err());
        assert!(clean_name(&"é".repeat(300)).unwrap().len() <= 255);
    }

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
        assert_eq!(sniff(b"\xff\xd8\xff\xe0\0\x10JFIF"), "image/jpeg");
        assert_eq!(sniff(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\">"),
            "image/svg+xml"
        );
        assert_eq!(
            sniff(b"<!DOCTYPE html><html><script>alert(1)</script>"),
            "text/html"
        );
        assert_eq!(sniff("hello, wörld".as_bytes()), "text/plain");
        assert_eq!(sniff(b"\x00\x01\x02\x03binary"), "application/octet-stream");
    }

    #[test]
    fn allowed_types_match_exactly_or_by_group() {
        let list = vec!["image/*".to_owned(), "application/pdf".to_owned()];
        assert!(allowed("image/png", &list));
        assert!(allowed("application/pdf", &list));
        assert!(!allowed("text/html", &list));
        assert!(allowed("text/html", &[]));
    }

    #[test]
    fn only_raster_images_show_inline_and_names_are_quoted_safely() {
        assert!(is_raster_image("image/png"));
        assert!(!is_raster_image("image/svg+xml"));
        assert_eq!(
            disposition("a \"b\".txt", false),
            "attachment; filename=\"a _b_.txt\"; filename*=UTF-8''a%20%22b%22.txt"
        );
        assert!(disposition("photo.png", true).starts_with("inline;"));
    }
}
