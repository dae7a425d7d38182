//! The pages from outside (their behaviour in a browser is `tests/browser/`):
//! served with a strict Content-Security-Policy and no inline code, revalidated
//! by ETag; an account's `reconnectUrl` is this server's connect page unless
//! `INBOX_CONNECT_BASE_URL` says otherwise; and cross-origin calls are allowed
//! for the origins in `INBOX_EMBED_ORIGINS` only.

mod support;
use support::*;

const HOST: &str = "https://host.example.com";

#[test]
fn pages_are_served_with_a_strict_policy_and_no_inline_code() {
    let srv = Server::start();
    for path in ["/dashboard", "/connect/whatsapp/7d5f0c2e-0000-4000-8000-000000000003"] {
        let r = srv.call("GET", path, None, None);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        let csp = r.header("content-security-policy").expect("a CSP");
        for rule in ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"] {
            assert!(csp.contains(rule), "{csp}");
        }
        assert!(!csp.contains("unsafe"), "{csp}");
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        // Every script is a file, and no element carries code or style.
        assert!(r.text.matches("<script").count() == r.text.matches("<script type=\"module\" src=\"/").count());
        for inline in [" onclick=", " onload=", " style=\"", "<style", "javascript:", "http://", "https://"] {
            assert!(!r.text.contains(inline), "{path} has {inline}");
        }
        // Revalidation: the same ETag gets a 304 without a body.
        let etag = r.header("etag").expect("an ETag").to_string();
        let again = call("GET", &srv.url(path), None, None, &[("If-None-Match", &etag)]);
        assert_eq!((again.status, again.text.as_str()), (304, ""));
        let weak = format!("\"other\", W/{etag}");
        assert_eq!(call("GET", &srv.url(path), None, None, &[("If-None-Match", &weak)]).status, 304, "{weak}");
        assert_eq!(call("GET", &srv.url(path), None, None, &[("If-None-Match", "\"other\"")]).status, 200);
    }
    let script = srv.call("GET", "/dashboard/app.js", None, None);
    assert_eq!((script.status, script.header("content-type")), (200, Some("text/javascript; charset=utf-8")));
    assert_eq!(
        srv.call("GET", "/dashboard/logo-whatsapp.svg", None, None).header("content-type"),
        Some("image/svg+xml")
    );
    for missing in ["/dashboard/secret.txt", "/dashboard/..%2fCargo.toml", "/connect/whatsapp/not-an-id", "/dashboard/"]
    {
        assert_eq!(srv.call("GET", missing, None, None).status, 404, "{missing}");
    }
    // The widget is loaded by other sites' pages.
    let widget = srv.call("GET", "/embed/accounts.js", None, None);
    assert_eq!(widget.status, 200);
    assert_eq!(widget.header("access-control-allow-origin"), Some("*"));
    assert!(widget.text.contains("customElements.define('inbox-accounts'"));
    // The dashboard, the connect page and the widget name states in the same words, from one place.
    let words = srv.call("GET", "/dashboard/status.js", None, None);
    assert_eq!((words.status, words.header("content-type")), (200, Some("text/javascript; charset=utf-8")));
    let vocabulary = inbox_domain::status::vocabulary().to_string();
    assert_eq!(words.text, format!("export const VOCABULARY = {vocabulary};\n"));
    assert!(widget.text.contains(&vocabulary) && !widget.text.contains("/*VOCABULARY*/"), "the widget's words");
    assert!(vocabulary.contains(r#""authorized":{"detail":"Signed in: messages flow.","label":"Connected"}"#));
    // Pages are not part of the API's documentation.
    let docs = srv.call("GET", "/api/docs.json", None, None);
    assert!(!docs.text.contains("/dashboard"), "pages are not API operations");
}

#[test]
fn reconnect_url_is_this_servers_connect_page_by_default() {
    let srv = Server::start();
    let owner = srv.client("owner");
    let id = srv.create_account(&owner, "whatsapp");
    let account = srv.get(&format!("/api/accounts/{id}"), &owner);
    let url = account.json["reconnectUrl"].as_str().unwrap().to_string();
    assert_eq!(url, srv.url(&format!("/connect/whatsapp/{id}")));
    let page = call("GET", &url, None, None, &[]);
    assert_eq!(page.status, 200, "the reconnectUrl serves the connect page");

    let dir = temp_dir("connect-base");
    let mut env = env(&dir);
    env.push(("INBOX_CONNECT_BASE_URL".into(), "https://connect.example.test/c/".into()));
    let srv = Server::start_env(&["--no-demo"], dir, env);
    let owner = srv.client("owner");
    let id = srv.create_account(&owner, "telegram");
    let account = srv.get(&format!("/api/accounts/{id}"), &owner);
    assert_eq!(account.json["reconnectUrl"], format!("https://connect.example.test/c/telegram/{id}"));
}

#[test]
fn only_listed_origins_may_call_from_a_browser() {
    let dir = temp_dir("cors");
    let mut env = env(&dir);
    env.push(("INBOX_EMBED_ORIGINS".into(), format!("{HOST}, http://localhost:8080")));
    let srv = Server::start_env(&["--no-demo"], dir, env);
    let owner = srv.client("owner");
    let preflight = |origin: &str| {
        let headers = [
            ("Origin", origin),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "authorization, content-type"),
        ];
        call("OPTIONS", &srv.url("/api/accounts"), None, None, &headers)
    };
    let ok = preflight(HOST);
    assert_eq!(ok.status, 204);
    assert_eq!(ok.header("access-control-allow-origin"), Some(HOST));
    assert!(ok.header("access-control-allow-headers").unwrap().contains("authorization"));
    assert_eq!(ok.header("access-control-allow-credentials"), None, "no cookies, ever");
    let refused = preflight("https://evil.example.com");
    assert_ne!(refused.status, 204);
    assert_eq!(refused.header("access-control-allow-origin"), None);

    let list = |origin: &str| call("GET", &srv.url("/api/accounts"), Some(&owner.token), None, &[("Origin", origin)]);
    let allowed = list(HOST);
    assert_eq!(allowed.status, 200);
    assert_eq!(allowed.header("access-control-allow-origin"), Some(HOST));
    assert_eq!(allowed.header("vary"), Some("origin"));
    assert!(allowed.header("access-control-expose-headers").unwrap().contains("location"));
    let other = list("https://host.example.com.evil.test");
    assert_eq!(other.status, 200, "a server-side caller is unaffected");
    assert_eq!(other.header("access-control-allow-origin"), None, "but a browser would not let the page read it");
    assert_eq!(other.header("vary"), Some("origin"), "caches keep the two answers apart");
}

#[test]
fn a_wildcard_or_malformed_embed_origin_stops_the_server_with_a_clear_error() {
    for bad in ["*", "https://host.example.com/inbox", "host.example.com"] {
        let dir = temp_dir("cors-bad");
        let mut env = env(&dir);
        env.push(("INBOX_EMBED_ORIGINS".into(), bad.into()));
        let out = std::process::Command::new(inbox_bin())
            .args(["serve", "--listen", "127.0.0.1:0", "--no-demo"])
            .envs(env)
            .output()
            .expect("run inbox serve");
        assert!(!out.status.success(), "{bad} was accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("INBOX_EMBED_ORIGINS"), "{bad}: {stderr}");
    }
}
