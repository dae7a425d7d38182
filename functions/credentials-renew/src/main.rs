//! `credentials-renew`, a job (no route) —
//! credentials: renews the provider tokens that expire soon (every 5 minutes).

// Found at compile time: the binary holds only what this crate's name serves.
const FUNCTION: inbox_lambda::Function = inbox_lambda::function(env!("CARGO_PKG_NAME"));

fn main() -> Result<(), inbox_lambda::Error> {
    inbox_lambda::main(FUNCTION)
}
