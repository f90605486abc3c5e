//! Browsers that mishandle `SameSite=None` (they reject the cookie or treat it as `Strict`), so the playback
//! cookie leaves the attribute out for them: iOS 12, macOS 10.14 Safari and embedded web views, Chrome and
//! Chromium 51 to 66, and UC Browser before 12.13.2.

/// The number right after `marker` in `ua` (digits only).
fn number_after(ua: &str, marker: &str) -> Option<u32> {
    let rest = &ua[ua.find(marker)? + marker.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The dotted version right after `marker`, up to three parts.
fn version_after(ua: &str, marker: &str) -> Option<(u32, u32, u32)> {
    let rest = &ua[ua.find(marker)? + marker.len()..];
    let mut parts = rest.split(|c: char| !c.is_ascii_digit()).map(|p| p.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??, parts.next().flatten().unwrap_or(0)))
}

fn ios_12(ua: &str) -> bool {
    (ua.contains("(iPhone;") || ua.contains("(iPad;") || ua.contains("(iPod"))
        && ua.contains(" OS 12_")
        && ua.contains("AppleWebKit/")
}

fn macos_10_14_safari_or_webview(ua: &str) -> bool {
    if !(ua.contains("(Macintosh;") && ua.contains("Mac OS X 10_14") && ua.contains("AppleWebKit/")) {
        return false;
    }
    let chromium = ua.contains("Chrome/") || ua.contains("Chromium/");
    let safari = ua.contains("Version/") && ua.contains("Safari/") && !chromium;
    let webview = ua.trim_end().ends_with("(KHTML, like Gecko)");
    safari || webview
}

fn chromium_51_to_66(ua: &str) -> bool {
    let major = number_after(ua, "Chrome/").or_else(|| number_after(ua, "Chromium/"));
    major.is_some_and(|major| (51..=66).contains(&major))
}

fn old_uc_browser(ua: &str) -> bool {
    version_after(ua, "UCBrowser/").is_some_and(|version| version < (12, 13, 2))
}

/// True when a browser with this User-Agent takes `SameSite=None` as meant.
pub(crate) fn takes_same_site_none(user_agent: &str) -> bool {
    !(ios_12(user_agent)
        || macos_10_14_safari_or_webview(user_agent)
        || chromium_51_to_66(user_agent)
        || old_uc_browser(user_agent))
}

#[cfg(test)]
mod tests {
    use super::takes_same_site_none;

    #[test]
    fn old_browsers_are_recognised() {
        let refused = [
            "Mozilla/5.0 (iPhone; CPU iPhone OS 12_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1.2 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1.2 Safari/605.1.15",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_6) AppleWebKit/605.1.15 (KHTML, like Gecko)",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/65.0.3325.181 Safari/537.36",
            "Mozilla/5.0 (Linux; U; Android 8.1.0; en-US) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/57.0.2987.108 UCBrowser/12.13.0.1207 Mobile Safari/537.36",
        ];
        for ua in refused {
            assert!(!takes_same_site_none(ua), "{ua}");
        }
        let taken = [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0.4430.93 Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.0 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
            "",
        ];
        for ua in taken {
            assert!(takes_same_site_none(ua), "{ua}");
        }
    }
}
