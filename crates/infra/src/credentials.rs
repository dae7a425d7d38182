//! The template's parts for the credentials this API holds: the KMS key that
//! makes and opens their data keys, each provider's client id (a parameter)
//! and the secret of their client secrets, and the grants of the functions
//! that use them ([`inbox_api::routes::CREDENTIALS`]).

use inbox_api::signin::providers::SIGN_IN_INTEGRATIONS;
use std::fmt::Write;

/// The parameter of an integration's client id (`GmailClientId`).
fn client_id_parameter(integration: &str) -> String {
    format!("{}ClientId", crate::sam::pascal(integration))
}

/// The parameters: each provider's client id, and the secret's name.
pub fn parameters() -> String {
    let mut out = String::from(
        "  OAuthSecretName:\n    Type: String\n    Default: \"\"\n    Description: 'Name of the Secrets Manager secret whose SecretString is a JSON object of integration to OAuth client secret ({\"gmail\": \"...\", \"outlook\": \"...\"}), one for each client id set below; empty while no integration is signed in here.'\n",
    );
    for integration in SIGN_IN_INTEGRATIONS {
        write!(
            out,
            "  {}:\n    Type: String\n    Default: \"\"\n    Description: The OAuth client id of this API's {integration} app (redirect URI {{PublicUrl}}/oauth/callback); empty for {integration} accounts to keep their connector's sign-in.\n",
            client_id_parameter(integration),
        )
        .unwrap();
    }
    out
}

/// A client id without the secret of its client secret would stop every function at start-up.
pub fn rules() -> String {
    let set: Vec<String> = SIGN_IN_INTEGRATIONS
        .iter()
        .map(|i| format!("!Not [!Equals [!Ref {}, \"\"]]", client_id_parameter(i)))
        .collect();
    format!(
        "\nRules:\n  ClientSecretsBesideClientIds:\n    RuleCondition: !Or [{}]\n    Assertions:\n      - Assert: !Not [!Equals [!Ref OAuthSecretName, \"\"]]\n        AssertDescription: A provider's client id needs OAuthSecretName, the secret that holds its client secret.\n",
        set.join(", ")
    )
}

pub const CONDITION: &str = "  HasOAuthSecret: !Not [!Equals [!Ref OAuthSecretName, \"\"]]\n";

/// Every function's environment: the key and the secret by name, the client ids.
pub fn environment() -> String {
    let mut out = String::from(
        "        # Data keys of sealed credentials; only the functions granted it use it.\n        INBOX_KMS_KEY_ID: !GetAtt CredentialsKey.Arn\n        INBOX_OAUTH_SECRET_ID: !Ref OAuthSecretName\n",
    );
    for integration in SIGN_IN_INTEGRATIONS {
        let upper = integration.to_uppercase();
        writeln!(out, "        INBOX_OAUTH_{upper}_CLIENT_ID: !Ref {}", client_id_parameter(integration)).unwrap();
    }
    out
}

/// The key: rotated yearly, kept when the stack goes (without it no sealed
/// credential opens), administered by the account's IAM policies.
pub const KEY: &str = "\n  CredentialsKey:\n    Type: AWS::KMS::Key\n    DeletionPolicy: Retain\n    UpdateReplacePolicy: Retain\n    Properties:\n      Description: Inbox Accounts - makes and opens the data keys that seal provider credentials (encryption context client, account)\n      EnableKeyRotation: true\n      KeyPolicy:\n        Version: \"2012-10-17\"\n        Statement:\n          - Sid: TheAccountGrantsByIam\n            Effect: Allow\n            Principal:\n              AWS: !Sub \"arn:${AWS::Partition}:iam::${AWS::AccountId}:root\"\n            Action: \"kms:*\"\n            Resource: \"*\"\n\n  CredentialsKeyAlias:\n    Type: AWS::KMS::Alias\n    Properties:\n      AliasName: !Sub alias/${AWS::StackName}-credentials\n      TargetKeyId: !Ref CredentialsKey\n";

/// A function's statements for the key (only with an account's encryption
/// context: the client and the account, nothing else) and the client secrets.
pub fn grants(function: &str) -> String {
    let actions = inbox_api::routes::credential_grants(function);
    if actions.is_empty() {
        return String::new();
    }
    format!(
        "            - Effect: Allow\n              Action: [{}]\n              Resource: !GetAtt CredentialsKey.Arn\n              Condition:\n                ForAllValues:StringEquals:\n                  kms:EncryptionContextKeys: [client, account]\n                \"Null\":\n                  kms:EncryptionContext:client: \"false\"\n                  kms:EncryptionContext:account: \"false\"\n            - !If\n              - HasOAuthSecret\n              - Effect: Allow\n                Action: [secretsmanager:GetSecretValue]\n                Resource: !Sub \"arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:${{OAuthSecretName}}-??????\"\n              - !Ref AWS::NoValue\n",
        actions.join(", ")
    )
}
