//! `webhooks-retry`, a job (no route) —
//! webhooks: retries the messages that are due (every minute).

// Found at compile time: the binary holds only what this crate's name serves.
const FUNCTION: inbox_lambda::Function = inbox_lambda::function(env!("CARGO_PKG_NAME"));

fn main() -> Result<(), inbox_lambda::Error> {
    inbox_lambda::main(FUNCTION)
}
