//! The catalogue of channel integrations an account can connect to.

/// One channel an account can be connected to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Integration {
    /// Stable identifier, used in IRIs (`/api/integrations/{id}`) and as `accountType`.
    pub id: &'static str,
    pub name: &'static str,
    /// Logo key the inbox front end maps to an image (`integrationLogo`).
    pub logo: &'static str,
    pub description: &'static str,
}

pub const INTEGRATIONS: &[Integration] = &[
    Integration { id: "whatsapp", name: "WhatsApp", logo: "whatsapp", description: "WhatsApp numbers" },
    Integration { id: "linkedin", name: "LinkedIn", logo: "linkedin", description: "LinkedIn logins" },
    Integration { id: "telegram", name: "Telegram", logo: "telegram", description: "Telegram accounts" },
    Integration { id: "instagram", name: "Instagram", logo: "instagram", description: "Instagram messaging" },
    Integration { id: "x", name: "X", logo: "x", description: "X (Twitter) direct messages" },
    Integration { id: "gmail", name: "Gmail", logo: "gmail", description: "Gmail mailboxes" },
    Integration { id: "outlook", name: "Outlook", logo: "outlook", description: "Outlook mailboxes" },
];

pub fn find(id: &str) -> Option<&'static Integration> {
    INTEGRATIONS.iter().find(|i| i.id == id)
}
