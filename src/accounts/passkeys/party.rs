//! The relying party: this portal as passkeys know it, made once from the configured address.

use webauthn_rs::prelude::Url;
use webauthn_rs::{Webauthn, WebauthnBuilder};

use crate::config::AppConfig;

/// What authenticators show a member beside their passkey until a ceremony names the club.
const DEFAULT_NAME: &str = "Clubroom";

/// The relying party for the address members use (`base_url`): its host is the RP id, its
/// origin the one origin accepted. None where browsers refuse passkeys: a host that is an IP
/// address (the default when no `base_url` is set) or plain HTTP to anything but localhost.
pub(crate) fn relying_party(config: &AppConfig) -> Option<Webauthn> {
    let origin = Url::parse(&config.public_url()).ok()?;
    let host = origin.domain()?;
    let local = host == "localhost" || host.ends_with(".localhost");
    if origin.scheme() != "https" && !local {
        return None;
    }
    let host = host.to_string();
    let builder = WebauthnBuilder::new(&host, &origin).ok()?.rp_name(DEFAULT_NAME);
    builder.build().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_base(url: &str) -> Option<Webauthn> {
        let mut config = AppConfig::defaults();
        config.base_url = url.to_string();
        relying_party(&config)
    }

    #[test]
    fn a_domain_over_https_or_localhost_gets_passkeys() {
        for url in
            ["https://club.example.org", "https://club.example.org/", "http://localhost:8000"]
        {
            let party = with_base(url).unwrap_or_else(|| panic!("{url}"));
            let origins: Vec<String> = party
                .get_allowed_origins()
                .iter()
                .map(|o| o.origin().ascii_serialization())
                .collect();
            assert_eq!(origins, [url.trim_end_matches('/')]);
        }
    }

    #[test]
    fn an_ip_address_or_plain_http_gets_none() {
        for url in ["http://127.0.0.1:8000", "https://192.0.2.7", "http://club.example.org"] {
            assert!(with_base(url).is_none(), "{url}");
        }
        assert!(relying_party(&AppConfig::defaults()).is_none(), "no base_url: 127.0.0.1");
    }
}
