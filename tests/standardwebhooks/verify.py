"""Verifies webhook messages with the official Standard Webhooks library, and
nothing else: a JSON list of {secret, id, timestamp, signature, body} on argv[1].
Prints how many verified; exits non-zero (naming the message) on the first that does not."""

import json
import sys

from standardwebhooks.webhooks import Webhook

messages = json.load(open(sys.argv[1]))
for m in messages:
    headers = {"webhook-id": m["id"], "webhook-timestamp": m["timestamp"], "webhook-signature": m["signature"]}
    try:
        Webhook(m["secret"]).verify(m["body"], headers)
    except Exception as e:  # the library's WebhookVerificationError, or a malformed header
        sys.exit(f"message {m['id']} does not verify: {e}")
print(f"verified {len(messages)}")
