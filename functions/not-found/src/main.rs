//! API Gateway's `$default` route: every request no route matches, answered
//! as problem+json (404, or 405 with `Allow` for a known path) like locally.

// Found at compile time: the binary holds only what this crate's name serves.
const FUNCTION: inbox_lambda::Function = inbox_lambda::function(env!("CARGO_PKG_NAME"));

fn main() -> Result<(), inbox_lambda::Error> {
    inbox_lambda::main(FUNCTION)
}
