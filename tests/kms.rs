//! As deployed on AWS: the vault's data keys come from KMS, each bound to its
//! account by the encryption context `{client, account}`, and the providers'
//! client secrets from one Secrets Manager secret. moto's server answers as
//! both (it binds a KMS ciphertext to its encryption context, as KMS does).

mod support;

use base64::Engine;
use inbox_api::vault::{Credentials, Vault};
use inbox_domain::{AccountId, ClientId};
use serde_json::json;
use support::moto::{Moto, REGION};
use support::oidc::{hand_out, sign_in, stored_credentials, Provider, CLIENT_SECRET};
use support::Server;

fn kms_client(moto: &Moto) -> aws_sdk_kms::Client {
    let config = aws_sdk_kms::Config::builder()
        .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
        .endpoint_url(&moto.url)
        .region(aws_sdk_kms::config::Region::new(REGION))
        .credentials_provider(aws_sdk_kms::config::Credentials::new("local", "local", None, None, "tests"))
        .build();
    aws_sdk_kms::Client::from_conf(config)
}

/// The KMS ciphertext of a sealed value's data key (its layout: 2, length, ciphertext, …).
fn wrapped_data_key(blob: &str) -> String {
    let bytes = base64::engine::general_purpose::STANDARD.decode(blob).unwrap();
    assert_eq!(bytes[0], 2, "sealed under KMS");
    let end = 3 + u16::from_be_bytes([bytes[1], bytes[2]]) as usize;
    base64::engine::general_purpose::STANDARD.encode(&bytes[3..end])
}

#[tokio::test]
async fn each_accounts_data_key_opens_only_with_its_own_encryption_context() {
    let moto = Moto::start();
    let key = moto.create_key();
    let vault = Vault::kms(kms_client(&moto), &key);
    let (client, account) = (ClientId::new(), AccountId::new());
    let c = Credentials {
        access_token: "at-secret".into(),
        refresh_token: Some("rt-secret".into()),
        expires_at: None,
        scope: None,
    };
    let sealed = vault.seal(&c, client, account).await.unwrap();
    assert_eq!(sealed.key_id, key, "named by the key's ARN");
    assert_eq!(vault.open(&sealed, client, account).await.unwrap(), c);
    let e = vault.open(&sealed, client, AccountId::new()).await.unwrap_err();
    assert!(e.contains("KMS Decrypt failed"), "KMS refuses another account's context: {e}");
    assert!(vault.open(&sealed, ClientId::new(), account).await.is_err(), "another client's");
    let local = Vault::new([7; 32]).open(&sealed, client, account).await.unwrap_err();
    assert!(local.contains("does not hold"), "{local}");

    // KMS itself, asked directly: the data key opens with the account's context only.
    let decrypt = |context: serde_json::Value| {
        let body = json!({"CiphertextBlob": wrapped_data_key(&sealed.blob), "EncryptionContext": context});
        moto.call("kms", "TrentService.Decrypt", &body)
    };
    let own = json!({"client": client.to_string(), "account": account.to_string()});
    assert_eq!(decrypt(own).status, 200);
    let other = json!({"client": client.to_string(), "account": AccountId::new().to_string()});
    let refused = decrypt(other);
    assert_eq!((refused.status, refused.json["__type"].as_str()), (400, Some("InvalidCiphertextException")));
    assert_eq!(decrypt(json!({})).status, 400, "nor without a context");
}

/// `inbox serve`'s environment as the functions run on AWS: a KMS key and
/// the client secret from Secrets Manager, nothing in the data folder.
fn aws_env(moto: &Moto, provider: &Provider, key: &str, secret: &str, dir: &std::path::Path) -> Vec<(String, String)> {
    let mut env = support::env(dir);
    env.extend(provider.gmail_env().into_iter().filter(|(k, _)| k != "INBOX_OAUTH_GMAIL_CLIENT_SECRET"));
    env.extend(moto.env());
    env.extend([
        ("INBOX_KMS_KEY_ID".to_string(), key.to_string()),
        ("INBOX_OAUTH_SECRET_ID".to_string(), secret.to_string()),
        ("INBOX_RENEW_EVERY".to_string(), "3600".to_string()),
    ]);
    env
}

#[test]
fn a_signed_in_account_is_sealed_by_kms_with_the_client_secret_from_secrets_manager() {
    let moto = Moto::start();
    let key = moto.create_key();
    let alias = json!({"AliasName": "alias/inbox-credentials", "TargetKeyId": key});
    assert_eq!(moto.call("kms", "TrentService.CreateAlias", &alias).status, 200);
    moto.create_secret("inbox/oauth", &json!({ "gmail": CLIENT_SECRET }).to_string());
    // Tokens live 30 s: every hand-out renews (opens, refreshes, seals again).
    let provider = Provider::start_with(&[("ACCESS_TOKEN_TTL", "30")]);
    let dir = support::temp_dir("kms");
    let env = aws_env(&moto, &provider, "alias/inbox-credentials", "inbox/oauth", &dir);
    let srv = Server::start_env(&["--no-demo"], dir, env);
    let owner = srv.client("owner");
    let id = srv.create_account(&owner, "gmail");

    // The code exchange authenticates with the secret's client secret.
    sign_in(&srv, &owner, &id, "kim@example.test");
    let r = hand_out(&srv, &owner, &id);
    assert_eq!(r.status, 200, "{}", r.text);
    let token = r.json["accessToken"].as_str().unwrap().to_string();
    assert_eq!(provider.introspect(&token)["active"], true);
    let stored = stored_credentials(&srv, &owner, &id);
    assert_eq!(stored.len(), 2, "signed in, then renewed: {stored:?}");
    assert!(stored.iter().all(|e| e["payload"]["keyId"] == key.as_str()), "the key's ARN, not its alias: {stored:?}");
    assert!(!srv.data_dir.join("vault-key").exists(), "no key is kept locally");

    // Removal opens the credentials to revoke the grant at the provider.
    assert_eq!(srv.delete(&format!("/api/accounts/{id}"), &owner).status, 204);
    assert_eq!(provider.introspect(&token)["active"], false, "the grant ended with the account");
}

#[test]
fn a_missing_or_incomplete_client_secret_stops_the_server_with_a_clear_reason() {
    let moto = Moto::start();
    let key = moto.create_key();
    moto.create_secret("inbox/no-gmail", &json!({"outlook": "o-secret"}).to_string());
    let provider = Provider::start();
    for (secret, reason) in [
        ("inbox/missing", "INBOX_OAUTH_SECRET_ID secret inbox/missing does not exist"),
        ("inbox/no-gmail", "holds a client secret for outlook, but INBOX_OAUTH_OUTLOOK_CLIENT_ID is not set"),
    ] {
        let env = aws_env(&moto, &provider, &key, secret, &support::temp_dir("kms"));
        let out = std::process::Command::new(support::inbox_bin())
            .args(["serve", "--no-demo", "--listen", "127.0.0.1:0"])
            .envs(env)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && stderr.contains(reason), "{secret}: {stderr}");
    }
}
