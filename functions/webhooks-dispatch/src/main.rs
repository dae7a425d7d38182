//! `webhooks-dispatch`, a job (no route) —
//! webhooks: records and sends the messages of new account events (the events table's stream).

// Found at compile time: the binary holds only what this crate's name serves.
const FUNCTION: inbox_lambda::Function = inbox_lambda::function(env!("CARGO_PKG_NAME"));

fn main() -> Result<(), inbox_lambda::Error> {
    inbox_lambda::main(FUNCTION)
}
